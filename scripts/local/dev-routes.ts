import { MINUTE, OffsetClock } from '../../lib/clock';
import { describeError } from '../../lib/errors';
import { type HttpRequest, json } from '../../lib/http/http';
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
      return json(200, await parts.fireDispatcher(campaign === undefined ? {} : { campaign }));
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
