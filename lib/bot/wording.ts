import { DAY } from '../clock';
import { render } from '../i18n/catalog';
import { localParts } from '../schedule/business-hours';
import type { Language } from '../storage/port';

/** "Good morning" … "Good night" by the local hour in the community's timezone. */
export function greetingFor(now: number, timezone: string, language: Language): string {
  const { hour } = localParts(now, timezone);
  const part =
    hour >= 5 && hour < 12 ? 'morning' : hour >= 12 && hour < 17 ? 'day' : hour >= 17 ? 'evening' : 'night';
  return render(language, `greeting.${part}`);
}

/**
 * An instant as people say it relative to now, in the community's timezone: "сегодня до 15:30",
 * "завтра с 9:00", "в понедельник с 10:00", "12.01 с 9:00". `preposition` is at / from / by.
 */
export function describeMoment(
  at: number,
  now: number,
  timezone: string,
  language: Language,
  preposition: 'at' | 'from' | 'by',
): string {
  const target = localParts(at, timezone);
  const today = localParts(now, timezone);
  const time = `${target.hour}:${String(target.minute).padStart(2, '0')}`;
  const dayNumber = (p: { year: number; month: number; day: number }) =>
    Date.UTC(p.year, p.month - 1, p.day) / DAY;
  const daysAhead = dayNumber(target) - dayNumber(today);
  const variables = { preposition: render(language, `preposition.${preposition}`), time };
  if (daysAhead === 0) return render(language, 'when.today', variables);
  if (daysAhead === 1) return render(language, 'when.tomorrow', variables);
  if (daysAhead > 1 && daysAhead < 7)
    return render(language, 'when.weekday', {
      ...variables,
      weekday: render(language, `weekday.${target.weekday}`),
    });
  const date = `${String(target.day).padStart(2, '0')}.${String(target.month).padStart(2, '0')}`;
  return render(language, 'when.date', { ...variables, date });
}
