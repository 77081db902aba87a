import { MINUTE, OffsetClock } from '../../lib/clock';
import { dispatchClaimKey } from '../../lib/dispatcher/daily-run';
import { describeError } from '../../lib/errors';
import { type HttpRequest, json } from '../../lib/http/http';
import { utcDay } from '../../lib/notifications/daily-cap';
import { npsSurveyClaimKey } from '../../lib/nps/survey';
import type { HttpResult } from '../../lib/platform/types';
import type { EmbeddedQueue } from '../../lib/queue/embedded';
import { queueNames } from '../../lib/queue/port';
import type { SqliteStore } from '../../lib/storage/sqlite/store';
import type { VkSandbox } from '../sandbox/vk-sandbox';
import type { AdjustableClock } from './stack';

export interface DevRouteParts {
  clock: AdjustableClock;
  store: SqliteStore;
  queue: EmbeddedQueue;
  sandbox: VkSandbox;
  /** Where the SQLite file is, for `/health` (`:memory:` in tests). */
  storeFile: string;
  launchParamsFor(userId: number): string;
  fireDispatcher(run: { campaign?: string }): Promise<unknown>;
  /** The ids of the campaigns the dispatcher runs, for `/dev/dispatch?campaign=`. */
  campaigns: readonly string[];
}

/**
 * The local stack's own routes, which the cloud has none of: `/health` (store, queue depths, the dev
 * clock), `/dev/launch-params` for curl, `/dev/dispatch` (the daily timer by hand) and
 * `/dev/clock/advance`. Null for any other path.
 */
/** Today's finished daily runs (dispatch, NPS survey) made takeable again; the keys it reopened. */
async function reopenTodaysRuns(parts: DevRouteParts): Promise<string[]> {
  const now = parts.clock.now();
  const day = utcDay(now);
  return parts.store.transaction(async (r) => {
    const reopened: string[] = [];
    for (const key of [dispatchClaimKey(day), npsSurveyClaimKey(day)]) {
      const held = await r.claims.get(key, now);
      const state = held?.value as { finishedAt?: number | null } | undefined;
      if (!held || !state?.finishedAt) continue; // none yet, or one still running: left alone
      await r.claims.put({ key, value: {}, createdAt: now, expiresAt: now });
      reopened.push(key);
    }
    return reopened;
  });
}

export function devRoutes(parts: DevRouteParts): (request: HttpRequest) => Promise<HttpResult | null> {
  const { clock } = parts;
  const startedAt = clock.now();
  const clockView = () => ({
    now: new Date(clock.now()).toISOString(),
    offsetMinutes:
      clock instanceof OffsetClock ? clock.offset / MINUTE : Math.round((clock.now() - startedAt) / MINUTE),
  });

  const health = async (): Promise<HttpResult> => {
    const storage = await parts.store.ping().then(
      () => ({ status: 'up' as const }),
      (error: unknown) => ({ status: 'down' as const, error: describeError(error) }),
    );
    const queues = await Promise.all(
      queueNames
        .flatMap((name) => [name, `${name}-dlq` as const])
        .map(async (name) => [name, await parts.queue.depth(name)] as const),
    ).then(
      (depths) => ({ status: 'up' as const, depths: Object.fromEntries(depths) }),
      (error: unknown) => ({ status: 'down' as const, error: describeError(error) }),
    );
    const healthy = storage.status === 'up' && queues.status === 'up';
    return json(healthy ? 200 : 503, {
      status: healthy ? 'up' : 'down',
      storage: { ...storage, engine: 'sqlite', file: parts.storeFile },
      queue: { ...queues, engine: 'embedded (sqlite)' },
      vkSandbox: parts.sandbox.url,
      clock: clockView(),
    });
  };

  return async (request) => {
    if (request.method === 'GET' && request.path === '/health') return health();
    if (request.method === 'GET' && request.path === '/dev/launch-params') {
      const userId = Number(request.query.user ?? '1001');
      if (!Number.isSafeInteger(userId) || userId <= 0)
        return json(400, { error: 'user must be a VK user id' });
      return json(200, { userId, launchParams: parts.launchParamsFor(userId) });
    }
    if (request.method === 'POST' && request.path === '/dev/dispatch') {
      const campaign = request.query.campaign;
      if (campaign !== undefined && !parts.campaigns.includes(campaign))
        return json(400, { error: `no campaign ${campaign}`, campaigns: parts.campaigns });
      // By hand, the day's run goes again even if the local stack's own timer (every minute after
      // 09:00 UTC) finished it: planning and the survey's asks are keyed per user and day, so a second
      // run reaches only who was not reached (a user set up since, say), never anyone twice.
      const reopened = campaign === undefined ? await reopenTodaysRuns(parts) : [];
      const result = await parts.fireDispatcher(campaign === undefined ? {} : { campaign });
      return json(200, { ...(result as Record<string, unknown>), reopened });
    }
    if (request.method === 'POST' && request.path === '/dev/clock/advance') {
      let minutes = Number.NaN;
      try {
        minutes = Number((JSON.parse(request.body || '{}') as { minutes?: unknown } | null)?.minutes);
      } catch {
        // not JSON: refused below like any other missing number
      }
      if (!Number.isFinite(minutes) || minutes < 0)
        return json(400, { error: 'minutes must be a non-negative number' });
      clock.advance(minutes * MINUTE);
      return json(200, clockView());
    }
    return null;
  };
}
