import * as z from 'zod';
import { releaseMarketingMessageSlot, takeMarketingMessageSlot } from '../journeys/message-cap';
import type { DeliveryStatus } from '../storage/port';
import { recordNotAllowed } from '../users/account';
import type { VkClient } from '../vk/client';
import { randomIdFor } from '../vk/random-id';
import type { CampaignBatch } from './batch';
import { type BatchOutcome, type DeliveryChannel, deliverBatch } from './batch-delivery';
import { messageAudienceProblem } from './decide';
import type { SenderDeps } from './sender';

export interface MessageSenderDeps extends Omit<SenderDeps, 'appVk'> {
  /** The community token's client (`messages.send`); without it message batches are skipped. */
  groupVk?: VkClient;
}

/** VK: not allowed to write to this user (901), or they are in the community's blacklist (902). */
const NOT_ALLOWED = new Set([901, 902]);

/** `messages.send` with `peer_ids`: one entry per peer (VK's `messages_send_user_ids_response`). */
const peerIdsAnswerSchema = z.array(
  z.object({
    peer_id: z.number(),
    message_id: z.number().optional(),
    error: z.object({ code: z.number(), description: z.string().optional() }).optional(),
  }),
);

type PeersAnswer = z.infer<typeof peerIdsAnswerSchema>;

/**
 * Sends one message batch of a daily campaign (lib/dispatcher/batch-delivery.ts), with the
 * community's marketing message cap in place of the notification slot: one of the user's marketing
 * messages of the day is claimed (`marketing-message:<user>:<day>:<n>`, shared with journeys'
 * messages) with the row, before the call. One `messages.send` with `peer_ids` (≤ 100) goes for
 * everyone claimed, its `random_id` from the batch and exactly its users; VK answers per peer:
 * `sent`, `not_allowed` (901/902: the permission is recorded as lost) or `failed`.
 */
export async function sendMessageBatch(deps: MessageSenderDeps, batch: CampaignBatch): Promise<BatchOutcome> {
  return deliverBatch(deps, batch, messageChannel(deps, batch));
}

function messageChannel(deps: MessageSenderDeps, batch: CampaignBatch): DeliveryChannel<PeersAnswer> {
  const messagesDailyCap = deps.settings.messagesDailyCap ?? 1;
  return {
    name: 'campaign-message',
    audienceProblem: (user) =>
      !deps.groupVk ? 'no_group_token' : messageAudienceProblem(user, deps.clock.now(), deps.settings),
    claim: async (r, row, now) => {
      const slot = await takeMarketingMessageSlot(
        r,
        row.userId,
        now,
        messagesDailyCap,
        `campaign:${batch.day}:${batch.campaign}:${row.userId}`,
      );
      return slot === null ? { status: 'capped', detail: 'daily_cap' } : { slot };
    },
    call: async (rows, sendKey) => {
      const groupVk = deps.groupVk;
      if (!groupVk) throw new Error('a message batch needs the community token'); // skipped above
      return peerIdsAnswerSchema.parse(
        await groupVk.call<unknown>('messages.send', {
          peer_ids: rows.map((row) => row.userId).join(','),
          random_id: randomIdFor(sendKey),
          message: batch.text,
          dont_parse_links: true,
        }),
      );
    },
    record: async (r, row, answer, now) => {
      const entry = answer.find((candidate) => candidate.peer_id === row.userId);
      const status = peerStatus(entry);
      const detail = status === 'sent' ? null : String(entry?.error?.code ?? 'no_answer');
      await r.deliveries.put({ ...row, status, detail, updatedAt: now });
      if (status === 'not_allowed') await recordNotAllowed(r, row.userId, now);
      return status;
    },
    releaseSlot: (r, row, now) =>
      releaseMarketingMessageSlot(r, { userId: row.userId, day: row.day, slot: row.slot }, now),
  };
}

/**
 * One peer's result. A peer VK didn't answer for, or answered with another error, is `failed`; its
 * marketing message stays taken (VK may count it as sent).
 */
function peerStatus(entry: z.infer<typeof peerIdsAnswerSchema>[number] | undefined): DeliveryStatus {
  if (!entry) return 'failed';
  const code = entry.error?.code;
  if (code === undefined) return 'sent';
  return NOT_ALLOWED.has(code) ? 'not_allowed' : 'failed';
}
