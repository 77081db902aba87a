import { createHash } from 'node:crypto';
import * as z from 'zod';
import { releaseMarketingMessageSlot, takeMarketingMessageSlot } from '../journeys/message-cap';
import type { CampaignDeliveryRecord, DeliveryStatus, Store } from '../storage/port';
import { recordNotAllowed } from '../users/account';
import type { VkClient } from '../vk/client';
import { VkApiError, VkFloodControlError, VkTooManyRequestsError } from '../vk/errors';
import { randomIdFor } from '../vk/random-id';
import type { CampaignBatch } from './batch';
import { triageBatch } from './batch-triage';
import { messageAudienceProblem } from './decide';
import { type BatchOutcome, type SenderDeps, tally, UnconfirmedSendError } from './sender';

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

type Call = { sendKey: string; rows: CampaignDeliveryRecord[] };

/**
 * Sends one message batch of a daily campaign: the same steps as a notification batch
 * (lib/dispatcher/sender.ts), with the community's marketing message cap in place of the
 * notification slot. For each user the row must still be `planned`; the permission, quiet hours and
 * the exit rule are checked again; then one of the user's marketing messages of the day is claimed
 * (`marketing-message:<user>:<day>:<n>`, shared with journeys' messages) with the row, before the
 * call. One `messages.send` with `peer_ids` (≤ 100) goes for everyone claimed, its `random_id` from
 * the batch and exactly its users; VK answers per peer: `sent`, `not_allowed` (901/902: the
 * permission is recorded as lost) or `failed`.
 *
 * At most once: a crash after the claim leaves the rows `claimed`, and the redelivered batch repeats
 * the very call (same `random_id`, which VK dedups per peer within the hour) for 50 minutes, then
 * gives those users up for the day.
 */
export async function sendMessageBatch(deps: MessageSenderDeps, batch: CampaignBatch): Promise<BatchOutcome> {
  const { store, clock, logger } = deps;
  const now = clock.now();
  const results: Record<string, number> = {};
  const count = (status: string, by = 1) => {
    results[status] = (results[status] ?? 0) + by;
  };
  const keyOf = (userId: number) => ({ userId, campaign: batch.campaign, day: batch.day });
  const messagesDailyCap = deps.settings.messagesDailyCap ?? 1;
  const { retries, candidates, skips } = await triageBatch(deps, batch, now, (user) =>
    !deps.groupVk ? 'no_group_token' : messageAudienceProblem(user, now, deps.settings),
  );

  const claimed = await store.transaction(async (r) => {
    const counted = tally(); // per attempt, added up after the commit
    const taken: CampaignDeliveryRecord[] = [];
    for (const skip of skips) {
      await r.deliveries.put(skip);
      counted.count(skip.status === 'failed' ? 'unconfirmed' : `skipped:${skip.detail}`);
    }
    for (const { row } of candidates) {
      const current = await r.deliveries.get(keyOf(row.userId));
      if (current?.status !== 'planned') continue; // another delivery of this batch got here first
      const slot = await takeMarketingMessageSlot(
        r,
        row.userId,
        now,
        messagesDailyCap,
        `campaign:${batch.day}:${batch.campaign}:${row.userId}`,
      );
      if (slot === null) {
        await r.deliveries.put({ ...current, status: 'capped', detail: 'daily_cap', updatedAt: now });
        counted.count('capped:daily_cap');
        continue;
      }
      taken.push({ ...current, status: 'claimed', slot, claimedAt: now, updatedAt: now });
    }
    const sendKey = messageSendKeyOf(batch, taken);
    for (const row of taken) await r.deliveries.put({ ...row, sendKey });
    return { sendKey, rows: taken.map((row) => ({ ...row, sendKey })), counts: counted.counts };
  });
  for (const [status, by] of Object.entries(claimed.counts)) count(status, by);

  const calls: Call[] = [...retries].map(([sendKey, rows]) => ({ sendKey, rows }));
  if (claimed.rows.length > 0) calls.push(claimed);
  for (const [index, call] of calls.entries()) {
    const outcome = await sendOne(deps, batch, call, count);
    if (outcome === 'retry_later') {
      // VK refused the whole call: nothing went out; the later calls of this batch wait too.
      for (const later of calls.slice(index + 1)) await release(store, later.rows, clock.now());
      logger.warn('campaign message batch postponed', {
        campaign: batch.campaign,
        users: batch.userIds.length,
      });
      return { results, retryAfterSeconds: 60 };
    }
  }
  return { results };
}

