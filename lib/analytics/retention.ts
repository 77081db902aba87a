import type { ActivityRecord, Repositories } from '../storage/port';
import { dateOfDay } from './activity';

/**
 * Retention cohorts and DAU/WAU/MAU from the users' daily activity records (lib/analytics/activity.ts):
 * one read of the records of users active since 29 days before the range (the `last_day` index, page
 * by page), never of the events.
 */

/** The days after the first one a cohort is looked at: day 1, day 7, day 30. */
const COHORT_DAYS = [1, 7, 30] as const;
const WEEK = 7;
const MONTH = 30;
const PAGE = 2000;

export interface CohortRow {
  date: string;
  /** Users whose first active day this was. */
  users: number;
  /** The share (0..1) of them active on day N after it; null while day N is ahead, or no users. */
  d1: number | null;
  d7: number | null;
  d30: number | null;
}

export interface ActiveRow {
  date: string;
  dau: number;
  /** Distinct users active in the 7 days ending on `date`. */
  wau: number;
  /** Distinct users active in the 30 days ending on `date`. */
  mau: number;
  /** dau / mau (0..1); null without monthly users. */
  stickiness: number | null;
}

const share = (part: number, whole: number) =>
  whole > 0 ? Math.round((part / whole) * 10_000) / 10_000 : null;

/** Cohorts and active users for the local dates `[fromDay, toDay]` (day numbers), as of `today`. */
export async function retentionBetween(
  repositories: Repositories,
  range: { fromDay: number; toDay: number; today: number },
): Promise<{ cohorts: CohortRow[]; active: ActiveRow[] }> {
  const tally = new RetentionTally(range);
  let after: { lastDay: number; userId: number } | undefined;
  for (;;) {
    const page = await repositories.activity.listActiveSince(range.fromDay - (MONTH - 1), {
      limit: PAGE,
      ...(after ? { after } : {}),
    });
    for (const record of page) tally.add(record);
    const last = page.at(-1);
    if (!last || page.length < PAGE) break;
    after = { lastDay: last.lastDay, userId: last.userId };
  }
  return tally.result();
}

/** Counts as records come, in arrays by day: memory grows with the range, not with the users. */
export class RetentionTally {
  readonly #fromDay: number;
  readonly #toDay: number;
  readonly #today: number;
  readonly #cohortUsers: number[];
  readonly #cohortReturns: number[][];
  readonly #dau: number[];
  /** Difference arrays: +1 where a user's coverage starts, −1 after it ends. */
  readonly #wau: number[];
  readonly #mau: number[];

  constructor(range: { fromDay: number; toDay: number; today: number }) {
    this.#fromDay = range.fromDay;
    this.#toDay = range.toDay;
    this.#today = range.today;
    const length = range.toDay - range.fromDay + 1;
    this.#cohortUsers = new Array<number>(length).fill(0);
    this.#cohortReturns = COHORT_DAYS.map(() => new Array<number>(length).fill(0));
    this.#dau = new Array<number>(length).fill(0);
    this.#wau = new Array<number>(length + 1).fill(0);
    this.#mau = new Array<number>(length + 1).fill(0);
  }

  add(record: ActivityRecord): void {
    const bits = Buffer.from(record.activeDays, 'base64');
    const activeOn = (day: number) => {
      const index = day - record.firstDay;
      return index >= 0 && index < bits.length * 8 && (bits[index >> 3]! & (1 << (index & 7))) !== 0;
    };
    const from = this.#fromDay;
    const cohort = record.firstDay - from;
    if (cohort >= 0 && record.firstDay <= this.#toDay) {
      this.#cohortUsers[cohort]!++;
      COHORT_DAYS.forEach((n, which) => {
        if (record.firstDay + n <= this.#today && activeOn(record.firstDay + n))
          this.#cohortReturns[which]![cohort]!++;
      });
    }
    // Each active day from 29 days before the range covers the next 7 (WAU) and 30 (MAU) days; a
    // user counts once a day, so a day only extends what their earlier days covered already.
    let weekCovered = from - 1;
    let monthCovered = from - 1;
    const start = Math.max(record.firstDay, from - (MONTH - 1));
    const end = Math.min(record.lastDay, this.#toDay);
    for (let day = start; day <= end; day++) {
      if (!activeOn(day)) continue;
      if (day >= from) this.#dau[day - from]!++;
      weekCovered = this.#cover(this.#wau, day, WEEK, weekCovered);
      monthCovered = this.#cover(this.#mau, day, MONTH, monthCovered);
    }
  }

  /** Marks the days `[day, day + span)` not covered yet (after `covered`), within the range. */
  #cover(diff: number[], day: number, span: number, covered: number): number {
    const first = Math.max(day, covered + 1, this.#fromDay);
    const last = Math.min(day + span - 1, this.#toDay);
    if (first <= last) {
      diff[first - this.#fromDay]!++;
      diff[last - this.#fromDay + 1]!--;
    }
    return Math.max(covered, day + span - 1);
  }

  result(): { cohorts: CohortRow[]; active: ActiveRow[] } {
    const cohorts: CohortRow[] = [];
    const active: ActiveRow[] = [];
    let wau = 0;
    let mau = 0;
    for (let index = 0; index <= this.#toDay - this.#fromDay; index++) {
      const day = this.#fromDay + index;
      const users = this.#cohortUsers[index]!;
      const [d1, d7, d30] = COHORT_DAYS.map((n, which) =>
        day + n <= this.#today ? share(this.#cohortReturns[which]![index]!, users) : null,
      );
      cohorts.push({ date: dateOfDay(day), users, d1: d1 ?? null, d7: d7 ?? null, d30: d30 ?? null });
      wau += this.#wau[index]!;
      mau += this.#mau[index]!;
      const dau = this.#dau[index]!;
      active.push({ date: dateOfDay(day), dau, wau, mau, stickiness: share(dau, mau) });
    }
    return { cohorts, active };
  }
}
