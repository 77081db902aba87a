import type { Clock } from '../clock';
import type { NotificationRecord, NotificationStatus, Store, UserRepository } from '../storage/port';
import type { VkClient } from '../vk/client';
import { claimNotificationSlot, notificationSendKey, utcDay } from './daily-cap';

export { nextUtcDay, utcDay } from './daily-cap';

/** VK's cap on a notification's text. */
export const NOTIFICATION_LIMIT = 254;

export type AppNotificationOutcome = NotificationStatus | 'capped';

/**
 * Lone mini app notifications (ticket updates, CSAT surveys) within the user's daily cap, which
 * campaigns share: the slot is claimed before the call, so retries and other senders never push a
 * user past the cap; `capped` when the day's slots are taken (or the last one went out within the
 * hour). The per-user result is recorded, and a user whose notifications are off is marked so.
 */
export class AppNotifications {
  readonly #deps: { store: Store; clock: Clock; appVk: VkClient; dailyCap: number };

  constructor(deps: { store: Store; clock: Clock; appVk: VkClient; dailyCap: number }) {
    this.#deps = deps;
  }

  async send(
    userId: number,
    notification: { text: string; fragment: string; kind: NotificationRecord['kind'] },
  ): Promise<AppNotificationOutcome> {
    const { store, clock, appVk, dailyCap } = this.#deps;
    const now = clock.now();
    const day = utcDay(now);
    const text = notification.text.slice(0, NOTIFICATION_LIMIT);
    const verdict = await store.transaction((repositories) =>
      claimNotificationSlot(
        repositories.notifications,
        { userId, kind: notification.kind, campaign: null, variant: null, text, createdAt: now },
        dailyCap,
      ),
    );
    if ('refused' in verdict) return 'capped';
    const key = { userId, day, slot: verdict.slot };
    const [result] = await appVk.sendNotification({
      userIds: [userId],
      text,
      fragment: notification.fragment,
      sendKey: notificationSendKey(userId, day, verdict.slot),
    });
    const status = notificationStatus(result);
    await store.transaction(async (repositories) => {
      await repositories.notifications.setStatus(key, status, clock.now());
      if (status === 'notifications_off') await markNotificationsOff(repositories.users, userId, clock.now());
    });
    return status;
  }
}

/** VK said this user turned notifications off: not tried again until they allow them again. */
export async function markNotificationsOff(
  users: UserRepository,
  userId: number,
  now: number,
): Promise<void> {
  const current = await users.get(userId);
  if (current?.notificationsAllowed)
    await users.put({ ...current, notificationsAllowed: false, updatedAt: now });
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
