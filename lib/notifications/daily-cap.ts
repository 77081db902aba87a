import { DAY, HOUR } from '../clock';
import type { NotificationRecord, NotificationRepository } from '../storage/port';

/** VK's own ceiling on a user's notifications a day; the configured cap may only be lower. */
export const VK_DAILY_NOTIFICATION_LIMIT = 3;

export const utcDay = (time: number) => new Date(time).toISOString().slice(0, 10);

/** The first instant of the next UTC day: when a user's daily notification cap frees again. */
export function nextUtcDay(time: number): number {
  const day = new Date(time);
  return Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate() + 1);
}

export type CapVerdict = { slot: number } | { refused: 'daily_cap' | 'hourly_limit' | 'repeat_text' };

/** Which budget a notification spends: campaigns have a cap of their own within VK's allowance. */
export type CapBudget = { kind: 'campaign'; campaignCap: number } | { kind: 'ticket_update' };

/**
 * Whether one more notification fits a user's day, from their latest notifications (any order).
 * VK's allowance holds for every kind: 3 a day, counted over the last 24 hours since VK doesn't say
 * which day it means (so neither reading of it refuses us: code 3), and never within an hour of the
 * previous one (code 2). Within it campaigns have their own cap (`NOTIFY_DAILY_CAP`) of the UTC day,
 * counting campaigns only, and never take the last of the three: that one is kept for ticket
 * updates and surveys, which come first. The free slot is the lowest one not taken today.
 */
export function capVerdict(
  latest: readonly Pick<NotificationRecord, 'day' | 'slot' | 'createdAt' | 'kind'>[],
  now: number,
  budget: CapBudget,
): CapVerdict {
  const day = utcDay(now);
  const today = latest.filter((notification) => notification.day === day);
  const taken = new Set(today.map((notification) => notification.slot));
  const lastDay = inLastDay(latest, now).length;
  if (taken.size >= VK_DAILY_NOTIFICATION_LIMIT || lastDay >= VK_DAILY_NOTIFICATION_LIMIT)
    return { refused: 'daily_cap' };
  if (budget.kind === 'campaign') {
    const campaigns = today.filter((notification) => notification.kind === 'campaign').length;
    if (campaigns >= budget.campaignCap || lastDay >= VK_DAILY_NOTIFICATION_LIMIT - 1)
      return { refused: 'daily_cap' };
  }
  if (latest.some((notification) => now - notification.createdAt < HOUR && notification.createdAt <= now))
    return { refused: 'hourly_limit' };
  for (let slot = 1; slot <= VK_DAILY_NOTIFICATION_LIMIT; slot++) if (!taken.has(slot)) return { slot };
  return { refused: 'daily_cap' };
}

const inLastDay = <T extends Pick<NotificationRecord, 'createdAt'>>(latest: readonly T[], now: number) =>
  latest.filter((notification) => notification.createdAt <= now && now - notification.createdAt < DAY);

/**
 * When a ticket update's refusal lifts: an hour after the latest notification, or when the oldest of
 * the last 24 hours' three is a day old (by then the UTC day whose slots they took is over too).
 */
export function capFreesAt(
  latest: readonly Pick<NotificationRecord, 'createdAt'>[],
  refused: 'daily_cap' | 'hourly_limit',
  now: number,
): number {
  if (refused === 'daily_cap') {
    const lastDay = inLastDay(latest, now)
      .map((notification) => notification.createdAt)
      .sort((a, b) => b - a);
    const oldestOfThree = lastDay[VK_DAILY_NOTIFICATION_LIMIT - 1];
    return oldestOfThree === undefined ? nextUtcDay(now) : oldestOfThree + DAY;
  }
  const newest = Math.max(...latest.map((notification) => notification.createdAt).filter((at) => at <= now));
  return Number.isFinite(newest) ? newest + HOUR : now;
}

/** A claimed slot with the wording it was claimed for, or why not; the user's latest notifications either way. */
export type SlotClaim = (
  | { slot: number; text: string }
  | { refused: 'daily_cap' | 'hourly_limit' | 'repeat_text' }
) & { latest: NotificationRecord[] };

/**
 * Claims the user's next notification slot of the day: the send key `notify:<user>:<day>` (with
 * `:<slot>` past the first), taken before the VK call in the caller's transaction. Two senders racing
 * for one slot can't both take it, so the caps hold under retries and overlapping runs.
 */
export async function claimNotificationSlot(
  notifications: NotificationRepository,
  notification: Omit<NotificationRecord, 'slot' | 'day' | 'status' | 'updatedAt'>,
  budget: CapBudget,
  options: {
    refuseRepeatText?: boolean;
    /** Other wordings to use, in order, when the text is the user's last one (VK refuses a repeat). */
    alternatives?: readonly string[];
  } = {},
): Promise<SlotClaim> {
  const latest = await notifications.listByUser(notification.userId, VK_DAILY_NOTIFICATION_LIMIT + 1);
  const lastText = latest[0]?.text;
  const text = [notification.text, ...(options.alternatives ?? [])].find((wording) => wording !== lastText);
  // VK refuses a user the same text twice in a row: campaigns skip rather than waste the call.
  if (text === undefined || (options.refuseRepeatText && text !== notification.text))
    return { refused: 'repeat_text', latest };
  const verdict = capVerdict(latest, notification.createdAt, budget);
  if ('refused' in verdict) return { ...verdict, latest };
  const claimed = await notifications.claim({
    ...notification,
    text,
    day: utcDay(notification.createdAt),
    slot: verdict.slot,
    status: 'claimed',
    updatedAt: notification.createdAt,
  });
  return claimed ? { ...verdict, text, latest } : { refused: 'daily_cap', latest };
}

/** The send key of a user's slot: `random_id` for a lone notification, and the log's name for it. */
export function notificationSendKey(userId: number, day: string, slot: number): string {
  return slot === 1 ? `notify:${userId}:${day}` : `notify:${userId}:${day}:${slot}`;
}
