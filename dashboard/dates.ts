/**
 * Dates as calendar days. "Today" is the server's (the community's timezone, `APP_TIMEZONE`): the page
 * carries it in `<meta name="ops-today">`, so a lead in another timezone, or a local stack whose dev
 * clock runs ahead, sees the days the figures are counted in. Arithmetic is on date-only values.
 */

const pad = (value: number) => String(value).padStart(2, '0');
export const isoDate = (date: Date) =>
  `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
export const addDays = (date: Date, days: number) =>
  new Date(date.getFullYear(), date.getMonth(), date.getDate() + days);
export const shortDate = (iso: string) => `${iso.slice(8, 10)}.${iso.slice(5, 7)}`;

export interface Period {
  from: string;
  to: string;
}
/** The whole weeks of the last `days` days up to `today`, oldest first. */
export function weeksOf(days: number, today: Date): Period[] {
  const weeks: Period[] = [];
  for (let start = days - 1; start >= 6; start -= 7)
    weeks.push({ from: isoDate(addDays(today, -start)), to: isoDate(addDays(today, -start + 6)) });
  return weeks;
}

/** The server's today from the page, else the browser's (a page served without it). */
export function serverToday(): Date {
  const served = document.querySelector<HTMLMetaElement>('meta[name="ops-today"]')?.content ?? '';
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(served);
  if (!match) return new Date();
  return new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
}
