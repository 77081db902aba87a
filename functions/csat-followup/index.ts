import {
  announceCardOnFiling,
  refreshCardOnChange,
  relayAppMessage,
} from '../../lib/bot/operators/card-sync';
import { MINUTE, systemClock } from '../../lib/clock';
import { functionConfigSections } from '../../lib/config/schema';
import { AppNotifications } from '../../lib/notifications/app-notification';
import type { FunctionContext, QueueEvent, TimerEvent } from '../../lib/platform/types';
import { deferredQueueOf } from '../../lib/queue/jobs';
import { createCloudRuntime } from '../../lib/runtime/cloud';
import { createTicketService, ticketServiceSettings } from '../../lib/tickets/compose';
import { anonymiseDueTickets } from '../../lib/tickets/retention';
import { ExecuteBatcher } from '../../lib/vk/execute';
import { deferredJobHandlers } from '../../lib/worker/job-handlers';
import { workerVkClients } from '../../lib/worker/vk-clients';

const runtime = createCloudRuntime('csat-followup', functionConfigSections['csat-followup']);
const { config } = runtime;
const serviceSettings = ticketServiceSettings(config);
/**
 * Both tokens paced with every other instance's calls (VK counts a token's calls together): the
 * service token's notifications share their gate with the notify-dispatcher's campaigns.
 */
const { groupVk, appVk } = workerVkClients(runtime.invocationStore, config, runtime.logger);
/**
 * The bot's undelivered replies leave packed into `execute`, as the callback's do: each request
 * filled up to 25 from the outbox (`ReplyWorker`).
 */
const groupSender = new ExecuteBatcher(groupVk, { turnIntervalMs: 1000 / config.vk.VK_GROUP_RATE_LIMIT });
const crmWebhook =
  config.support.CRM_WEBHOOK_URL && config.support.CRM_WEBHOOK_SECRET
    ? { url: config.support.CRM_WEBHOOK_URL, secret: config.support.CRM_WEBHOOK_SECRET }
    : undefined;

/**
 * The deferred worker. Two triggers: the deferred queue (each message a hop of a deferred job:
 * ticket updates to users, the bot's undelivered replies, SLA checks, auto-close, CRM webhooks, and
 * CSAT surveys, reminders and quality alerts) and a frequent timer that re-sends hops of jobs whose
 * message was lost and anonymises closed tickets whose personal data retention ran out. Each
 * message is handled on its own: a failing job is re-queued alone, so it does not return the batch.
 * Only if the store or the queue fails does the batch come back, and the hops already handled are
 * then dropped.
 */
export const handler = (event: QueueEvent | TimerEvent, context: FunctionContext) =>
  runtime.invoke(context, async ({ store, logger }) => {
    const { tickets, deferred } = createTicketService({
      store,
      queue: runtime.queue,
      clock: systemClock,
      logger,
      settings: serviceSettings,
      onTicketChanged: refreshCardOnChange,
      onTicketFiled: announceCardOnFiling,
      onAppMessage: relayAppMessage,
    });
    const jobHandlers = deferredJobHandlers({
      store,
      clock: systemClock,
      logger,
      tickets,
      deferred,
      groupVk,
      groupSender,
      appNotifications: new AppNotifications({
        store,
        clock: systemClock,
        appVk,
      }),
      appVk,
      marketingCaps: {
        campaignCap: config.miniApp.NOTIFY_DAILY_CAP,
        messagesDailyCap: config.miniApp.MARKETING_MESSAGES_DAILY_CAP,
      },
      groupId: config.vk.VK_GROUP_ID,
      operatorsChatPeerId: config.support.OPERATORS_CHAT_PEER_ID,
      crmWebhook,
    });
    const first = event.messages[0];
    if (first && 'queue_id' in first.details) {
      const messages = (event as QueueEvent).messages;
      const outcomes = await deferred.handleBatch(
        messages.map((message) => message.details.message.body),
        jobHandlers,
        deferredQueueOf(first.details.queue_id),
      );
      return { processed: outcomes.length };
    }
    const rescued = await deferred.rescueStalledJobs(20 * MINUTE);
    // Closed tickets whose personal data retention ran out (FZ-152): parked jobs, taken when due.
    const { anonymised } = await anonymiseDueTickets({ store, clock: systemClock, logger, deferred });
    return { rescued, anonymised };
  });
