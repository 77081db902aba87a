import type { Clock } from '../clock';
import type { NotificationRecord, NotificationStatus, Store } from '../storage/port';
import type { VkClient } from '../vk/client';

/** VK's cap on a notification's text. */
export const NOTIFICATION_LIMIT = 254;

export const utcDay = (time: number) => new Date(time).toISOString().slice(0, 10);

/** The first instant of the next UTC day: when a user's daily notification cap frees again. */
export function nextUtcDay(time: number): number {
  const day = new Date(time);
  return Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate() + 1);
}

export type AppNotificationOutcome = NotificationStatus | 'capped';

/**
 * One mini app notification to one user, within the daily cap: the (user, UTC day) claim is taken
 * before the call, so at most one notification a day reaches a user whatever retries or other
 * senders (campaigns, ticket updates, surveys) do; `capped` when the day's is taken already. The
 * per-user result is recorded, and a user whose notifications are off is marked so.
 */
export async function sendAppNotification(
  deps: { store: Store; clock: Clock; appVk: VkClient },
  userId: number,
  notification: { text: string; fragment: string; kind: NotificationRecord['kind'] },
): Promise<AppNotificationOutcome> {
  const { store, clock } = deps;
  const now = clock.now();
  const day = utcDay(now);
  const text = notification.text.slice(0, NOTIFICATION_LIMIT);
  const claimed = await store.transaction((repositories) =>
    repositories.notifications.claim({
      userId,
      day,
      kind: notification.kind,
      campaign: null,
      variant: null,
      text,
      status: 'claimed',
      createdAt: now,
      updatedAt: now,
    }),
  );
  if (!claimed) return 'capped';
  const [result] = await deps.appVk.sendNotification({
    userIds: [userId],
    text,
    fragment: notification.fragment,
    sendKey: `notify:${userId}:${day}`,
  });
  const status = notificationStatus(result);
  await store.transaction(async (repositories) => {
    await repositories.notifications.setStatus(userId, day, status, clock.now());
    if (status === 'notifications_off') {
      const current = await repositories.users.get(userId);
      if (current)
        await repositories.users.put({ ...current, notificationsAllowed: false, updatedAt: clock.now() });
    }
  });
  return status;
}

/** VK's per-user result of `notifications.sendMessage` (error codes 1–4) as a recorded status. */
export function notificationStatus(
  result: { status: boolean; error?: { code: number } } | undefined,
): NotificationStatus {
  if (result?.status) return 'sent';
  switch (result?.error?.code) {
    case 1:
      return 'notifications_off';
    case 2:
      return 'hourly_limit';
    case 3:
      return 'daily_limit';
    case 4:
      return 'app_not_installed';
    default:
      return 'failed';
  }
}
