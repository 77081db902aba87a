import type { Campaign } from '../campaigns/campaign';
import { lookback, matches } from '../campaigns/segment';
import { DAY, MINUTE } from '../clock';
import { utcDay } from '../notifications/daily-cap';
import type { CampaignDeliveryRecord, Repositories, Store, UserRecord } from '../storage/port';
import type { CampaignBatch } from './batch';

/**
 * Within VK's one-hour `random_id` window: a call whose answer was lost may be repeated with the
 * same key (VK drops the copy). Past it a repeat could notify twice, so the users are given up.
 */
export const SAME_KEY_RETRY_WINDOW = 50 * MINUTE;
/** A batch's users sorted before any send: what to repeat, what to try, what to record as skipped. */
export interface BatchTriage {
  /** Rows claimed by an earlier delivery of this batch whose call went unanswered, by their send key. */
  retries: Map<string, CampaignDeliveryRecord[]>;
  /** Rows still `planned` whose user may be reached now. */
  candidates: Array<{ row: CampaignDeliveryRecord; user: UserRecord }>;
  /** Rows to record as they are: skipped (with why) or given up as unconfirmed. */
  skips: CampaignDeliveryRecord[];
}

/**
 * Reads a batch's delivery rows, users and exit rule and sorts them, the same for every channel: a
 * row `claimed` and unanswered is repeated within VK's `random_id` window, later given up; a row no
 * longer `planned` was done by an earlier delivery; a planned one is skipped when its day is over,
 * its user is gone, `audienceProblem` names a reason, or the campaign's exit is reached.
 */
export async function triageBatch(
  deps: { store: Store; campaigns: readonly Campaign[] },
  batch: CampaignBatch,
  now: number,
  audienceProblem: (user: UserRecord, campaign: Campaign | undefined) => string | null,
): Promise<BatchTriage> {
  const campaign = deps.campaigns.find((candidate) => candidate.id === batch.campaign);
  const keyOf = (userId: number) => ({ userId, campaign: batch.campaign, day: batch.day });
  const loaded = await deps.store.read((r) =>
    Promise.all(
      batch.userIds.map(async (userId) => ({
        row: await r.deliveries.get(keyOf(userId)),
        user: await r.users.get(userId),
        exited: campaign?.exit ? await exitReached(r, campaign, userId, now) : false,
      })),
    ),
  );
  const triage: BatchTriage = { retries: new Map(), candidates: [], skips: [] };
  for (const { row, user, exited } of loaded) {
    if (!row) continue; // erased since
    if (row.status === 'claimed') {
      if (row.sendKey && row.claimedAt !== null && now - row.claimedAt < SAME_KEY_RETRY_WINDOW) {
        triage.retries.set(row.sendKey, [...(triage.retries.get(row.sendKey) ?? []), row]);
      } else {
        triage.skips.push({ ...row, status: 'failed', detail: 'unconfirmed', updatedAt: now });
      }
      continue;
    }
    if (row.status !== 'planned') continue; // done by an earlier delivery of this batch
    const reason =
      batch.day !== utcDay(now)
        ? 'expired'
        : !user
          ? 'consent'
          : (audienceProblem(user, campaign) ?? (exited ? 'exited' : null));
    if (reason) triage.skips.push({ ...row, status: 'skipped', detail: reason, updatedAt: now });
    else if (user) triage.candidates.push({ row, user });
  }
  return triage;
}

/** Whether the user did what the campaign's exit rule names, since it was planned: then nothing is sent. */
export async function exitReached(
  r: Repositories,
  campaign: Campaign,
  userId: number,
  now: number,
): Promise<boolean> {
  if (!campaign.exit) return false;
  const { eventDays } = lookback(campaign.exit);
  const events = await r.events.listByUser(userId, {
    since: now - eventDays * DAY,
    until: now + 1,
    limit: 10_000,
  });
  return matches(campaign.exit, { events, resolvedTickets: [] }, now);
}
