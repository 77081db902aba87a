import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signLaunchParams } from '../../lib/api/launch-params';
import { OffsetClock } from '../../lib/clock';
import { loadConfig } from '../../lib/config/schema';
import { knowledgeBase } from '../../lib/kb/articles';
import { createLogger } from '../../lib/log/logger';
import { DeferredJobs } from '../../lib/queue/deferred';
import { EmbeddedQueue } from '../../lib/queue/embedded';
import type { Store } from '../../lib/storage/port';
import { SqliteStore } from '../../lib/storage/sqlite/store';
import { ticketServiceSettings } from '../../lib/tickets/compose';
import { TicketService } from '../../lib/tickets/service';

export const BENCH_APP_SECRET = 'bench-app-secret';
export const BENCH_APP_ID = 51000001;

/**
 * The ticket-api's dependencies on the local stack's engines — a SQLite file in WAL mode in a fresh
 * temporary folder, the embedded queue — for benches that call the real handler in-process (no
 * sockets: the figures are the handler's own cost). The support section's defaults, as a
 * deployment without overrides has them.
 */
export function inProcessApi(name: string, options: { wrapStore?: (store: SqliteStore) => Store } = {}) {
  const dir = mkdtempSync(join(tmpdir(), `bench-${name}-`));
  const sqlite = new SqliteStore(join(dir, 'bench.sqlite'));
  // What the handler and the ticket service see: the store, or a bench's wrapper around it.
  const store = options.wrapStore?.(sqlite) ?? sqlite;
  const clock = new OffsetClock();
  const logger = createLogger({ level: 'error' });
  const queue = new EmbeddedQueue(sqlite, { clock });
  const deferred = new DeferredJobs({ store, queue, clock, logger });
  const settings = ticketServiceSettings(loadConfig({}, ['support', 'csat', 'runtime']));
  const tickets = new TicketService({
    store,
    clock,
    logger,
    settings,
    dispatchJobs: (ids) => deferred.dispatchAll(ids),
  });
  const deps = {
    store,
    logger,
    clock,
    tickets,
    knowledgeBase,
    settings: {
      appId: BENCH_APP_ID,
      appSecret: BENCH_APP_SECRET,
      launchParamsMaxAgeSeconds: 86_400,
      allowedOrigins: [],
      operators: [],
    },
  };
  return { dir, store: sqlite, queue, deps };
}

/** Launch params as VK signs them for the bench's app, signed now. */
export function benchLaunchParams(userId: number): string {
  return signLaunchParams(
    {
      vk_user_id: String(userId),
      vk_app_id: String(BENCH_APP_ID),
      vk_ts: String(Math.floor(Date.now() / 1000)),
      vk_language: 'ru',
      vk_are_notifications_enabled: '1',
    },
    BENCH_APP_SECRET,
  );
}
