import { createHash } from 'node:crypto';
import type { Campaign } from '../campaigns/campaign';
import type { Clock } from '../clock';
import type { Logger } from '../log/logger';
import type {
  CampaignDeliveryRecord,
  DeliveryStatus,
  Repositories,
  Store,
  UserRecord,
} from '../storage/port';
import { VkApiError, VkFloodControlError, VkTooManyRequestsError } from '../vk/errors';
import type { CampaignBatch } from './batch';
import { triageBatch } from './batch-triage';

/**
 * One batch of a daily campaign from the notify queue, whatever its channel (a mini app notification:
 * lib/dispatcher/sender.ts; a community message: lib/dispatcher/message-sender.ts). For each user the
 * delivery row must still be `planned` (a redelivered batch finds it done and skips it), and the
 * channel's audience rules and the campaign's exit are checked again; then the user's slot of the day
 * is claimed (the channel's: a notification slot, a marketing message) in one transaction with the
 * row, before the call. Only then one VK call goes for everyone claimed, its `random_id` from the
 * claimed set (the send key).
 *
 * At most once, by design: a crash between the claim and the call leaves the rows `claimed`; the
 * redelivered batch repeats the very call with the same `random_id` within 50 minutes (VK drops a
 * duplicate within the hour) and later gives those users up for the day rather than risk sending
 * twice. When VK certainly sent nothing (9, or 6 after backing off) the slots are given back and the
 * batch is retried later.
 */

export interface BatchDeliveryDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  campaigns: readonly Campaign[];
}

export interface BatchOutcome {
  /** Per-user results of this delivery, by status. */
  results: Record<string, number>;
  /** VK refused the call as a whole (9, or 6 after backing off): send the batch again after this. */
  retryAfterSeconds?: number;
}

/** Thrown when VK's answer is unknown: the batch must come back (queue redelivery) to retry the same key. */
export class UnconfirmedSendError extends Error {
  override readonly name = 'UnconfirmedSendError';
}

/** What differs between a notification batch and a message batch. */
export interface DeliveryChannel<Answer> {
  /** The send keys' prefix and the logs' name: `campaign`, `campaign-message`. */
  name: string;
  /** Why this user can't get it now (consent, quiet hours, type…), or null. */
  audienceProblem(user: UserRecord, campaign: Campaign | undefined): string | null;
  /** Claims the user's slot of the day in the claim's transaction, or says why not. */
  claim(
    r: Repositories,
    row: CampaignDeliveryRecord,
    now: number,
  ): Promise<{ slot: number } | { status: DeliveryStatus; detail: string }>;
  /** The one VK call for the claimed users. */
  call(rows: readonly CampaignDeliveryRecord[], sendKey: string): Promise<Answer>;
  /** Records one user's outcome in the answer's transaction; the status it counts as. */
  record(r: Repositories, row: CampaignDeliveryRecord, answer: Answer, now: number): Promise<string>;
  /** Gives a user's slot back: VK certainly sent nothing. */
  releaseSlot(r: Repositories, row: CampaignDeliveryRecord & { slot: number }, now: number): Promise<void>;
}

type Call = { sendKey: string; rows: CampaignDeliveryRecord[] };

