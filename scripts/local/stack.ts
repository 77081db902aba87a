import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { signLaunchParams } from '../../lib/api/launch-params';
import { handleApiRequest } from '../../lib/api/routes';
import { botSettingsFrom, createCallbackBot } from '../../lib/bot/compose';
import { REPLY_BUDGET_MS } from '../../lib/bot/delivery';
import {
  announceCardOnFiling,
  refreshCardOnChange,
  relayAppMessage,
} from '../../lib/bot/operators/card-sync';
import { FactsFetcher } from '../../lib/bot/prefetch';
import { handleCallback } from '../../lib/callback/handler';
import { type Campaign, shippedCampaigns } from '../../lib/campaigns/campaign';
import { type Clock, MINUTE, OffsetClock } from '../../lib/clock';
import { type ConfigSection, loadConfig } from '../../lib/config/schema';
import { audienceSettingsFrom, campaignVkClient, createNotifyDispatcher } from '../../lib/dispatcher/compose';
import { describeError } from '../../lib/errors';
import { type HttpRequest, json } from '../../lib/http/http';
import { knowledgeBase } from '../../lib/kb/articles';
import { createLogger, type Logger, type LogSink } from '../../lib/log/logger';
import { AppNotifications } from '../../lib/notifications/app-notification';
import type { HttpResult } from '../../lib/platform/types';
import { EmbeddedQueue } from '../../lib/queue/embedded';
import { SqliteStore } from '../../lib/storage/sqlite/store';
import { apiSettingsFrom, createTicketService, ticketServiceSettings } from '../../lib/tickets/compose';
import { anonymiseDueTickets } from '../../lib/tickets/retention';
import type { TicketService } from '../../lib/tickets/service';
import { VkClient } from '../../lib/vk/client';
import { ExecuteBatcher } from '../../lib/vk/execute';
import { groupTokenGate, serviceTokenGate } from '../../lib/vk/shared-rate-gate';
import { deferredJobHandlers } from '../../lib/worker/job-handlers';
import { VkSandbox } from '../sandbox/vk-sandbox';
import { devClockFile, persistedDevClock } from './dev-clock';
import { devRoutes } from './dev-routes';
import { serveLocally } from './http-server';
import { startQueueTriggers } from './triggers';

/** What `npm start` runs with when nothing is set: safe, local-only values. */
export const devDefaults: Record<string, string> = {
  VK_GROUP_ID: '100000001',
  VK_GROUP_TOKEN: 'dev-group-token',
  VK_CALLBACK_SECRET: 'dev-callback-secret',
  VK_CONFIRMATION_CODE: 'dev-confirmation',
  VK_APP_ID: '51000001',
  VK_APP_SECRET: 'dev-app-secret',
  VK_SERVICE_TOKEN: 'dev-service-token',
  /** Operator 1 (admin) and operator 2 for the local stack; real tokens come from Lockbox. */
  OPERATOR_TOKENS: '1:admin:dev-admin-token-0123456789ab,2:operator:dev-operator-token-0123456789',
  OPERATORS_CHAT_PEER_ID: '2000000001',
  /** The quality lead's chat: low-rating alerts land here (see them in GET /sandbox/sent). */
  QUALITY_CHAT_PEER_ID: '2000000002',
};

/** The stack's clock: real time shifted by `/dev/clock/advance`, or a test's manual clock. */
export type AdjustableClock = Clock & { advance(milliseconds: number): void };

export interface LocalStack {
  url: string;
  sandbox: VkSandbox;
  store: SqliteStore;
  queue: EmbeddedQueue;
  clock: AdjustableClock;
  logger: Logger;
  /** Names of the variables that fell back to dev defaults. */
  defaulted: string[];
  /** Where the dev clock's offset is kept across restarts (`DATA_DIR/dev-clock.json`), if it is. */
  clockFile: string | undefined;
  config: { vk: ConfigSection<'vk'>; local: ConfigSection<'local'> };
  /** The daily timer (or, with a campaign, ops' manual run of one). */
  fireDispatcher(options?: { campaign?: string }): Promise<unknown>;
  notify: ReturnType<typeof createNotifyDispatcher>;
  /** Signed launch params of a dev user for the mini app API. */
  launchParamsFor(userId: number): string;
  tickets: TicketService;
  /**
   * Work the stack has in hand outside its queues: callbacks being handled and VK requests out, less
   * those the sandbox plays as timeouts (they end at the client's timeout). Zero: quiet but for timers.
   */
  busy(): number;
  close(): Promise<void>;
}

