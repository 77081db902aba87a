import type { Campaign } from '../campaigns/campaign';
import type { Clock } from '../clock';
import type { Logger } from '../log/logger';
import { utcDay } from '../notifications/daily-cap';
import type { Store } from '../storage/port';
import type { CampaignBatch } from './batch';
import type { AudienceSettings } from './decide';
import { type PlanReport, planCampaigns } from './plan';
import { type LeasedRunState, takeRunLease } from './run-lease';

/** The claim a day's run (or a one-campaign run) keeps its state in; `npm run doctor` reads it. */
export function dispatchClaimKey(day: string, campaign?: string): string {
  return campaign ? `dispatch:${day}:${campaign}` : `dispatch:${day}`;
}

export interface RunState extends LeasedRunState {
  campaign: string | null;
  cursor: number;
  report: PlanReport | null;
}

export interface DailyRunResult {
  day: string;
  /** False when this day's run finished already, or another one is alive (a re-fired or overlapping timer). */
  started: boolean;
  report?: PlanReport;
}

/**
 * The dispatcher's run for a day (or, for ops, for one campaign): `dispatch:<day>` is claimed
 * first, so a re-fired timer or two overlapping runs plan once. The claim keeps the run's cursor and
 * heartbeat: a run that died part way (a timeout) is resumed by the next fire from its last
 * checkpoint instead of being lost for the day, and it records when the last run finished and what
 * it planned (for `npm run doctor`).
 */
export async function runDailyDispatch(deps: {
  store: Store;
  clock: Clock;
  logger: Logger;
  campaigns: readonly Campaign[];
  settings: AudienceSettings;
  enqueue: (batches: CampaignBatch[]) => Promise<void>;
  /** One campaign only (ops' manual run); its own claim, independent of the daily one. */
  campaign?: string;
  pageSize?: number;
}): Promise<DailyRunResult> {
  const { store, clock, logger } = deps;
  const now = clock.now();
  const day = utcDay(now);
  const key = dispatchClaimKey(day, deps.campaign);
  const campaigns = deps.campaign ? deps.campaigns.filter((c) => c.id === deps.campaign) : deps.campaigns;
  if (deps.campaign && campaigns.length === 0) throw new Error(`no campaign ${deps.campaign}`);

  const lease = await takeRunLease<RunState>({ store, clock }, key, ({ runId, now, existing }) => ({
    runId,
    campaign: deps.campaign ?? null,
    startedAt: existing?.startedAt ?? now,
    heartbeatAt: now,
    cursor: existing?.cursor ?? 0,
    finishedAt: null,
    report: null,
  }));
  if (!lease) {
    logger.info('daily dispatch already ran or is running', { day, key });
    return { day, started: false };
  }
  const acquired = lease.state;
  if (acquired.cursor > 0) logger.warn('daily dispatch resumed', { day, key, afterUserId: acquired.cursor });
  const { checkpoint } = lease;
  const report = await planCampaigns(
    { store, clock, settings: deps.settings, enqueue: deps.enqueue },
    {
      campaigns,
      dryRun: false,
      afterUserId: acquired.cursor,
      ...(deps.pageSize ? { pageSize: deps.pageSize } : {}),
      checkpoint: (cursor) => checkpoint({ cursor }),
    },
  );
  await checkpoint({ cursor: report.cursor, finishedAt: clock.now(), report });
  logger.info('daily dispatch planned', {
    day,
    key,
    users: report.users,
    batches: report.batches,
    planned: report.planned,
    skipped: report.skipped,
  });
  return { day, started: true, report };
}
