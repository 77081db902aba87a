/** Campaigns and journeys: each variant's uplift over control with its 95 % interval. */
import { type Answer, api, type CampaignList, type CampaignResult, type Stats } from '../api';
import type { Period } from '../dates';
import { el, show, unavailable } from '../dom';
import { number, percentOfShare } from '../format';
import { COLORS, svg, ticks } from '../svg';

/** Each variant's uplift over control with its 95 % interval, around a zero line (percentage points). */
function upliftChart(
  rows: Array<{ label: string; uplift: { points: number; low: number; high: number } | null; note: string }>,
): SVGElement {
  const width = 1320;
  const row = 30;
  const left = 300;
  const right = 420;
  const height = rows.length * row + 34;
  const bound = Math.max(
    5,
    ...rows.flatMap((entry) =>
      entry.uplift ? [Math.abs(entry.uplift.low), Math.abs(entry.uplift.high)] : [],
    ),
  );
  const span = ticks(bound, 2);
  const limit = span[span.length - 1] ?? bound;
  const x = (points: number) => left + ((points + limit) / (2 * limit)) * (width - left - right);
  const chart = svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img' });
  for (const value of [-limit, -limit / 2, 0, limit / 2, limit]) {
    chart.append(
      svg('line', {
        x1: x(value),
        x2: x(value),
        y1: 4,
        y2: height - 24,
        stroke: value === 0 ? '#9aa3b5' : '#eef1f5',
        'stroke-width': value === 0 ? 1.5 : 1,
      }),
      svg(
        'text',
        { x: x(value), y: height - 8, 'text-anchor': 'middle' },
        `${value > 0 ? '+' : ''}${number(value, Math.abs(value) < 1 && value !== 0 ? 1 : 0)} п.п.`,
      ),
    );
  }
  rows.forEach((entry, index) => {
    const middle = 4 + index * row + row / 2;
    chart.append(
      svg('text', { x: left - 10, y: middle + 4, 'text-anchor': 'end', class: 'value-label' }, entry.label),
    );
    chart.append(svg('text', { x: width - right + 10, y: middle + 4 }, entry.note));
    if (!entry.uplift) {
      chart.append(svg('text', { x: x(0) + 6, y: middle + 4 }, 'мало данных'));
      return;
    }
    const { points, low, high } = entry.uplift;
    const color = low > 0 ? COLORS.green : high < 0 ? COLORS.red : COLORS.blue;
    const clamp = (value: number) => x(Math.max(-limit, Math.min(limit, value)));
    chart.append(
      svg('line', {
        x1: clamp(low),
        x2: clamp(high),
        y1: middle,
        y2: middle,
        stroke: color,
        'stroke-width': 2.5,
      }),
      svg('line', {
        x1: clamp(low),
        x2: clamp(low),
        y1: middle - 6,
        y2: middle + 6,
        stroke: color,
        'stroke-width': 2,
      }),
      svg('line', {
        x1: clamp(high),
        x2: clamp(high),
        y1: middle - 6,
        y2: middle + 6,
        stroke: color,
        'stroke-width': 2,
      }),
      svg('circle', { cx: clamp(points), cy: middle, r: 5, fill: color }),
    );
  });
  return chart;
}

/** The daily campaigns' results from the stats, and up to four journeys' read one by one. */
export async function renderCampaigns(body: HTMLElement, range: Period, stats: Answer<Stats>): Promise<void> {
  const list = await api<CampaignList>('/api/ops/campaigns');
  if (!list.ok) {
    unavailable(body, list);
    return;
  }
  // Daily campaigns come with the stats; journeys one request each (there are a few).
  const journeys = list.data.campaigns.filter((campaign) => campaign.kind === 'journey').slice(0, 4);
  const journeyResults = await Promise.all(
    journeys.map((journey) =>
      api<CampaignResult>(
        `/api/ops/campaigns/${encodeURIComponent(journey.id)}/results?from=${range.from}&to=${range.to}`,
      ),
    ),
  );
  const results: CampaignResult[] = [
    ...(stats.ok ? stats.data.campaigns.campaigns : []),
    ...journeyResults.flatMap((answer) => (answer.ok ? [answer.data] : [])),
  ].filter((result) => result.variants.some((variant) => variant.assigned > 0));
  if (results.length === 0) {
    show(body, el('div', { class: 'empty' }, 'нет данных: кампании в диапазоне не запускались'));
    return;
  }
  const rows = results.flatMap((result) => {
    const control = result.variants.find(
      (variant) => variant.uplift === null && /control|контроль/i.test(variant.variant),
    );
    return result.variants
      .filter((variant) => variant !== control)
      .map((variant) => ({
        label: `${result.campaign} · ${variant.variant}`,
        uplift: variant.uplift,
        note: `${percentOfShare(variant.conversionRate, 1)} из ${variant.assigned}${control ? ` (контр. ${percentOfShare(control.conversionRate, 1)})` : ''}`,
      }));
  });
  show(
    body,
    upliftChart(rows),
    el(
      'div',
      { class: 'legend' },
      'Точка: прирост конверсии в цель против контрольной группы, черта: 95 % интервал (п.п.). Зелёный: прирост доказан, красный: вред, синий: неясно. Справа: конверсия варианта из назначенных.',
    ),
  );
}