/** What VK allows a community token, per second; the sandbox holds every token to it. */
const VK_TOKEN_REQUESTS_PER_SECOND = 20;

/**
 * The composition root of the local stack: one HTTP server routing as API Gateway will, the SQLite
 * store, the embedded queue with its consumers in-process, the dispatcher's timer and the VK sandbox.
 */
export async function startLocalStack(
  environment: Record<string, string | undefined>,
  options: {
    inMemory?: boolean;
    sink?: LogSink;
    pollMs?: number;
    clock?: AdjustableClock;
    /** A store of the tests' own (e.g. one that plays YDB's unknown commit outcomes). */
    store?: SqliteStore;
    /**
     * The VK API base the stack's clients call instead of its own sandbox's: `npm run bench:burst`
     * points every instance at one sandbox, so VK's per-token limit sees them all.
     */
    vkApiUrl?: string;
    /**
     * A user who wrote to the community before this run, so VK (the sandbox) lets the bot answer
     * them: `npm start`'s printed curl plays VK itself, past the sandbox, as this user.
     */
    devUser?: number;
    /**
     * The callback's reply budget (`REPLY_BUDGET_MS`). Scenario tests on a manual clock widen it: under
     * CI's load a reply that misses 400 ms of real time would wait for a worker's recheck on the dev
     * clock, which only the test moves.
     */
    replyBudgetMs?: number;
    /** The daily campaigns the dispatcher runs (default: the shipped ones, content/campaigns.json). */
    campaigns?: readonly Campaign[];
  } = {},
): Promise<LocalStack> {
  const campaigns = options.campaigns ?? shippedCampaigns();
  const defaulted = Object.keys(devDefaults).filter((name) => !environment[name]);
  const merged = { ...devDefaults, ...environment };
  const config = loadConfig(merged, ['vk', 'vkApi', 'miniApp', 'support', 'csat', 'api', 'runtime', 'local']);
  const logger = createLogger({
    level: config.runtime.LOG_LEVEL,
    fields: { fn: 'local' },
    ...(options.sink ? { sink: options.sink } : {}),
  });
  // The dev clock's offset outlives a restart: it is kept beside the SQLite file (dev-clock.ts).
  const persistClock = !options.clock && !options.inMemory;
  const clock: AdjustableClock =
    options.clock ?? (persistClock ? persistedDevClock(config.local.DATA_DIR, logger) : new OffsetClock());
  let store: SqliteStore;
  if (options.store) {
    store = options.store;
  } else if (options.inMemory) {
    store = new SqliteStore(':memory:');
  } else {
    mkdirSync(config.local.DATA_DIR, { recursive: true });
    store = new SqliteStore(join(config.local.DATA_DIR, 'local.sqlite'));
  }
  const queue = new EmbeddedQueue(store, { clock });
  const sandbox = await new VkSandbox({
    // VK's limit, on: a community token's 20 requests a second (PLATFORM.md), error 6 past it.
    rateLimitPerSecond: VK_TOKEN_REQUESTS_PER_SECOND,
    groupId: config.vk.VK_GROUP_ID,
    callbackSecret: config.vk.VK_CALLBACK_SECRET,
    confirmationCode: config.vk.VK_CONFIRMATION_CODE,
    apiVersion: config.vkApi.VK_API_VERSION,
    chatMembers: devChatMembers(config),
    log: (line) => logger.info(line),
    now: () => clock.now(),
  }).start(options.inMemory ? 0 : config.local.VK_SANDBOX_PORT);
  if (options.devUser !== undefined) sandbox.allowed.add(options.devUser);

  const { tickets, deferred } = createTicketService({
    store,
    queue,
    clock,
    logger: logger.child({ fn: 'csat-followup' }),
    settings: ticketServiceSettings(config),
    onTicketChanged: refreshCardOnChange,
    onTicketFiled: announceCardOnFiling,
    onAppMessage: relayAppMessage,
  });
  const apiSettings = apiSettingsFrom(config.miniApp, config.api);
  // The stack's VK requests counted while out, so a test can wait for them (`busy`): a callback whose
  // budget ran out answers `ok` with its reply's request still on the way.
  let vkRequestsOut = 0;
  const countedFetch: typeof fetch = async (input, init) => {
    vkRequestsOut++;
    try {
      return await fetch(input, init);
    } finally {
      vkRequestsOut--;
    }
  };
  const vkOptions = {
    apiUrl: options.vkApiUrl ?? `${sandbox.url}/method`,
    fetch: countedFetch,
    version: config.vkApi.VK_API_VERSION,
    timeoutMs: config.vkApi.VK_API_TIMEOUT_MS,
    // Rate limiting and backoff run on real time, whatever the dev clock says.
  };
  // Each token's calls are paced through the store, as in the cloud: stacks in several processes on
  // one SQLite file (npm run bench:burst) share VK's limit as function instances do.
  const groupVk = new VkClient({
    ...vkOptions,
    token: config.vk.VK_GROUP_TOKEN,
    rateLimitPerSecond: config.vk.VK_GROUP_RATE_LIMIT,
    bucket: groupTokenGate(store, config.vk.VK_GROUP_RATE_LIMIT),
    logger,
  });
  // One batcher for the process, as in a function instance: replies of concurrent events and the
  // worker's leave together in `execute`, the worker filling each request from the outbox.
  const groupSender = new ExecuteBatcher(groupVk, {
    logger,
    turnIntervalMs: 1000 / config.vk.VK_GROUP_RATE_LIMIT,
  });
  const bot = createCallbackBot({
    store,
    clock,
    logger: logger.child({ fn: 'vk-callback' }),
    vk: groupVk,
    sender: groupSender,
    replyBudgetMs: options.replyBudgetMs ?? REPLY_BUDGET_MS,
    tickets,
    deferred,
    facts: new FactsFetcher({ vk: groupVk, clock, logger, groupId: config.vk.VK_GROUP_ID }),
    settings: botSettingsFrom(config.vk, config.support, tickets),
  });
  const appVk = new VkClient({
    ...vkOptions,
    token: config.miniApp.VK_SERVICE_TOKEN,
    rateLimitPerSecond: config.miniApp.VK_SERVICE_RATE_LIMIT,
    bucket: serviceTokenGate(store, config.miniApp.VK_SERVICE_RATE_LIMIT),
    logger,
  });
  const appNotifications = new AppNotifications({
    store,
    clock,
    appVk,
  });
  const notify = createNotifyDispatcher({
    store,
    queue,
    clock,
    logger: logger.child({ fn: 'notify-dispatcher' }),
    appVk: campaignVkClient(
      store,
      {
        ...vkOptions,
        token: config.miniApp.VK_SERVICE_TOKEN,
        rateLimitPerSecond: config.miniApp.VK_SERVICE_RATE_LIMIT,
      },
      logger,
    ),
    groupVk,
    settings: audienceSettingsFrom(config),
    campaigns,
  });
  const jobHandlers = deferredJobHandlers({
    store,
    clock,
    logger: logger.child({ fn: 'csat-followup' }),
    tickets,
    deferred,
    groupVk,
    groupSender,
    appNotifications,
    appVk,
    marketingCaps: {
      campaignCap: config.miniApp.NOTIFY_DAILY_CAP,
      messagesDailyCap: config.miniApp.MARKETING_MESSAGES_DAILY_CAP,
    },
    groupId: config.vk.VK_GROUP_ID,
    operatorsChatPeerId: config.support.OPERATORS_CHAT_PEER_ID,
    crmWebhook:
      config.support.CRM_WEBHOOK_URL && config.support.CRM_WEBHOOK_SECRET
        ? { url: config.support.CRM_WEBHOOK_URL, secret: config.support.CRM_WEBHOOK_SECRET }
        : undefined,
  });
  /** Signed launch params of a dev user, as VK would give the mini app (for curl and tests). */
  const launchParamsFor = (userId: number) =>
    signLaunchParams(
      {
        vk_user_id: String(userId),
        vk_app_id: String(config.miniApp.VK_APP_ID),
        vk_ts: String(Math.floor(clock.now() / 1000)),
        vk_language: 'ru',
        vk_platform: 'desktop_web',
        vk_are_notifications_enabled: '1',
      },
      config.miniApp.VK_APP_SECRET,
    );

  const fireDispatcher = (run: { campaign?: string } = {}) => notify.runDaily(run);
  const callbackSettings = {
    groupId: config.vk.VK_GROUP_ID,
    secret: config.vk.VK_CALLBACK_SECRET,
    confirmationCode: config.vk.VK_CONFIRMATION_CODE,
  };
  /** Callbacks being handled: the in-process triggers let a burst of them go first (triggers.ts). */
  let callbacksInFlight = 0;
  const route = async (request: HttpRequest): Promise<HttpResult> => {
    const requestLogger = logger.child({ requestId: request.requestId });
    if (request.path === '/vk/callback') {
      callbacksInFlight++;
      try {
        return await handleCallback(request, {
          settings: callbackSettings,
          store,
          clock,
          logger: requestLogger.child({ fn: 'vk-callback' }),
          bot,
        });
      } finally {
        callbacksInFlight--;
      }
    }
    // The ticket-api: the API, and the operators' dashboard page at /ops/ (lib/api/routes/dashboard.ts).
    if (request.path.startsWith('/api/') || request.path === '/ops' || request.path.startsWith('/ops/')) {
      return handleApiRequest(request, {
        store,
        logger: requestLogger.child({ fn: 'ticket-api' }),
        clock,
        tickets,
        knowledgeBase,
        settings: apiSettings,
      });
    }
    return (await dev(request)) ?? json(404, { error: `no route for ${request.method} ${request.path}` });
  };
  const storeFile = options.inMemory ? ':memory:' : join(config.local.DATA_DIR, 'local.sqlite');
  const dev = devRoutes({
    clock,
    store,
    queue,
    sandbox,
    storeFile,
    launchParamsFor,
    fireDispatcher,
    campaigns: campaigns.map((campaign) => campaign.id),
  });
  const { server, url } = await serveLocally(route, options.inMemory ? 0 : config.local.PORT, logger);
  sandbox.options.callbackUrl = `${url}/vk/callback`;

  // The queue triggers and timers of the cloud, in-process.
  const triggers = startQueueTriggers(
    { queue, logger, pollMs: options.pollMs ?? 50, callbacksInFlight: () => callbacksInFlight },
    [
      // Two at once, as the trigger's invocations overlap under a backlog: one batch's replies wait
      // for their turn at VK while the next batch is claimed.
      {
        queue: 'deferred',
        concurrency: 2,
        handle: (bodies) => deferred.handleBatch(bodies, jobHandlers, 'deferred'),
      },
      { queue: 'crm', handle: (bodies) => deferred.handleBatch(bodies, jobHandlers, 'crm') },
      {
        queue: 'notify',
        handle: async (bodies) => {
          for (const body of bodies) await notify.handleMessage(body);
        },
      },
    ],
  );
  const minuteTimer = setInterval(() => {
    void deferred
      .rescueStalledJobs(20 * MINUTE)
      .catch((error: unknown) => logger.error('rescue failed', { error: describeError(error) }));
    void anonymiseDueTickets({ store, clock, logger, deferred }).catch((error: unknown) =>
      logger.error('anonymisation sweep failed', { error: describeError(error) }),
    );
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
    clockFile: persistClock ? devClockFile(config.local.DATA_DIR) : undefined,
    config: { vk: config.vk, local: config.local },
    fireDispatcher,
    notify,
    launchParamsFor,
    tickets,
    busy: () => callbacksInFlight + Math.max(0, vkRequestsOut - (options.vkApiUrl ? 0 : sandbox.unanswered)),
    async close() {
      clearInterval(minuteTimer);
      await triggers.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await sandbox.stop();
      await store.close();
    },
  };
}

/**
 * Who sits in which chat of the sandbox: the dev operators (ids 1 and 2, as in OPERATOR_TOKENS) in
 * every operators' chat (the default one and the categories' own), the admin (1) in the leads' and
 * the quality chats. A chat configured for two roles (one peer id in two variables) has everyone of both.
 */
function devChatMembers(config: {
  support: ConfigSection<'support'>;
  csat: ConfigSection<'csat'>;
}): Record<number, number[]> {
  const members: Record<number, number[]> = {};
  const seat = (peerId: number | undefined, ids: readonly number[]) => {
    if (peerId === undefined) return;
    members[peerId] = [...new Set([...(members[peerId] ?? []), ...ids])];
  };
  seat(config.support.OPERATORS_CHAT_PEER_ID, [1, 2]);
  for (const peerId of Object.values(config.support.OPERATORS_CHATS)) seat(peerId, [1, 2]);
  seat(config.support.LEAD_CHAT_PEER_ID, [1]);
  seat(config.csat.QUALITY_CHAT_PEER_ID, [1]);
  return members;
}
