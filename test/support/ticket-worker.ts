import { ManualClock, MINUTE } from '../../lib/clock';
import { loadConfig } from '../../lib/config/schema';
import { createLogger } from '../../lib/log/logger';
import { AppNotifications } from '../../lib/notifications/app-notification';
import { DeferredJobs } from '../../lib/queue/deferred';
import { EmbeddedQueue } from '../../lib/queue/embedded';
import { deliverBatch } from '../../lib/queue/trigger';
import { SqliteStore } from '../../lib/storage/sqlite/store';
import { ticketServiceSettings } from '../../lib/tickets/compose';
import { TicketService } from '../../lib/tickets/service';
import { VkClient } from '../../lib/vk/client';
import { deferredJobHandlers } from '../../lib/worker/job-handlers';
import { VkSandbox } from '../../scripts/sandbox/vk-sandbox';

export const OPERATORS_CHAT = 2_000_000_001;
export const msk = (iso: string) => Date.parse(`${iso}+03:00`);

/**
 * The ticket service with the deferred worker's handlers on real parts — a SQLite store, the embedded
 * queue, the VK sandbox — and a clock the test moves: the lifecycle's timers (SLA, auto-close,
 * webhooks, retention) run as their triggers would.
 */
export async function startTicketWorker(
  options: {
    /** Settings of the `support`, `csat` and `runtime` sections, beside the operators' chat. */
    environment?: Record<string, string>;
    /** A SQLite file instead of memory (to read the raw file afterwards). */
    filename?: string;
    crmWebhook?: { url: string; secret: string };
    maxFailures?: number;
  } = {},
) {
  const clock = new ManualClock(msk('2026-11-24T10:00:00')); // a Tuesday, operators at work
  const store = new SqliteStore(options.filename ?? ':memory:');
  const queue = new EmbeddedQueue(store, { clock, maxReceiveCount: 3 });
  const logger = createLogger({ level: 'error' });
  const deferred = new DeferredJobs({ store, queue, clock, logger, maxFailures: options.maxFailures ?? 3 });
  const sandbox = await new VkSandbox({ groupId: 1, callbackSecret: 's' }).start(0);
  const config = loadConfig(
    {
      OPERATORS_CHAT_PEER_ID: String(OPERATORS_CHAT),
      ...(options.crmWebhook
        ? { CRM_WEBHOOK_URL: options.crmWebhook.url, CRM_WEBHOOK_SECRET: options.crmWebhook.secret }
        : {}),
      ...options.environment,
    },
    ['support', 'csat', 'runtime'],
  );
  const settings = ticketServiceSettings(config);
  const tickets = new TicketService({
    store,
    clock,
    logger,
    settings,
    dispatchJobs: (ids) => deferred.dispatchAll(ids),
  });
  const vk = new VkClient({
    apiUrl: sandbox.apiUrl,
    version: '5.199',
    token: 't',
    rateLimitPerSecond: 1000,
    timeoutMs: 2000,
    maxAttempts: 1,
  });
  const handlers = deferredJobHandlers({
    store,
    clock,
    logger,
    tickets,
    deferred,
    groupVk: vk,
    appNotifications: new AppNotifications({ store, clock, appVk: vk }),
    groupId: 1,
    operatorsChatPeerId: OPERATORS_CHAT,
    crmWebhook: options.crmWebhook,
  });
  /** Runs the deferred queues dry, as their triggers would. */
  const drain = async () => {
    for (const queueName of ['deferred', 'crm'] as const) {
      for (;;) {
        const { delivered } = await deliverBatch(queue, queueName, async (event) => {
          for (const message of event.messages)
            await deferred.handleMessage(message.details.message.body, handlers);
        }).catch(() => ({ delivered: 0 }));
        if (delivered === 0) break;
      }
    }
  };
  /** Moves the clock in 15-minute steps (a queue hop at most), running the queues at each. */
  const runFor = async (milliseconds: number) => {
    for (let elapsed = 0; elapsed < milliseconds; elapsed += 15 * MINUTE) {
      await drain();
      clock.advance(Math.min(15 * MINUTE, milliseconds - elapsed));
    }
    await drain();
  };
  const operator = { operatorId: 7, role: 'operator' as const };
  return {
    clock,
    store,
    queue,
    logger,
    deferred,
    tickets,
    sandbox,
    drain,
    runFor,
    operator,
    close: () => sandbox.stop(),
  };
}
