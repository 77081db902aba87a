import { createHash } from 'node:crypto';
import * as z from 'zod';
import { type Clock, DAY, MINUTE } from '../clock';
import { describeError } from '../errors';
import type { Logger } from '../log/logger';
import {
  markNotificationsOff,
  NOTIFICATION_LIMIT,
  notificationStatus,
} from '../notifications/app-notification';
import { capFreesAt, claimNotificationSlot, utcDay } from '../notifications/daily-cap';
import type { DeferredJobs } from '../queue/deferred';
import { createJob, type JobHandler } from '../queue/jobs';
import type { BroadcastRecord, NotificationStatus, Repositories, Store } from '../storage/port';
import { recordNotAllowed } from '../users/account';
import type { VkClient } from '../vk/client';
import { VkApiError } from '../vk/errors';
import { randomIdFor } from '../vk/random-id';
import { broadcastAudienceSchema, readAudiencePage } from './audience';
import { BROADCAST_BATCH_JOB, broadcastBatchJob } from './broadcast';

export { BROADCAST_BATCH_JOB } from './broadcast';

/** VK drops a repeated `random_id` within the hour: past this an unconfirmed send is given up, not repeated. */
const SAME_KEY_RETRY_WINDOW = 50 * MINUTE;
/** How long a user's per-broadcast record (its send key) is kept. */
const RECIPIENT_CLAIM_TTL = 30 * DAY;
/** VK: not allowed to write to this user (901), or they are in the community's blacklist (902). */
const NOT_ALLOWED = new Set([901, 902]);

const batchPayloadSchema = z.object({
  broadcastId: z.string().min(1),
  batch: z.number().int().min(0),
  afterUserId: z.number().int().min(0),
  /** A run of this batch again, for the users who were waiting out VK's hour (counted `waiting`). */
  waited: z.boolean().optional(),
});

/** `messages.send` with `peer_ids`: one entry per peer (VK's `messages_send_user_ids_response`). */
const peerIdsAnswerSchema = z.array(
  z.object({
    peer_id: z.number(),
    message_id: z.number().optional(),
    conversation_message_id: z.number().optional(),
    error: z.object({ code: z.number(), description: z.string().optional() }).optional(),
  }),
);

/** A recipient's record under `broadcast:<id>:<user>`: taken before the call, settled after it. */
const recipientSchema = z.object({
  status: z.string(),
  via: z.enum(['message', 'notification']),
  batch: z.number(),
  claimedAt: z.number(),
  /** The notification slot claimed (VK's per-user allowance), for a notification. */
  slot: z.number().nullable(),
  day: z.string().nullable(),
});
type Recipient = z.infer<typeof recipientSchema> & { userId: number };

const recipientKey = (broadcastId: string, userId: number) => `broadcast:${broadcastId}:${userId}`;

export interface BroadcastJobDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  /** The community token's client: `messages.send`. */
  groupVk: VkClient;
  /** The service token's client: `notifications.sendMessage`; without it notifications are skipped. */
  appVk: VkClient | undefined;
  deferred: DeferredJobs;
}

export function broadcastJobHandlers(deps: BroadcastJobDeps): Record<string, JobHandler> {
  return { [BROADCAST_BATCH_JOB]: (job) => sendBroadcastBatch(deps, batchPayloadSchema.parse(job.payload)) };
}

/**
 * Sends one batch: reads its page of the audience, claims each recipient's key (and, for a
 * notification, their slot of VK's daily allowance, on the ticket updates' budget: a broadcast is not
 * marketing) and creates the next batch's job in one transaction, sends at most one `messages.send`
 * and one `notifications.sendMessage` of ≤ 100 users each under keys derived from the broadcast and
 * the batch, then settles each user's result and the broadcast's counts. A retried batch finds its
 * users settled and sends nothing; one whose call went unanswered repeats it under the same key
 * within the hour (VK drops the copy), later it gives those users up as `unconfirmed`.
 */
