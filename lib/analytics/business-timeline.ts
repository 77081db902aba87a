import type { BusinessHours } from '../schedule/business-hours';

/**
 * Business time between instants by lookup: the working periods of a window listed once with the
 * business time before each, so a duration is two binary searches instead of a walk over the days
 * (which `BusinessHours.businessTimeBetween` does, with timezone arithmetic each day). For reports
 * that measure tens of thousands of tickets; outside the window it asks the business hours.
 *
 * @example
 * const timeline = new BusinessTimeline(hours, since, now);
 * timeline.businessTimeBetween(ticket.createdAt, respondedAt); // === hours.businessTimeBetween(…)
 */
export class BusinessTimeline {
  readonly #hours: BusinessHours;
  readonly #from: number;
  readonly #until: number;
  readonly #opens: number[] = [];
  readonly #closes: number[] = [];
  /** Business time from the window's first period to each period's opening. */
  readonly #before: number[] = [];

  constructor(hours: BusinessHours, from: number, until: number) {
    this.#hours = hours;
    this.#from = from;
    let total = 0;
    let complete = false;
    for (const [open, close] of hours.periodsFrom(from)) {
      if (open >= until) {
        complete = true;
        break;
      }
      this.#opens.push(open);
      this.#closes.push(close);
      this.#before.push(total);
      total += close - open;
    }
    // The business hours list a year ahead: past the last period they listed, ask them.
    this.#until = complete ? until : (this.#closes[this.#closes.length - 1] ?? from);
  }

  /** Business time from the first period to `time`; `time` within the window. */
  #elapsed(time: number): number {
    // The last period opening at or before `time`.
    let low = 0;
    let high = this.#opens.length - 1;
    let found = -1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      if ((this.#opens[middle] ?? 0) <= time) {
        found = middle;
        low = middle + 1;
      } else high = middle - 1;
    }
    if (found < 0) return 0;
    const open = this.#opens[found] ?? 0;
    const close = this.#closes[found] ?? 0;
    return (this.#before[found] ?? 0) + Math.min(time, close) - open;
  }

  /** As `BusinessHours.businessTimeBetween`: business ms between two instants, 0 if `to` is not after `from`. */
  businessTimeBetween(from: number, to: number): number {
    if (to <= from) return 0;
    if (from < this.#from || to > this.#until) return this.#hours.businessTimeBetween(from, to);
    return this.#elapsed(to) - this.#elapsed(from);
  }
}
