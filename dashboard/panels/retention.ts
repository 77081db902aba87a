/** Retention cohorts as a heatmap: weeks of first visit × the share back on days 1, 7 and 30. */
import type { Answer, Retention, Share } from '../api';
import { shortDate } from '../dates';
import { el, show, unavailable } from '../dom';
import { number, percentOfShare } from '../format';
import { TARGETS } from '../targets';

/** Day cohorts folded into weeks of first visit: each share weighted by the users it covers. */
export function weeklyCohorts(cohorts: Retention['cohorts']) {
  const weeks: Array<{ date: string; users: number; d1: Share; d7: Share; d30: Share }> = [];
  for (let start = 0; start < cohorts.length; start += 7) {
    const days = cohorts.slice(start, start + 7);
    const users = days.reduce((sum, day) => sum + day.users, 0);
    const share = (key: 'd1' | 'd7' | 'd30'): Share => {
      const known = days.filter((day) => day[key] !== null && day.users > 0);
      const base = known.reduce((sum, day) => sum + day.users, 0);
      return base === 0 ? null : known.reduce((sum, day) => sum + (day[key] ?? 0) * day.users, 0) / base;
    };
    if (days[0])
      weeks.push({ date: days[0].date, users, d1: share('d1'), d7: share('d7'), d30: share('d30') });
  }
  return weeks.filter((week) => week.users > 0);
}

function heatCell(share: Share): HTMLElement {
  const cell = el('td', { class: 'heat' }, share === null ? '—' : percentOfShare(share));
  if (share === null) {
    cell.style.color = '#b8bfcc';
    return cell;
  }
  // Blue by share: 0 → almost white, 0.6 and above → the accent.
  const strength = Math.min(1, share / 0.6);
  cell.style.background = `rgba(45, 108, 223, ${(0.08 + 0.82 * strength).toFixed(2)})`;
  cell.style.color = strength > 0.55 ? '#fff' : '#1d2433';
  return cell;
}

/** The heatmap, with the D30 target under it. */
export function renderRetention(body: HTMLElement, retention: Answer<Retention>): void {
  if (!retention.ok) {
    unavailable(body, retention);
    return;
  }
  const weeks = weeklyCohorts(retention.data.cohorts);
  if (weeks.length === 0)
    show(body, el('div', { class: 'empty' }, 'нет данных: в диапазоне нет новых пользователей'));
  else {
    const head = el(
      'tr',
      {},
      el('th', {}, 'Неделя первого визита'),
      el('th', {}, 'Новых'),
      el('th', {}, 'День 1'),
      el('th', {}, 'День 7'),
      el('th', {}, 'День 30'),
    );
    const rows = weeks.map((week) =>
      el(
        'tr',
        {},
        el('td', {}, `с ${shortDate(week.date)}`),
        el('td', {}, number(week.users)),
        heatCell(week.d1),
        heatCell(week.d7),
        heatCell(week.d30),
      ),
    );
    show(
      body,
      el('table', {}, el('thead', {}, head), el('tbody', {}, ...rows)),
      el(
        'div',
        { class: 'legend' },
        `Доля когорты, активная на N-й день; «—»: день ещё не настал. Цель D30: ${percentOfShare(TARGETS.d30)}.`,
      ),
    );
  }
}
