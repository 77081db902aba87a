/**
 * First response and resolution by week of creation: the share within the SLA against the target,
 * and the median, p90 and average against the SLA itself.
 */
import { type Answer, api, type Stats, type SupportMetrics, type Times } from '../api';
import { type Period, shortDate } from '../dates';
import { el, show, unavailable } from '../dom';
import { duration, number } from '../format';
import { COLORS, legend, lineChart, type Series } from '../svg';
import { TARGETS } from '../targets';

type WeekTimes = { first: Partial<Times> | null; resolution: Partial<Times> | null };

export type WeeklyTimes = { source: 'support' | 'stats'; weeks: WeekTimes[] } | { error: string };

/** A week's times from the support metrics, or from /api/ops/stats (median and p90 only) if those are missing. */
export async function weeklyTimes(weeks: Period[]): Promise<WeeklyTimes> {
  const answers = await Promise.all(
    weeks.map((week) => api<SupportMetrics>(`/api/ops/metrics/support?from=${week.from}&to=${week.to}`)),
  );
  if (answers.every((answer) => answer.ok))
    return {
      source: 'support',
      weeks: answers.map((answer) =>
        answer.ok
          ? { first: answer.data.firstResponse, resolution: answer.data.resolution }
          : { first: null, resolution: null },
      ),
    };
  const fallback = await Promise.all(
    weeks.map((week) => api<Stats>(`/api/ops/stats?from=${week.from}&to=${week.to}`)),
  );
  const failed = fallback.find((answer) => !answer.ok);
  if (failed && !failed.ok) return { error: failed.message };
  return {
    source: 'stats',
    weeks: fallback.map((answer) => {
      if (!answer.ok) return { first: null, resolution: null };
      const times = (figures: Stats['firstResponse']): Partial<Times> => ({
        count: figures.count,
        median: figures.medianMinutes,
        p90: figures.p90Minutes,
      });
      return { first: times(answer.data.firstResponse), resolution: times(answer.data.resolution) };
    }),
  };
}

/** One trend panel: the weeks' share within the SLA (when known) above their times against it. */
function renderTrend(
  body: HTMLElement,
  weeks: Period[],
  times: Array<Partial<Times> | null>,
  target: number | null,
): void {
  const labels = weeks.map((week) => shortDate(week.from));
  const within = times.map((week) =>
    week?.withinTargetPercent === undefined ? null : week.withinTargetPercent,
  );
  const hours = (target ?? 0) > 180 || times.some((week) => (week?.p90 ?? 0) > 180);
  const scale = (minutes: number | null | undefined) =>
    minutes === null || minutes === undefined ? null : hours ? minutes / 60 : minutes;
  const series: Series[] = [
    { name: 'медиана', color: COLORS.blue, values: times.map((week) => scale(week?.median)) },
    { name: '90-й процентиль', color: COLORS.violet, values: times.map((week) => scale(week?.p90)) },
  ];
  if (times.some((week) => week?.average !== undefined))
    series.push({
      name: 'среднее',
      color: COLORS.teal,
      values: times.map((week) => scale(week?.average)),
      dashed: true,
    });
  const unit = hours ? 'ч' : 'мин';
  const targetScaled = scale(target);
  const hasVerdicts = within.some((value) => value !== null);
  if (!hasVerdicts && !series.some((line) => line.values.some((value) => value !== null))) {
    show(body, el('div', { class: 'empty' }, 'нет данных: ответов и решений в диапазоне нет'));
    return;
  }
  show(
    body,
    hasVerdicts &&
      lineChart({
        labels,
        series: [{ name: 'в срок', color: COLORS.green, values: within }],
        max: 100,
        format: (value) => `${number(value)} %`,
        reference: {
          value: TARGETS.withinTargetPercent,
          label: `цель: ${TARGETS.withinTargetPercent} % в срок`,
        },
        footnotes: times.map((week) => (week?.count ? `${week.count} шт.` : '')),
        height: 160,
      }),
    hasVerdicts &&
      legend([
        { name: 'доля обращений, уложившихся в SLA своей категории', color: COLORS.green },
        { name: 'цель', color: COLORS.red, dashed: true },
      ]),
    lineChart({
      labels,
      series,
      format: (value) => `${number(value, hours && value < 10 && value % 1 !== 0 ? 1 : 0)} ${unit}`,
      ...(targetScaled !== null
        ? { reference: { value: targetScaled, label: `SLA ${duration(target)}` } }
        : {}),
      height: 140,
    }),
    legend(series),
  );
}

/** Both trend panels from the weeks' times, with the SLA targets from the range's support metrics. */
export function renderResponseTimes(
  first: HTMLElement,
  resolution: HTMLElement,
  weeks: Period[],
  trend: WeeklyTimes,
  supportAnswer: Answer<SupportMetrics>,
): void {
  if ('error' in trend) {
    unavailable(first, { status: 0, message: trend.error });
    unavailable(resolution, { status: 0, message: trend.error });
  } else {
    const support = supportAnswer.ok ? supportAnswer.data : null;
    renderTrend(
      first,
      weeks,
      trend.weeks.map((week) => week.first),
      support?.firstResponse.targetMinutes ?? null,
    );
    renderTrend(
      resolution,
      weeks,
      trend.weeks.map((week) => week.resolution),
      support?.resolution.targetMinutes ?? null,
    );
    if (trend.source === 'stats') {
      for (const body of [first, resolution])
        body.append(
          el(
            'div',
            { class: 'legend' },
            '/api/ops/metrics/support недоступен: медиана и p90 из /api/ops/stats, без цели SLA.',
          ),
        );
    }
  }
}
