import type { Clock } from '../clock';
import { DAY } from '../clock';
import type { Logger } from '../log/logger';
import type { Store } from '../storage/port';

export interface DailyRunResult {
  day: string;
  /** False when another run already claimed this day (a re-fired or overlapping timer). */
  started: boolean;
}

/**
 * The daily dispatcher run. It claims `dispatch:<day>` first, so a re-fired timer or two overlapping
 * runs plan the day once; the claim also records when the last run happened (for `npm run doctor`).
 * Campaign planning fills in with the notify-dispatcher issue.
 */
export async function runDailyDispatch(deps: {
  store: Store;
  clock: Clock;
  logger: Logger;
}): Promise<DailyRunResult> {
  const now = deps.clock.now();
  const day = new Date(now).toISOString().slice(0, 10);
  const started = await deps.store.transaction((repositories) =>
    repositories.claims.claim({
      key: `dispatch:${day}`,
      value: { startedAt: now, campaigns: 0 },
      createdAt: now,
      expiresAt: now + 30 * DAY,
    }),
  );
  deps.logger.info(started ? 'daily dispatch started' : 'daily dispatch already ran today', { day });
  return { day, started };
}