/** The key of one `messages.send`: the batch and exactly the users claimed in it (its `random_id`). */
function messageSendKeyOf(batch: CampaignBatch, rows: readonly CampaignDeliveryRecord[]): string {
  const users = rows
    .map((row) => row.userId)
    .sort((a, b) => a - b)
    .join(',');
  const digest = createHash('sha256').update(users).digest('base64url').slice(0, 16);
  return `campaign-message:${batch.day}:${batch.campaign}:${batch.variant}:${digest}`;
}

async function sendOne(
  deps: MessageSenderDeps,
  batch: CampaignBatch,
  call: Call,
  count: (status: string, by?: number) => void,
): Promise<'done' | 'retry_later'> {
  const { store, clock, logger } = deps;
  const groupVk = deps.groupVk;
  if (!groupVk) throw new Error('a message batch needs the community token'); // skipped above
  let answer: z.infer<typeof peerIdsAnswerSchema>;
  try {
    answer = peerIdsAnswerSchema.parse(
      await groupVk.call<unknown>('messages.send', {
        peer_ids: call.rows.map((row) => row.userId).join(','),
        random_id: randomIdFor(call.sendKey),
        message: batch.text,
        dont_parse_links: true,
      }),
    );
  } catch (error) {
    if (error instanceof VkFloodControlError || error instanceof VkTooManyRequestsError) {
      await release(store, call.rows, clock.now());
      return 'retry_later';
    }
    if (error instanceof VkApiError && !error.retryable) {
      // VK refused the request itself (a revoked token, a bad parameter): nothing was sent. The rows
      // go back to planned and the batch fails: the queue retries it, then parks it for ops.
      await release(store, call.rows, clock.now());
      throw error;
    }
    // No answer (timeouts, 5xx, 10 after retries): VK may have sent it. The claims stay; the
    // redelivered batch repeats this very call with the same random_id.
    logger.warn('campaign message unconfirmed', { campaign: batch.campaign, users: call.rows.length });
    throw new UnconfirmedSendError(`${call.rows.length} messages of ${batch.campaign} unconfirmed`, {
      cause: error,
    });
  }
  const byPeer = new Map(answer.map((entry) => [entry.peer_id, entry]));
  const now = clock.now();
  const recorded = await store.transaction(async (r) => {
    const counted = tally(); // per attempt, as above
    for (const row of call.rows) {
      const status = peerStatus(byPeer.get(row.userId));
      const detail = status === 'sent' ? null : String(byPeer.get(row.userId)?.error?.code ?? 'no_answer');
      await r.deliveries.put({ ...row, status, detail, updatedAt: now });
      if (status === 'not_allowed') await recordNotAllowed(r, row.userId, now);
      counted.count(status);
    }
    return counted.counts;
  });
  for (const [status, by] of Object.entries(recorded)) count(status, by);
  return 'done';
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

/** VK certainly sent nothing: the users' marketing messages are given back and their rows planned again. */
async function release(store: Store, rows: readonly CampaignDeliveryRecord[], now: number): Promise<void> {
  await store.transaction(async (r) => {
    for (const row of rows) {
      if (row.slot !== null)
        await releaseMarketingMessageSlot(r, { userId: row.userId, day: row.day, slot: row.slot }, now);
      await r.deliveries.put({
        ...row,
        status: 'planned',
        slot: null,
        sendKey: null,
        claimedAt: null,
        updatedAt: now,
      });
    }
  });
}
