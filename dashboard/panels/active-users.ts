/** Active users: DAU, WAU and MAU by day, and the stickiness DAU/MAU under them. */
import type { Answer, Retention } from '../api';
import { shortDate } from '../dates';
import { el, show, unavailable } from '../dom';
import { number } from '../format';
import { COLORS, legend, lineChart, type Series } from '../svg';

/** Days before `today`: today's figures are still growing and would read as a fall. */
export function completeDays(days: Retention['active'], today: string): Retention['active'] {
  return days.filter((day) => day.date < today);
}

/** The panel from the retention answer (which holds the active users too), without today. */
export function renderActiveUsers(body: HTMLElement, retention: Answer<Retention>, today: string): void {
  if (!retention.ok) {
    unavailable(body, retention);
    return;
  }
  const days = completeDays(retention.data.active, today);
  if (!days.some((day) => day.mau > 0)) {
    show(body, el('div', { class: 'empty' }, 'нет данных: в диапазоне никто не заходил'));
    return;
  }
  const series: Series[] = [
    { name: 'DAU', color: COLORS.blue, values: days.map((day) => day.dau) },
    { name: 'WAU', color: COLORS.teal, values: days.map((day) => day.wau) },
    { name: 'MAU', color: COLORS.violet, values: days.map((day) => day.mau) },
  ];
  const labels = days.map((day) => shortDate(day.date));
  const every = Math.ceil(days.length / 8);
  show(
    body,
    lineChart({ labels, series, labelEvery: every, height: 200 }),
    legend(series),
    lineChart({
      labels,
      series: [
        {
          name: 'DAU/MAU',
          color: COLORS.orange,
          values: days.map((day) => (day.stickiness === null ? null : day.stickiness * 100)),
        },
      ],
      format: (value) => `${number(value)} %`,
      height: 110,
      labelEvery: every,
    }),
    legend([{ name: 'Липкость DAU/MAU, %', color: COLORS.orange }]),
  );
}
