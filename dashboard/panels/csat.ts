/** CSAT: the ratings' distribution, their average and response rate, and the average by week. */
import type { Answer, Stats } from '../api';
import { el, show, unavailable } from '../dom';
import { number, percentOfShare } from '../format';
import { barChart, COLORS, legend, lineChart } from '../svg';

/** From /api/ops/stats: the ratings of tickets created in the range. */
export function renderCsat(body: HTMLElement, stats: Answer<Stats>): void {
  if (!stats.ok) {
    unavailable(body, stats);
    return;
  }
  const csat = stats.data.csat;
  if (csat.answered === 0) {
    show(body, el('div', { class: 'empty' }, 'нет данных: оценок ещё нет'));
    return;
  }
  const palette = [COLORS.red, '#ec7a3c', COLORS.orange, '#7cbf5a', COLORS.green];
  const bars = [5, 4, 3, 2, 1].map((rating) => {
    const count = csat.distribution[String(rating)] ?? 0;
    return {
      label: `${'★'.repeat(rating)}`,
      value: count,
      color: palette[rating - 1] ?? COLORS.grey,
      text: `${count} (${percentOfShare(count / csat.answered)})`,
    };
  });
  const byWeek = Object.entries(csat.byWeek).sort(([a], [b]) => (a < b ? -1 : 1));
  show(
    body,
    el(
      'div',
      { class: 'muted' },
      `средняя ${csat.average === null ? '—' : number(csat.average, 2)} из 5 · довольны (4–5) ${percentOfShare(csat.satisfied)} · оценок ${csat.answered}${csat.sent > 0 ? ` · ответили на ${percentOfShare(csat.responseRate)} из ${csat.sent} опросов` : ''}`,
    ),
    barChart(bars),
    byWeek.length > 1 &&
      lineChart({
        labels: byWeek.map(([week]) => week.replace(/^\d{4}-W/, 'нед. ')),
        series: [
          {
            name: 'средняя оценка',
            color: COLORS.green,
            values: byWeek.map(([, figures]) => figures.average),
          },
        ],
        format: (value) => number(value, 1),
        max: 5,
        height: 120,
      }),
    byWeek.length > 1 && legend([{ name: 'средняя оценка по неделям', color: COLORS.green }]),
  );
}
