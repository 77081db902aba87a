/** Figures as the operator reads them, in Russian: `1 234`, `45 %`, `3,5 ч`, `—` for nothing known. */

export const number = (value: number, digits = 0) =>
  value.toLocaleString('ru-RU', { maximumFractionDigits: digits, minimumFractionDigits: digits });
export const percentOfShare = (share: number | null | undefined, digits = 0) =>
  share === null || share === undefined ? '—' : `${number(share * 100, digits)} %`;
export const percent = (value: number | null | undefined) =>
  value === null || value === undefined ? '—' : `${number(value)} %`;
/** Business minutes as the eye reads them: `45 мин`, `3,5 ч`. */
export function duration(minutes: number | null | undefined): string {
  if (minutes === null || minutes === undefined) return '—';
  if (minutes < 120) return `${number(minutes)} мин`;
  return `${number(minutes / 60, minutes % 60 === 0 ? 0 : 1)} ч`;
}
/** A rate given as a share (0..1) or as a percent: the contract only says "rate". */
export const rateAsPercent = (rate: number | null) => (rate === null ? null : rate <= 1 ? rate * 100 : rate);

/** "4 недели", "8 недель", "21 неделя": Russian plural by the number's last digits. */
export function weeksLabel(weeks: number): string {
  const lastTwo = weeks % 100;
  const last = weeks % 10;
  const word =
    lastTwo >= 11 && lastTwo <= 14
      ? 'недель'
      : last === 1
        ? 'неделя'
        : last >= 2 && last <= 4
          ? 'недели'
          : 'недель';
  return `${weeks} ${word}`;
}
