import { HOUR } from '../clock';
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

/**
 * Whether one more notification fits a user's day, from their latest notifications (any order):
 * at most `dailyCap` per UTC day, counting every kind (campaigns, ticket updates, surveys), and
 * never within an hour of the previous one (VK's own hourly limit, which it would answer with
 * code 2). The free slot is the lowest one not taken today.
 */
export function capVerdict(
  latest: readonly Pick<NotificationRecord, 'day' | 'slot' | 'createdAt'>[],
  now: number,
  dailyCap: number,
): CapVerdict {
  const day = utcDay(now);
  const taken = new Set(latest.filter((notification) => notification.day === day).map((n) => n.slot));
  if (taken.size >= dailyCap) return { refused: 'daily_cap' };
  if (latest.some((notification) => now - notification.createdAt < HOUR && notification.createdAt <= now))
    return { refused: 'hourly_limit' };
  for (let slot = 1; slot <= dailyCap; slot++) if (!taken.has(slot)) return { slot };
  return { refused: 'daily_cap' };
}

/**
 * Claims the user's next notification slot of the day: the send key `notify:<user>:<day>` (with
 * `:<slot>` past the first), taken before the VK call in the caller's transaction. Two senders racing
 * for one slot can't both take it, so the cap holds under retries and overlapping runs.
 */
export async function claimNotificationSlot(
  notifications: NotificationRepository,
  notification: Omit<NotificationRecord, 'slot' | 'day' | 'status' | 'updatedAt'>,
  dailyCap: number,
  options: { refuseRepeatText?: boolean } = {},
): Promise<CapVerdict> {
  const latest = await notifications.listByUser(notification.userId, dailyCap + 1);
  // VK refuses a user the same text twice in a row: campaigns skip rather than waste the call.
  if (options.refuseRepeatText && latest[0]?.text === notification.text) return { refused: 'repeat_text' };
  const verdict = capVerdict(latest, notification.createdAt, dailyCap);
  if ('refused' in verdict) return verdict;
  const claimed = await notifications.claim({
    ...notification,
    day: utcDay(notification.createdAt),
    slot: verdict.slot,
    status: 'claimed',
    updatedAt: notification.createdAt,
  });
  return claimed ? verdict : { refused: 'daily_cap' };
}

/** The send key of a user's slot: `random_id` for a lone notification, and the log's name for it. */
export function notificationSendKey(userId: number, day: string, slot: number): string {
  return slot === 1 ? `notify:${userId}:${day}` : `notify:${userId}:${day}:${slot}`;
}
