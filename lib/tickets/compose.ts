import type { ApiSettings } from '../api/router';
import { type Clock, DAY, HOUR, MINUTE } from '../clock';
import type { Config, ConfigSection } from '../config/schema';
import type { Logger } from '../log/logger';
import { DeferredJobs } from '../queue/deferred';
import type { MessageQueue } from '../queue/port';
import { BusinessHours } from '../schedule/business-hours';
import type { Store } from '../storage/port';
import {
  type PriorityContent,
  priorityContentSettings,
  type SupportSettings,
  supportSettings,
} from '../support/settings';
import { compileUrgentPhrases, type OperatorsChats } from './routing';
import { TicketService, type TicketServiceDependencies, type TicketServiceSettings } from './service';

/** A low rating's alert waits this long for the user's reason, then goes without it. */
const CSAT_REASON_WAIT = 30 * MINUTE;

/** The ticket service's settings from the environment and content/support.json. */
export function ticketServiceSettings(
  config: Config<'support' | 'csat' | 'runtime'>,
  content: SupportSettings = supportSettings,
  priorityContent: PriorityContent = priorityContentSettings,
): TicketServiceSettings {
  const { support, csat, runtime } = config;
  const timezone = runtime.APP_TIMEZONE;
  return {
    support: content,
    hours: new BusinessHours({ timezone, ...content.businessHours }),
    ticketsPerHour: support.TICKETS_PER_HOUR,
    reopenWindowMs: support.TICKET_REOPEN_WINDOW_HOURS * HOUR,
    autoCloseMs: support.TICKET_AUTO_CLOSE_HOURS * HOUR,
    personalDataRetentionMs: support.PERSONAL_DATA_RETENTION_DAYS * DAY,
    crmWebhooks: Boolean(support.CRM_WEBHOOK_URL && support.CRM_WEBHOOK_SECRET),
    operatorsChats: operatorsChatsFrom(support),
    urgentPhrases: compileUrgentPhrases(priorityContent),
    csat: {
      delayMs: csat.CSAT_DELAY_MINUTES * MINUTE,
      reminderAfterMs: csat.CSAT_REMINDER_HOURS > 0 ? csat.CSAT_REMINDER_HOURS * HOUR : null,
      scale: csat.CSAT_SCALE,
      reasonWaitMs: CSAT_REASON_WAIT,
      qualityChatPeerId: csat.QUALITY_CHAT_PEER_ID,
      reviewUrl: csat.CSAT_REVIEW_URL,
      defaultQuietHours: runtime.DEFAULT_QUIET_HOURS,
    },
  };
}

/** The operators' chats of the environment (see lib/tickets/routing.ts). */
export function operatorsChatsFrom(support: ConfigSection<'support'>): OperatorsChats {
  return {
    defaultPeerId: support.OPERATORS_CHAT_PEER_ID,
    byKey: support.OPERATORS_CHATS,
    leadPeerId: support.LEAD_CHAT_PEER_ID,
    shiftMs: support.OPERATOR_SHIFT_HOURS * HOUR,
  };
}

/** The mini app API's settings from the environment. */
export function apiSettingsFrom(miniApp: ConfigSection<'miniApp'>, api: ConfigSection<'api'>): ApiSettings {
  return {
    appId: miniApp.VK_APP_ID,
    appSecret: miniApp.VK_APP_SECRET,
    launchParamsMaxAgeSeconds: api.LAUNCH_PARAMS_MAX_AGE_SECONDS,
    allowedOrigins: api.MINI_APP_ORIGINS,
    operators: api.OPERATOR_TOKENS,
  };
}

/**
 * The ticket service of one invocation (or of the local stack), with the deferred jobs its changes
 * dispatch after each commit.
 */
export function createTicketService(parts: {
  store: Store;
  queue: MessageQueue;
  clock: Clock;
  logger: Logger;
  settings: TicketServiceSettings;
  /** See `TicketServiceDependencies.onTicketChanged`: the operators' card refresh. */
  onTicketChanged?: TicketServiceDependencies['onTicketChanged'];
  /** See `TicketServiceDependencies.onTicketFiled`: the card of a ticket filed in the mini app. */
  onTicketFiled?: TicketServiceDependencies['onTicketFiled'];
  /** See `TicketServiceDependencies.onAppMessage`: a mini app message relayed to the operators' chat. */
  onAppMessage?: TicketServiceDependencies['onAppMessage'];
}): { tickets: TicketService; deferred: DeferredJobs } {
  const deferred = new DeferredJobs({
    store: parts.store,
    queue: parts.queue,
    clock: parts.clock,
    logger: parts.logger,
  });
  const tickets = new TicketService({
    store: parts.store,
    clock: parts.clock,
    logger: parts.logger,
    settings: parts.settings,
    dispatchJobs: (jobIds) => deferred.dispatchAll(jobIds),
    ...(parts.onTicketChanged ? { onTicketChanged: parts.onTicketChanged } : {}),
    ...(parts.onTicketFiled ? { onTicketFiled: parts.onTicketFiled } : {}),
    ...(parts.onAppMessage ? { onAppMessage: parts.onAppMessage } : {}),
  });
  return { tickets, deferred };
}
