import type { Campaign } from '../campaigns/campaign';
import { markNotificationsOff, notificationStatus } from '../notifications/app-notification';
import { claimNotificationSlot } from '../notifications/daily-cap';
import type { UserRecord } from '../storage/port';
import type { VkClient } from '../vk/client';
import type { CampaignBatch } from './batch';
import {
  type BatchDeliveryDeps,
  type BatchOutcome,
  type DeliveryChannel,
  deliverBatch,
} from './batch-delivery';
import { type AudienceSettings, audienceProblem } from './decide';

export { type BatchOutcome, tally, UnconfirmedSendError } from './batch-delivery';

export interface SenderDeps extends BatchDeliveryDeps {
  /** The service token's client, paced by the shared rate gate. */
  appVk: VkClient;
  settings: AudienceSettings;
}

type NotificationAnswer = Awaited<ReturnType<VkClient['sendNotification']>>;

/**
 * Sends one notification batch of a daily campaign (lib/dispatcher/batch-delivery.ts): the user's
 * notification slot of the day is claimed (the send key `notify:<user>:<day>`, within VK's and the
 * campaigns' caps; a text the user got last is refused), then one `notifications.sendMessage` goes
 * for everyone claimed; VK's per-user answer is recorded on the row and the slot (notifications
 * turned off: the user's permission too).
 */
export async function sendCampaignBatch(deps: SenderDeps, batch: CampaignBatch): Promise<BatchOutcome> {
  return deliverBatch(deps, batch, notificationChannel(deps, batch));
}

function notificationChannel(deps: SenderDeps, batch: CampaignBatch): DeliveryChannel<NotificationAnswer> {
  return {
    name: 'campaign',
    audienceProblem: (user, campaign) =>
      audienceProblemForSending(user, deps.clock.now(), deps.settings, campaign),
    claim: async (r, row, now) => {
      const verdict = await claimNotificationSlot(
        r.notifications,
        {
          userId: row.userId,
          kind: 'campaign',
          campaign: batch.campaign,
          variant: batch.variant,
          text: batch.text,
          createdAt: now,
        },
        { kind: 'campaign', campaignCap: deps.settings.dailyCap },
        { refuseRepeatText: true },
      );
      if (!('refused' in verdict)) return { slot: verdict.slot };
      return { status: verdict.refused === 'repeat_text' ? 'skipped' : 'capped', detail: verdict.refused };
    },
    call: (rows, sendKey) =>
      deps.appVk.sendNotification({
        userIds: rows.map((row) => row.userId),
        text: batch.text,
        fragment: batch.fragment,
        sendKey,
      }),
    record: async (r, row, answer, now) => {
      const status = notificationStatus(answer.find((result) => result.user_id === row.userId));
      await r.deliveries.put({ ...row, status, updatedAt: now });
      if (row.slot !== null)
        await r.notifications.setStatus({ userId: row.userId, day: row.day, slot: row.slot }, status, now);
      if (status === 'notifications_off') await markNotificationsOff(r.users, row.userId, now);
      return status;
    },
    releaseSlot: (r, row) => r.notifications.release({ userId: row.userId, day: row.day, slot: row.slot }),
  };
}

function audienceProblemForSending(
  user: UserRecord,
  now: number,
  settings: AudienceSettings,
  campaign: Campaign | undefined,
): string | null {
  // The cap is checked by the claim itself; consent, quiet hours and type may have changed since planning.
  const problem = audienceProblem(user, [], now, settings);
  if (problem) return problem;
  if (campaign && !user.notificationTypes[campaign.type]) return 'type_off';
  return null;
}