async function sendBroadcastBatch(deps: BroadcastJobDeps, payload: z.infer<typeof batchPayloadSchema>) {
  const { store, clock, logger } = deps;
  const now = clock.now();
  const prepared = await store.read(async (r) => {
    const broadcast = await r.broadcasts.get(payload.broadcastId);
    if (!broadcast) return null;
    const audience = broadcastAudienceSchema.parse(broadcast.audience);
    return {
      broadcast,
      page: await readAudiencePage(r, audience, broadcast.channel, payload.afterUserId, now),
    };
  });
  if (!prepared) return; // erased or never committed
  const { broadcast, page } = prepared;
  const next =
    page.nextAfterUserId === null
      ? null
      : broadcastBatchJob(broadcast.broadcastId, payload.batch + 1, page.nextAfterUserId, now);

  const claimed = await store.transaction(async (r) => {
    const counts: Record<string, number> = {};
    const count = (status: string, by = 1) => {
      counts[status] = (counts[status] ?? 0) + by;
    };
    const toSend: Recipient[] = [];
    const givenUp: Recipient[] = [];
    let waitUntil: number | null = null;
    for (const { user, via } of page.recipients) {
      const key = recipientKey(broadcast.broadcastId, user.userId);
      const held = await r.claims.get(key, now);
      if (held) {
        const earlier = recipientSchema.safeParse(held.value);
        // Claimed by this batch and unanswered: the same call again, or given up past VK's window.
        if (earlier.success && earlier.data.status === 'queued' && earlier.data.batch === payload.batch) {
          const recipient = { ...earlier.data, userId: user.userId };
          if (now - earlier.data.claimedAt < SAME_KEY_RETRY_WINDOW) toSend.push(recipient);
          else givenUp.push(recipient);
        }
        continue; // settled, or another batch's
      }
      // In a run for the waiting, every user not settled yet is one of them: no longer waiting.
      if (payload.waited) count('waiting', -1);
      let slot: number | null = null;
      if (via === 'notification') {
        const verdict = await claimNotificationSlot(
          r.notifications,
          {
            userId: user.userId,
            kind: 'ticket_update',
            campaign: null,
            variant: null,
            text: broadcast.text.slice(0, NOTIFICATION_LIMIT),
            createdAt: now,
          },
          { kind: 'ticket_update' },
        );
        if ('refused' in verdict && verdict.refused === 'hourly_limit') {
          // Notified within the hour (a ticket update, a journey): the incident notice waits out the
          // hour in a later run of this batch, rather than being skipped.
          waitUntil = Math.max(waitUntil ?? 0, capFreesAt(verdict.latest, 'hourly_limit', now));
          count('waiting');
          continue;
        }
        if ('refused' in verdict) {
          await takeRecipient(
            r,
            broadcast,
            user.userId,
            {
              status: `skipped:${verdict.refused}`,
              via,
              batch: payload.batch,
              claimedAt: now,
              slot: null,
              day: null,
            },
            now,
          );
          count(`skipped:${verdict.refused}`);
          continue;
        }
        slot = verdict.slot;
      }
      const recipient = {
        status: 'queued',
        via,
        batch: payload.batch,
        claimedAt: now,
        slot,
        day: slot === null ? null : utcDay(now),
      };
      if (!(await takeRecipient(r, broadcast, user.userId, recipient, now))) continue;
      count('queued');
      toSend.push({ ...recipient, userId: user.userId });
    }
    if (next) await createJob(r, next, now);
    // This batch again when the hour frees: it finds the others settled and sends to the waiting.
    const again =
      waitUntil === null
        ? null
        : (() => {
            const job = broadcastBatchJob(
              broadcast.broadcastId,
              payload.batch,
              payload.afterUserId,
              waitUntil,
            );
            return {
              ...job,
              jobId: `broadcast:${broadcast.broadcastId}:${payload.batch}:after:${waitUntil}`,
              payload: { ...job.payload, waited: true },
            };
          })();
    if (again) await createJob(r, again, now);
    await addCounts(r, broadcast.broadcastId, counts, now, false);
    return { toSend, givenUp, again };
  });

  const results = new Map<number, { status: string }>();
  for (const recipient of claimed.givenUp) results.set(recipient.userId, { status: 'failed:unconfirmed' });
  const messages = claimed.toSend.filter((recipient) => recipient.via === 'message');
  const notifications = claimed.toSend.filter((recipient) => recipient.via === 'notification');
  // Either call throwing leaves its users queued: the job's retry repeats the call with the same key.
  if (messages.length > 0) {
    for (const [userId, result] of await sendMessages(deps, broadcast, payload.batch, messages))
      results.set(userId, result);
  }
  if (notifications.length > 0) {
    for (const [userId, result] of await sendNotifications(deps, broadcast, payload.batch, notifications))
      results.set(userId, result);
  }

  const byUser = new Map(
    [...claimed.toSend, ...claimed.givenUp].map((recipient) => [recipient.userId, recipient]),
  );
  await store.transaction(async (r) => {
    const settledAt = clock.now();
    const counts: Record<string, number> = {};
    for (const [userId, result] of results) {
      const recipient = byUser.get(userId);
      const key = recipientKey(broadcast.broadcastId, userId);
      const held = await r.claims.get(key, settledAt);
      const current = recipientSchema.safeParse(held?.value);
      if (!recipient || !current.success || current.data.status !== 'queued') continue; // settled already
      await r.claims.put({
        key,
        value: { ...current.data, status: result.status },
        createdAt: held?.createdAt ?? settledAt,
        expiresAt: settledAt + RECIPIENT_CLAIM_TTL,
      });
      counts.queued = (counts.queued ?? 0) - 1;
      counts[result.status] = (counts[result.status] ?? 0) + 1;
      if (result.status === 'not_allowed') await recordNotAllowed(r, userId, settledAt);
      if (recipient.via === 'notification' && recipient.slot !== null && recipient.day !== null) {
        const slot = { userId, day: recipient.day, slot: recipient.slot };
        // Not sent for certain: the slot of VK's allowance goes back to the user's day.
        if (result.status.startsWith('skipped:')) await r.notifications.release(slot);
        else await r.notifications.setStatus(slot, result.status as NotificationStatus, settledAt);
        if (result.status === 'notifications_off') await markNotificationsOff(r.users, userId, settledAt);
      }
    }
    await addCounts(r, broadcast.broadcastId, counts, settledAt, next === null && claimed.again === null);
  });
  logger.info('broadcast batch sent', {
    broadcastId: broadcast.broadcastId,
    batch: payload.batch,
    messages: messages.length,
    notifications: notifications.length,
  });
  // The next batch goes once this one is done: batches run one after another, never past the gate.
  const followUps = [next, claimed.again].filter((job) => job !== null);
  if (followUps.length > 0) {
    await deps.deferred.dispatchCommitted(followUps).catch((error: unknown) => {
      logger.warn('deferred dispatch failed; the rescue timer will retry', { error: describeError(error) });
    });
  }
}

