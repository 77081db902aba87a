import { createHash } from 'node:crypto';
import type { Campaign } from '../campaigns/campaign';
import type { Clock } from '../clock';
import type { Logger } from '../log/logger';
import { markNotificationsOff, notificationStatus } from '../notifications/app-notification';
import { claimNotificationSlot } from '../notifications/daily-cap';
import type { CampaignDeliveryRecord, Store, UserRecord } from '../storage/port';
import type { VkClient } from '../vk/client';
import { VkApiError, VkFloodControlError, VkTooManyRequestsError } from '../vk/errors';
import type { CampaignBatch } from './batch';
import { triageBatch } from './batch-triage';
import { type AudienceSettings, audienceProblem } from './decide';

export interface SenderDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  /** The service token's client, paced by the shared rate gate. */
  appVk: VkClient;
  settings: AudienceSettings;
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

type Call = { sendKey: string; rows: CampaignDeliveryRecord[] };

/**
 * Sends one batch from the notify queue. For each user: the delivery row must still be `planned`
 * (a redelivered batch finds it done and skips it), consent, type, quiet hours and the exit rule are
 * checked again, then the user's notification slot of the day is claimed (the send key
 * `notify:<user>:<day>`) in one transaction with the row, before the call. Only then one
 * `notifications.sendMessage` goes for everyone claimed, with a `random_id` from the claimed set.
 *
 * At most once, by design: a crash between the claim and the call leaves the rows `claimed`; the
 * redelivered batch repeats the call with the same `random_id` within 50 minutes (VK drops a
 * duplicate within the hour) and later gives those users up for the day rather than risk a second
 * notification. When VK certainly sent nothing (9, or 6 after backing off) the slots are given back
 * and the batch is retried later.
 */
export async function sendCampaignBatch(deps: SenderDeps, batch: CampaignBatch): Promise<BatchOutcome> {
  const { store, clock, logger } = deps;
  const now = clock.now();
  const results: Record<string, number> = {};
  const count = (status: string, by = 1) => {
    results[status] = (results[status] ?? 0) + by;
  };
  const keyOf = (userId: number) => ({ userId, campaign: batch.campaign, day: batch.day });
  const { retries, candidates, skips } = await triageBatch(deps, batch, now, (user, campaign) =>
    audienceProblemForSending(user, now, deps.settings, campaign),
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
      if ('refused' in verdict) {
        const status = verdict.refused === 'repeat_text' ? 'skipped' : 'capped';
        await r.deliveries.put({ ...current, status, detail: verdict.refused, updatedAt: now });
        counted.count(`${status}:${verdict.refused}`);
        continue;
      }
      taken.push({ ...current, status: 'claimed', slot: verdict.slot, claimedAt: now, updatedAt: now });
    }
    const sendKey = sendKeyOf(batch, taken);
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
      logger.warn('campaign batch postponed', { campaign: batch.campaign, users: batch.userIds.length });
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

/** The send key of one VK call: the batch and exactly the users claimed in it. */
function sendKeyOf(batch: CampaignBatch, rows: readonly CampaignDeliveryRecord[]): string {
  const users = rows
    .map((row) => row.userId)
    .sort((a, b) => a - b)
    .join(',');
  const digest = createHash('sha256').update(users).digest('base64url').slice(0, 16);
  return `campaign:${batch.day}:${batch.campaign}:${batch.variant}:${digest}`;
}

async function sendOne(
  deps: SenderDeps,
  batch: CampaignBatch,
  call: Call,
  count: (status: string, by?: number) => void,
): Promise<'done' | 'retry_later'> {
  const { store, clock, logger } = deps;
  let answer: Awaited<ReturnType<VkClient['sendNotification']>>;
  try {
    answer = await deps.appVk.sendNotification({
      userIds: call.rows.map((row) => row.userId),
      text: batch.text,
      fragment: batch.fragment,
      sendKey: call.sendKey,
    });
  } catch (error) {
    if (error instanceof VkFloodControlError || error instanceof VkTooManyRequestsError) {
      await release(store, call.rows, clock.now());
      return 'retry_later';
    }
    if (error instanceof VkApiError && !error.retryable) {
      // VK refused the request itself (a revoked token, a bad parameter): nothing was sent. The rows
      // go back to planned and the batch fails, so the queue retries it and then parks it in the
      // dead-letter queue for ops.
      await release(store, call.rows, clock.now());
      throw error;
    }
    // No answer (timeouts, 5xx, error 10 after retries): VK may have sent it. Keep the claims; the
    // redelivered batch repeats this very call.
    logger.warn('campaign send unconfirmed', { campaign: batch.campaign, users: call.rows.length });
    throw new UnconfirmedSendError(`${call.rows.length} notifications of ${batch.campaign} unconfirmed`, {
      cause: error,
    });
  }
  const byUser = new Map(answer.map((result) => [result.user_id, result]));
  const now = clock.now();
  const recorded = await store.transaction(async (r) => {
    const counted = tally(); // per attempt, as above
    for (const row of call.rows) {
      const status = notificationStatus(byUser.get(row.userId));
      await r.deliveries.put({ ...row, status, updatedAt: now });
      if (row.slot !== null)
        await r.notifications.setStatus({ userId: row.userId, day: row.day, slot: row.slot }, status, now);
      if (status === 'notifications_off') await markNotificationsOff(r.users, row.userId, now);
      counted.count(status);
    }
    return counted.counts;
  });
  for (const [status, by] of Object.entries(recorded)) count(status, by);
  return 'done';
}

/** VK certainly sent nothing: the users' slots are given back and their rows planned again. */
async function release(store: Store, rows: readonly CampaignDeliveryRecord[], now: number): Promise<void> {
  await store.transaction(async (r) => {
    for (const row of rows) {
      if (row.slot !== null)
        await r.notifications.release({ userId: row.userId, day: row.day, slot: row.slot });
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
