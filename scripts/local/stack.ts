import { mkdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { handleApiRequest } from '../../lib/api/router';
import { handleCallback } from '../../lib/callback/handler';
import { MINUTE, OffsetClock } from '../../lib/clock';
import { type ConfigSection, loadConfig } from '../../lib/config/schema';
import { runDailyDispatch } from '../../lib/dispatcher/daily-run';
import { describeError } from '../../lib/errors';
import { type HttpRequest, json } from '../../lib/http/http';
import { createLogger, type Logger, type LogSink } from '../../lib/log/logger';
import type { HttpResult } from '../../lib/platform/types';
import { DeferredJobs } from '../../lib/queue/deferred';
import { EmbeddedQueue } from '../../lib/queue/embedded';
import { deliverBatch } from '../../lib/queue/trigger';
import { SqliteStore } from '../../lib/storage/sqlite/store';
import { VkSandbox } from '../sandbox/vk-sandbox';

/** What `npm start` runs with when nothing is set: safe, local-only values. */
export const devDefaults: Record<string, string> = {
  VK_GROUP_ID: '100000001',
  VK_GROUP_TOKEN: 'dev-group-token',
  VK_CALLBACK_SECRET: 'dev-callback-secret',
  VK_CONFIRMATION_CODE: 'dev-confirmation',
  VK_APP_ID: '51000001',
  VK_APP_SECRET: 'dev-app-secret',
  VK_SERVICE_TOKEN: 'dev-service-token',
};

export interface LocalStack {
  url: string;
  sandbox: VkSandbox;
  store: SqliteStore;
  queue: EmbeddedQueue;
  clock: OffsetClock;
  logger: Logger;
  /** Names of the variables that fell back to dev defaults. */
  defaulted: string[];
  config: { vk: ConfigSection<'vk'>; local: ConfigSection<'local'> };
  fireDispatcher(): Promise<unknown>;
  close(): Promise<void>;
}

/**
 * The composition root of the local stack: one HTTP server routing as API Gateway will, the SQLite
 * store, the embedded queue with its consumers in-process, the dispatcher's timer and the VK sandbox.
 */
export async function startLocalStack(
  environment: Record<string, string | undefined>,
  options: { inMemory?: boolean; sink?: LogSink; pollMs?: number } = {},
): Promise<LocalStack> {
  const defaulted = Object.keys(devDefaults).filter((name) => !environment[name]);
  const merged = { ...devDefaults, ...environment };
  const config = loadConfig(merged, ['vk', 'miniApp', 'runtime', 'local']);
  const logger = createLogger({
    level: config.runtime.LOG_LEVEL,
    fields: { fn: 'local' },
    ...(options.sink ? { sink: options.sink } : {}),
  });
  const clock = new OffsetClock();

  let store: SqliteStore;
  if (options.inMemory) {
    store = new SqliteStore(':memory:');
  } else {
    mkdirSync(config.local.DATA_DIR, { recursive: true });
    store = new SqliteStore(join(config.local.DATA_DIR, 'local.sqlite'));
  }
  const queue = new EmbeddedQueue(store.db, { clock });
  const sandbox = await new VkSandbox({
    groupId: config.vk.VK_GROUP_ID,
    callbackSecret: config.vk.VK_CALLBACK_SECRET,
    apiVersion: config.vk.VK_API_VERSION,
    log: (line) => logger.info(line),
  }).start(options.inMemory ? 0 : config.local.VK_SANDBOX_PORT);

  const callbackSettings = {
    groupId: config.vk.VK_GROUP_ID,
    secret: config.vk.VK_CALLBACK_SECRET,
    confirmationCode: config.vk.VK_CONFIRMATION_CODE,
  };
  let requestCounter = 0;
  const route = async (request: HttpRequest): Promise<HttpResult> => {
    const requestLogger = logger.child({ requestId: request.requestId });
    if (request.path === '/vk/callback') {
      return handleCallback(request, {
        settings: callbackSettings,
        store,
        clock,
        logger: requestLogger.child({ fn: 'vk-callback' }),
      });
    }
    if (request.path.startsWith('/api/')) {
      return handleApiRequest(request, { store, logger: requestLogger.child({ fn: 'ticket-api' }) });
    }
    if (request.method === 'GET' && request.path === '/health') return health();
    if (request.method === 'POST' && request.path === '/dev/dispatch')
      return json(200, await fireDispatcher());
    if (request.method === 'POST' && request.path === '/dev/clock/advance') {
      const minutes = Number(JSON.parse(request.body || '{}').minutes);
      if (!Number.isFinite(minutes) || minutes < 0)
        return json(400, { error: 'minutes must be a non-negative number' });
      clock.advance(minutes * MINUTE);
      return json(200, { now: new Date(clock.now()).toISOString(), offsetMinutes: clock.offset / MINUTE });
    }
    return json(404, { error: `no route for ${request.method} ${request.path}` });
  };

  const health = async (): Promise<HttpResult> => {
    const storage = await store.ping().then(
      () => ({ status: 'up' as const }),
      (error: unknown) => ({ status: 'down' as const, error: describeError(error) }),
    );
    const queues = await Promise.all(
      (['deferred', 'notify', 'deferred-dlq', 'notify-dlq'] as const).map(
        async (name) => [name, await queue.depth(name)] as const,
      ),
    ).then(
      (depths) => ({ status: 'up' as const, depths: Object.fromEntries(depths) }),
      (error: unknown) => ({ status: 'down' as const, error: describeError(error) }),
    );
    const healthy = storage.status === 'up' && queues.status === 'up';
    return json(healthy ? 200 : 503, {
      status: healthy ? 'up' : 'down',
      storage: {
        ...storage,
        engine: 'sqlite',
        file: options.inMemory ? ':memory:' : join(config.local.DATA_DIR, 'local.sqlite'),
      },
      queue: { ...queues, engine: 'embedded (sqlite)' },
      vkSandbox: sandbox.url,
      clock: { now: new Date(clock.now()).toISOString(), offsetMinutes: clock.offset / MINUTE },
    });
  };

  const server: Server = createServer((incoming, outgoing) => {
    readRequest(incoming, `local-${++requestCounter}`)
      .then(route)
      .then((result) => {
        outgoing.writeHead(result.statusCode, result.headers).end(result.body ?? '');
      })
      .catch((error: unknown) => {
        logger.error('local request failed', { error: describeError(error) });
        outgoing.writeHead(500).end('internal error');
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.inMemory ? 0 : config.local.PORT, '127.0.0.1', resolve);
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  sandbox.options.callbackUrl = `${url}/vk/callback`;

  // The queue trigger and timers of the cloud, in-process.
  const deferred = new DeferredJobs({ store, queue, clock, logger: logger.child({ fn: 'csat-followup' }) });
  const jobHandlers = {};
  let stopping = false;
  const pollDeferred = async () => {
    while (!stopping) {
      try {
        const { delivered } = await deliverBatch(queue, 'deferred', async (event) => {
          for (const message of event.messages)
            await deferred.handleMessage(message.details.message.body, jobHandlers);
        });
        if (delivered > 0) continue;
      } catch (error) {
        logger.error('deferred queue poll failed', { error: describeError(error) });
      }
      await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 250));
    }
  };
  const polling = pollDeferred();
  const fireDispatcher = () =>
    runDailyDispatch({ store, clock, logger: logger.child({ fn: 'notify-dispatcher' }) });
  const minuteTimer = setInterval(() => {
    void deferred
      .rescueStalledJobs(20 * MINUTE)
      .catch((error: unknown) => logger.error('rescue failed', { error: describeError(error) }));
    // The cloud timer fires at 09:00 UTC (12:00 Moscow); the day's claim makes every later tick a no-op.
    if (new Date(clock.now()).getUTCHours() >= 9) void fireDispatcher().catch(() => {});
  }, MINUTE);
  minuteTimer.unref();

  return {
    url,
    sandbox,
    store,
    queue,
    clock,
    logger,
    defaulted,
    config: { vk: config.vk, local: config.local },
    fireDispatcher,
    async close() {
      stopping = true;
      clearInterval(minuteTimer);
      await polling;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await sandbox.stop();
      await store.close();
    },
  };
}

function readRequest(incoming: IncomingMessage, requestId: string): Promise<HttpRequest> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('error', reject);
    incoming.on('end', () => {
      const url = new URL(incoming.url ?? '/', 'http://local');
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(incoming.headers)) {
        if (value !== undefined)
          headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
      }
      resolve({
        method: incoming.method ?? 'GET',
        path: url.pathname,
        headers,
        query: Object.fromEntries(url.searchParams),
        body: Buffer.concat(chunks).toString('utf8'),
        requestId,
      });
    });
  });
}