/** Takes the recipient's key with its record; false if someone else took it meanwhile. */
async function takeRecipient(
  r: Repositories,
  broadcast: BroadcastRecord,
  userId: number,
  record: z.infer<typeof recipientSchema>,
  now: number,
): Promise<boolean> {
  const outcome = await r.claims.take({
    key: recipientKey(broadcast.broadcastId, userId),
    value: record,
    createdAt: now,
    expiresAt: now + RECIPIENT_CLAIM_TTL,
  });
  return outcome !== 'held';
}

/** Adds per-status changes to the broadcast's counts; `finished` marks the last batch done. */
async function addCounts(
  r: Repositories,
  broadcastId: string,
  changes: Record<string, number>,
  now: number,
  finished: boolean,
): Promise<void> {
  const broadcast = await r.broadcasts.get(broadcastId);
  if (!broadcast) return;
  const counts = { ...broadcast.counts };
  for (const [status, by] of Object.entries(changes)) {
    const value = (counts[status] ?? 0) + by;
    if (value === 0) delete counts[status];
    else counts[status] = value;
  }
  await r.broadcasts.update({
    ...broadcast,
    counts,
    status: finished ? 'done' : broadcast.status,
    updatedAt: now,
  });
}

/** One `messages.send` to ≤ 100 peers; `random_id` from the broadcast and batch (VK dedups it per peer). */
async function sendMessages(
  deps: BroadcastJobDeps,
  broadcast: BroadcastRecord,
  batch: number,
  recipients: readonly Recipient[],
): Promise<Map<number, { status: string }>> {
  const answer = await deps.groupVk.call<unknown>('messages.send', {
    peer_ids: recipients.map((recipient) => recipient.userId).join(','),
    random_id: randomIdFor(`broadcast:${broadcast.broadcastId}:${batch}`),
    message: broadcast.text,
    dont_parse_links: true,
  });
  const byPeer = new Map(peerIdsAnswerSchema.parse(answer).map((entry) => [entry.peer_id, entry]));
  return new Map(
    recipients.map((recipient) => {
      const entry = byPeer.get(recipient.userId);
      const code = entry?.error?.code;
      const status = !entry
        ? 'failed'
        : code === undefined
          ? 'sent'
          : NOT_ALLOWED.has(code)
            ? 'not_allowed'
            : 'failed';
      return [recipient.userId, { status }];
    }),
  );
}

/** One `notifications.sendMessage` to ≤ 100 users; the send key is the batch and exactly its users. */
async function sendNotifications(
  deps: BroadcastJobDeps,
  broadcast: BroadcastRecord,
  batch: number,
  recipients: readonly Recipient[],
): Promise<Map<number, { status: string }>> {
  if (!deps.appVk)
    return new Map(recipients.map((recipient) => [recipient.userId, { status: 'skipped:no_service_token' }]));
  const userIds = recipients.map((recipient) => recipient.userId).sort((a, b) => a - b);
  const digest = createHash('sha256').update(userIds.join(',')).digest('base64url').slice(0, 16);
  try {
    const answer = await deps.appVk.sendNotification({
      userIds,
      text: broadcast.text.slice(0, NOTIFICATION_LIMIT),
      sendKey: `broadcast:${broadcast.broadcastId}:${batch}:${digest}`,
    });
    const byUser = new Map(answer.map((result) => [result.user_id, result]));
    return new Map(userIds.map((userId) => [userId, { status: notificationStatus(byUser.get(userId)) }]));
  } catch (error) {
    // A request VK refused as a whole for good (not a limit, not a lost answer): nobody got it.
    if (error instanceof VkApiError && !error.retryable && error.errorCode !== 9 && error.errorCode !== 6)
      return new Map(userIds.map((userId) => [userId, { status: 'failed' }]));
    throw error;
  }
}
