/** The tables of support times per category and per screen. */
import type { Answer, SupportMetrics } from '../api';
import { el, show, unavailable } from '../dom';
import { duration, number, percent } from '../format';
import { COLORS } from '../svg';
import { TARGETS } from '../targets';

const CATEGORY_NAMES: Record<string, string> = {
  bug: 'Ошибка',
  question: 'Вопрос',
  suggestion: 'Предложение',
  payment: 'Оплата',
};

/** Support times per category or per screen, with the SLA targets where the group has one. */
export function renderGroups(
  body: HTMLElement,
  support: Answer<SupportMetrics>,
  by: 'byCategory' | 'byScreen',
  title: string,
): void {
  if (!support.ok) {
    unavailable(body, support);
    return;
  }
  const entries = Object.entries(support.data[by] ?? {})
    .sort(([, a], [, b]) => b.tickets - a.tickets)
    .slice(0, 8);
  if (entries.length === 0) {
    show(body, el('div', { class: 'empty' }, 'нет данных: обращений в диапазоне нет'));
    return;
  }
  const head = el(
    'tr',
    {},
    ...[title, 'Шт.', 'Ответ (медиана)', 'в срок', 'Решение (медиана)', 'в срок'].map((name) =>
      el('th', {}, name),
    ),
  );
  const rows = entries.map(([group, figures]) => {
    const targets =
      typeof figures.firstResponse?.targetMinutes === 'number' &&
      typeof figures.resolution?.targetMinutes === 'number'
        ? el(
            'span',
            { class: 'target' },
            `SLA ${duration(figures.firstResponse.targetMinutes)} / ${duration(figures.resolution.targetMinutes)}`,
          )
        : null;
    const within = (value: number | null | undefined) => {
      const cell = el('td', {}, percent(value));
      if (value !== null && value !== undefined)
        cell.style.color =
          value >= TARGETS.withinTargetPercent ? COLORS.green : value >= 60 ? COLORS.orange : COLORS.red;
      return cell;
    };
    return el(
      'tr',
      {},
      el('td', {}, by === 'byCategory' ? (CATEGORY_NAMES[group] ?? group) : group, targets),
      el('td', {}, number(figures.tickets)),
      el('td', {}, duration(figures.firstResponse?.median)),
      within(figures.firstResponse?.withinTargetPercent),
      el('td', {}, duration(figures.resolution?.median)),
      within(figures.resolution?.withinTargetPercent),
    );
  });
  show(body, el('table', {}, el('thead', {}, head), el('tbody', {}, ...rows)));
}