export async function deliverBatch<Answer>(
  deps: BatchDeliveryDeps,
  batch: CampaignBatch,
  channel: DeliveryChannel<Answer>,
): Promise<BatchOutcome> {
  const { store, clock, logger } = deps;
  const now = clock.now();
  const results: Record<string, number> = {};
  const count = (status: string, by = 1) => {
    results[status] = (results[status] ?? 0) + by;
  };
  const keyOf = (userId: number) => ({ userId, campaign: batch.campaign, day: batch.day });
  const { retries, candidates, skips } = await triageBatch(deps, batch, now, (user, campaign) =>
    channel.audienceProblem(user, campaign),
  );

  const claimed = await store.transaction(async (r) => {
    // Counted per attempt and added up after the commit: a retried attempt must not count twice.
    const counted = tally();
    const taken: CampaignDeliveryRecord[] = [];
    for (const skip of skips) {
      await r.deliveries.put(skip);
      counted.count(skip.status === 'failed' ? 'unconfirmed' : `skipped:${skip.detail}`);
    }
    for (const { row } of candidates) {
      const current = await r.deliveries.get(keyOf(row.userId));
      if (current?.status !== 'planned') continue; // another delivery of this batch got here first
      const verdict = await channel.claim(r, current, now);
      if ('status' in verdict) {
        await r.deliveries.put({
          ...current,
          status: verdict.status,
          detail: verdict.detail,
          updatedAt: now,
        });
        counted.count(`${verdict.status}:${verdict.detail}`);
        continue;
      }
      taken.push({ ...current, status: 'claimed', slot: verdict.slot, claimedAt: now, updatedAt: now });
    }
    const sendKey = sendKeyOf(channel.name, batch, taken);
    for (const row of taken) await r.deliveries.put({ ...row, sendKey });
    return { sendKey, rows: taken.map((row) => ({ ...row, sendKey })), counts: counted.counts };
  });
  for (const [status, by] of Object.entries(claimed.counts)) count(status, by);

  const calls: Call[] = [...retries].map(([sendKey, rows]) => ({ sendKey, rows }));
  if (claimed.rows.length > 0) calls.push(claimed);
  for (const [index, call] of calls.entries()) {
    const outcome = await sendOne(deps, batch, channel, call, count);
    if (outcome === 'retry_later') {
      // VK refused the whole call: nothing went out; the later calls of this batch wait too.
      for (const later of calls.slice(index + 1)) await release(deps, channel, later.rows);
      logger.warn(`${channel.name} batch postponed`, {
        campaign: batch.campaign,
        users: batch.userIds.length,
      });
      return { results, retryAfterSeconds: 60 };
    }
  }
  return { results };
}

/** Counts by status, made inside one transaction attempt. */
export function tally() {
  const counts: Record<string, number> = {};
  return {
    counts,
    count: (status: string, by = 1) => {
      counts[status] = (counts[status] ?? 0) + by;
    },
  };
}

/** The send key of one VK call: the batch and exactly the users claimed in it (its `random_id`). */
function sendKeyOf(prefix: string, batch: CampaignBatch, rows: readonly CampaignDeliveryRecord[]): string {
  const users = rows
    .map((row) => row.userId)
    .sort((a, b) => a - b)
    .join(',');
  const digest = createHash('sha256').update(users).digest('base64url').slice(0, 16);
  return `${prefix}:${batch.day}:${batch.campaign}:${batch.variant}:${digest}`;
}

async function sendOne<Answer>(
  deps: BatchDeliveryDeps,
  batch: CampaignBatch,
  channel: DeliveryChannel<Answer>,
  call: Call,
  count: (status: string, by?: number) => void,
): Promise<'done' | 'retry_later'> {
  let answer: Answer;
  try {
    answer = await channel.call(call.rows, call.sendKey);
  } catch (error) {
    if (error instanceof VkFloodControlError || error instanceof VkTooManyRequestsError) {
      await release(deps, channel, call.rows);
      return 'retry_later';
    }
    if (error instanceof VkApiError && !error.retryable) {
      // VK refused the request itself (a revoked token, a bad parameter): nothing was sent. The rows
      // go back to planned and the batch fails, so the queue retries it and then parks it in the
      // dead-letter queue for ops.
      await release(deps, channel, call.rows);
      throw error;
    }
    // No answer (timeouts, 5xx, error 10 after retries): VK may have sent it. Keep the claims; the
    // redelivered batch repeats this very call with the same random_id.
    deps.logger.warn(`${channel.name} send unconfirmed`, {
      campaign: batch.campaign,
      users: call.rows.length,
    });
    throw new UnconfirmedSendError(`${call.rows.length} sends of ${batch.campaign} unconfirmed`, {
      cause: error,
    });
  }
  const now = deps.clock.now();
  const recorded = await deps.store.transaction(async (r) => {
    const counted = tally(); // per attempt, as above
    for (const row of call.rows) counted.count(await channel.record(r, row, answer, now));
    return counted.counts;
  });
  for (const [status, by] of Object.entries(recorded)) count(status, by);
  return 'done';
}

/** VK certainly sent nothing: the users' slots are given back and their rows planned again. */
async function release<Answer>(
  deps: BatchDeliveryDeps,
  channel: DeliveryChannel<Answer>,
  rows: readonly CampaignDeliveryRecord[],
): Promise<void> {
  const now = deps.clock.now();
  await deps.store.transaction(async (r) => {
    for (const row of rows) {
      if (row.slot !== null) await channel.releaseSlot(r, { ...row, slot: row.slot }, now);
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
