import { DAY } from '../clock';
import { localParts } from '../schedule/business-hours';
import type { ActivityRecord, Repositories, Store } from '../storage/port';

/**
 * Each user's daily activity record: the local dates (the community's timezone) they sent any event
 * on, kept as a bitmap as events arrive (`recordActivity`, in the events' transaction). Retention and
 * DAU/WAU/MAU read these records (lib/analytics/retention.ts), never the events.
 */

/** A local date as a day number: days since 1970-01-01. */
export function dayOf(time: number, timezone: string): number {
  const { year, month, day } = localParts(time, timezone);
  return Date.UTC(year, month - 1, day) / DAY;
}

export function dateOfDay(day: number): string {
  return new Date(day * DAY).toISOString().slice(0, 10);
}

/** `YYYY-MM-DD` to its day number; NaN for anything else. */
export function dayOfDate(date: string): number {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return Number.NaN;
  const time = Date.parse(`${date}T00:00:00Z`);
  return Number.isNaN(time) || dateOfDay(time / DAY) !== date ? Number.NaN : time / DAY;
}

function bitsOf(record: Pick<ActivityRecord, 'activeDays'>): Uint8Array {
  return Buffer.from(record.activeDays, 'base64');
}

/** Whether the user was active on `day`. */
export function isActiveOn(record: ActivityRecord, day: number, bits = bitsOf(record)): boolean {
  const index = day - record.firstDay;
  if (index < 0) return false;
  const byte = bits[index >> 3];
  return byte !== undefined && (byte & (1 << (index & 7))) !== 0;
}

/** The user's active days, in order. */
export function activeDaysOf(record: ActivityRecord): number[] {
  const bits = bitsOf(record);
  const days: number[] = [];
  for (let index = 0; index < bits.length * 8; index++)
    if ((bits[index >> 3]! & (1 << (index & 7))) !== 0) days.push(record.firstDay + index);
  return days;
}

/**
 * The record with `days` marked active, or null when they all were already (nothing to write). A
 * day before the first one (an event the app sent late) moves the bitmap's start back.
 */
export function markActive(
  record: ActivityRecord | null,
  userId: number,
  days: readonly number[],
  now: number,
): ActivityRecord | null {
  if (days.length === 0) return null;
  const earliest = Math.min(...days);
  const firstDay = record ? Math.min(record.firstDay, earliest) : earliest;
  const latest = Math.max(...days, record?.lastDay ?? earliest);
  const shift = record ? record.firstDay - firstDay : 0;
  const old = record ? bitsOf(record) : new Uint8Array(0);
  const bits = new Uint8Array(((latest - firstDay) >> 3) + 1);
  // The old bits, moved by `shift` days when the start moved back.
  for (let index = 0; index < old.length * 8; index++)
    if ((old[index >> 3]! & (1 << (index & 7))) !== 0) {
      const moved = index + shift;
      bits[moved >> 3]! |= 1 << (moved & 7);
    }
  let changed = record === null || shift > 0;
  for (const day of days) {
    const index = day - firstDay;
    const mask = 1 << (index & 7);
    if ((bits[index >> 3]! & mask) === 0) {
      bits[index >> 3]! |= mask;
      changed = true;
    }
  }
  if (!changed) return null;
  return {
    userId,
    firstDay,
    lastDay: latest,
    activeDays: Buffer.from(bits).toString('base64'),
    updatedAt: now,
  };
}

/**
 * Marks the days of a batch of events on the user's record, in the caller's transaction: one point
 * read, and a write only on the first event of a day.
 */
export async function recordActivity(
  repositories: Repositories,
  userId: number,
  eventTimes: readonly number[],
  timezone: string,
  now: number,
): Promise<void> {
  const days = [...new Set(eventTimes.map((time) => dayOf(time, timezone)))];
  if (days.length === 0) return;
  const updated = markActive(await repositories.activity.get(userId), userId, days, now);
  if (updated) await repositories.activity.put(updated);
}

/**
 * Builds the activity records of users who sent events before the record existed, from their stored
 * events: users by id, a batch a transaction, each merged into whatever record they have (marking a
 * day twice changes nothing), so a run that stopped is run again or resumed after the last id printed.
 */
export async function backfillActivity(
  store: Store,
  options: {
    timezone: string;
    now: number;
    batch: number;
    afterUserId?: number;
    onBatch?: (progress: { users: number; written: number; lastUserId: number }) => void;
  },
): Promise<{ users: number; written: number }> {
  let afterUserId = options.afterUserId ?? 0;
  let users = 0;
  let written = 0;
  for (;;) {
    const page = await store.read((r) => r.users.listPage({ afterUserId, limit: options.batch }));
    if (page.length === 0) break;
    written += await store.transaction(async (r) => {
      let count = 0;
      for (const user of page) {
        const events = await r.events.listByUser(user.userId, {
          since: 0,
          until: options.now + 1,
          limit: 100_000,
        });
        const days = [...new Set(events.map((event) => dayOf(event.occurredAt, options.timezone)))];
        const updated = markActive(await r.activity.get(user.userId), user.userId, days, options.now);
        if (updated) {
          await r.activity.put(updated);
          count++;
        }
      }
      return count;
    });
    users += page.length;
    afterUserId = page.at(-1)!.userId;
    options.onBatch?.({ users, written, lastUserId: afterUserId });
  }
  return { users, written };
}
