/** Dates on the browser's local calendar, as the operator reads it. */

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
