import type { Clock } from '../clock';
import type { NotificationRecord, NotificationStatus, Store, UserRepository } from '../storage/port';
import type { VkClient } from '../vk/client';
import { claimNotificationSlot, notificationSendKey, utcDay } from './daily-cap';

export { nextUtcDay, utcDay } from './daily-cap';

/** VK's cap on a notification's text. */
export const NOTIFICATION_LIMIT = 254;

export type AppNotificationOutcome = NotificationStatus | 'capped';

/**
 * Lone mini app notifications (ticket updates, CSAT surveys) within VK's allowance, where they come
 * before campaigns (see `capVerdict`): the slot is claimed before the call, so retries and other
 * senders never push a user past it; `capped` when VK's three of the last 24 hours are taken, and
 * `hourly_limit` when the last one went out within the hour. The per-user result is recorded, and a user whose notifications are off is
 * marked so.
 */
export class AppNotifications {
  readonly #deps: { store: Store; clock: Clock; appVk: VkClient };

  constructor(deps: { store: Store; clock: Clock; appVk: VkClient }) {
    this.#deps = deps;
  }

  async send(
    userId: number,
    notification: { text: string; fragment: string; kind: NotificationRecord['kind'] },
  ): Promise<AppNotificationOutcome> {
    const { store, clock } = this.#deps;
    const now = clock.now();
    const text = notification.text.slice(0, NOTIFICATION_LIMIT);
    const verdict = await store.transaction((repositories) =>
      claimNotificationSlot(
        repositories.notifications,
        { userId, kind: notification.kind, campaign: null, variant: null, text, createdAt: now },
        { kind: 'ticket_update' },
      ),
    );
    // Within the hour of the last one: worth trying again in an hour, unlike a spent day.
    if ('refused' in verdict) return verdict.refused === 'hourly_limit' ? 'hourly_limit' : 'capped';
    return this.sendClaimed({ userId, day: utcDay(now), slot: verdict.slot }, { ...notification, text });
  }

  /**
   * Sends a notification whose slot the caller claimed (`claimNotificationSlot` in its own
   * transaction) and records VK's answer. Safe to repeat: the slot's send key is VK's `random_id`.
   */
  async sendClaimed(
    slot: { userId: number; day: string; slot: number },
    notification: { text: string; fragment: string },
  ): Promise<NotificationStatus> {
    const { store, clock, appVk } = this.#deps;
    const [result] = await appVk.sendNotification({
      userIds: [slot.userId],
      text: notification.text.slice(0, NOTIFICATION_LIMIT),
      fragment: notification.fragment,
      sendKey: notificationSendKey(slot.userId, slot.day, slot.slot),
    });
    const status = notificationStatus(result);
    await store.transaction(async (repositories) => {
      await repositories.notifications.setStatus(slot, status, clock.now());
      if (status === 'notifications_off')
        await markNotificationsOff(repositories.users, slot.userId, clock.now());
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
