import { leaveReasonJobHandlers } from '../bot/flows/membership';
import type { MessageSender } from '../bot/reply-sending';
import { ReplyWorker } from '../bot/reply-worker';
import { broadcastJobHandlers } from '../broadcasts/jobs';
import type { Clock } from '../clock';
import { csatJobHandlers } from '../csat/jobs';
import { journeyJobHandlers } from '../journeys/step';
import type { Logger } from '../log/logger';
import type { AppNotifications } from '../notifications/app-notification';
import type { DeferredJobs } from '../queue/deferred';
import type { JobHandler } from '../queue/jobs';
import type { Store } from '../storage/port';
import { ticketJobHandlers } from '../tickets/jobs';
import { retentionJobHandlers } from '../tickets/retention';
import type { TicketService } from '../tickets/service';
import type { VkClient } from '../vk/client';

/**
 * Every kind of deferred job, with the handler that runs it: the chat bot's undelivered replies and
 * edits and leave reasons, the ticket lifecycle's (user updates, SLA checks, auto-close, CRM webhooks,
 * anonymisation of closed tickets) and CSAT's
 * (survey, reminder, quality alert). The deferred worker (csat-followup) and the local stack both
 * run exactly this table.
 */
export function deferredJobHandlers(parts: {
  store: Store;
  clock: Clock;
  logger: Logger;
  tickets: TicketService;
  deferred: DeferredJobs;
  groupVk: VkClient;
  /**
   * Packs the bot's undelivered replies into `execute` (an `ExecuteBatcher` over `groupVk`), each
   * request filled up from the outbox.
   */
  groupSender?: MessageSender;
  appNotifications: AppNotifications;
  /** The service token's client: incident broadcasts' notifications go in batches of 100 through it. */
  appVk?: VkClient;
  /**
   * Journeys' caps: `NOTIFY_DAILY_CAP` (their notifications spend the campaigns' budget) and
   * `MARKETING_MESSAGES_DAILY_CAP`; both 1 when left out, as the settings' defaults.
   */
  marketingCaps?: { campaignCap: number; messagesDailyCap: number };
  groupId: number;
  operatorsChatPeerId: number | undefined;
  crmWebhook: { url: string; secret: string } | undefined;
}): Record<string, JobHandler> {
  const { store, clock, logger, tickets, deferred, groupVk, appNotifications } = parts;
  const botReplies = new ReplyWorker({
    store,
    clock,
    logger,
    vk: groupVk,
    deferred,
    ...(parts.groupSender ? { sender: parts.groupSender } : {}),
    cards: {
      groupId: parts.groupId,
      support: tickets.settings.support,
      chats: tickets.settings.operatorsChats,
    },
  });
  return {
    ...botReplies.jobHandlers(),
    ...leaveReasonJobHandlers({ store, logger }),
    ...ticketJobHandlers({
      store,
      clock,
      logger,
      tickets,
      groupVk,
      appNotifications,
      operatorsChatPeerId: parts.operatorsChatPeerId,
      crmWebhook: parts.crmWebhook,
      schedule: (job) => deferred.schedule(job),
    }),
    // A closed ticket's anonymisation the sweep had not taken in time (see lib/tickets/retention.ts).
    ...retentionJobHandlers({ store, clock, logger }),
    ...csatJobHandlers({
      store,
      clock,
      logger,
      settings: tickets.settings.csat,
      groupVk,
      appNotifications,
      groupId: parts.groupId,
      timezone: tickets.settings.hours.timezone,
      support: tickets.settings.support,
      dispatchJobs: (jobIds) => deferred.dispatchAll(jobIds),
    }),
    // Admins' incident broadcasts, a keyed job per batch of 100 users (lib/broadcasts/jobs.ts).
    ...broadcastJobHandlers({ store, clock, logger, groupVk, appVk: parts.appVk, deferred }),
    // Journeys' steps, each a deferred job of its run (lib/journeys/step.ts).
    ...journeyJobHandlers({
      store,
      clock,
      logger,
      groupVk,
      appNotifications,
      deferred,
      settings: {
        campaignCap: parts.marketingCaps?.campaignCap ?? 1,
        messagesDailyCap: parts.marketingCaps?.messagesDailyCap ?? 1,
        defaultQuietHours: tickets.settings.csat.defaultQuietHours,
        timezone: tickets.settings.hours.timezone,
      },
    }),
  };
}
