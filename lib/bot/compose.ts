import { type Clock, MINUTE } from '../clock';
import type { ConfigSection } from '../config/schema';
import { type KnowledgeBase, knowledgeBase } from '../kb/articles';
import type { Logger } from '../log/logger';
import type { DeferredJobs } from '../queue/deferred';
import type { Store } from '../storage/port';
import { operatorsChatPeerIds } from '../tickets/routing';
import type { TicketService } from '../tickets/service';
import type { VkClient } from '../vk/client';
import { type BotSettings, SupportBot } from './conversation';
import { Delivery, type MessageSender } from './delivery';
import { OperatorsChat } from './operators-chat';
import type { FactsFetcher } from './prefetch';
import { SurveyAnswers } from './survey-answers';

/** The bot's settings from the environment and the ticket service's content and hours. */
export function botSettingsFrom(
  vk: ConfigSection<'vk'>,
  support: ConfigSection<'support'>,
  tickets: TicketService,
): BotSettings {
  return {
    groupId: vk.VK_GROUP_ID,
    operatorsChatPeerId: support.OPERATORS_CHAT_PEER_ID,
    operatorPauseMs: support.OPERATOR_PAUSE_MINUTES * MINUTE,
    support: tickets.settings.support,
    hours: tickets.settings.hours,
  };
}

/** Everything the callback pipeline needs beyond the store: decoding context, lookups, the bot, delivery. */
export interface CallbackBot {
  operatorsChatPeerId: number | undefined;
  /** Every operators' chat: the default one and those categories name (OPERATORS_CHATS). */
  operatorsChatPeerIds: ReadonlySet<number>;
  facts: FactsFetcher;
  bot: SupportBot;
  delivery: Delivery;
}

/**
 * The bot of one invocation (or of the local stack). `facts` is passed in because its caches live
 * as long as the instance, while the store, ticket service and delivery belong to the invocation.
 */
export function createCallbackBot(parts: {
  store: Store;
  clock: Clock;
  logger: Logger;
  vk: VkClient;
  tickets: TicketService;
  deferred: DeferredJobs;
  settings: BotSettings;
  facts: FactsFetcher;
  knowledgeBase?: KnowledgeBase;
  /** Packs the replies into `execute` (an `ExecuteBatcher` over `vk`); the client by default. */
  sender?: MessageSender;
  /** The replies' budget before the callback answers (`REPLY_BUDGET_MS`); none: wait for them. */
  replyBudgetMs?: number;
}): CallbackBot {
  const { settings, tickets, logger } = parts;
  const operatorsChat = new OperatorsChat({
    settings: {
      groupId: settings.groupId,
      peerId: settings.operatorsChatPeerId,
      chats: tickets.settings.operatorsChats,
      support: settings.support,
      hours: settings.hours,
    },
    tickets,
    logger,
  });
  return {
    operatorsChatPeerId: settings.operatorsChatPeerId,
    operatorsChatPeerIds: operatorsChatPeerIds(tickets.settings.operatorsChats),
    facts: parts.facts,
    bot: new SupportBot({
      settings,
      tickets,
      knowledgeBase: parts.knowledgeBase ?? knowledgeBase,
      operatorsChat,
      surveys: new SurveyAnswers({ settings: tickets.settings.csat, logger }),
      logger,
    }),
    delivery: new Delivery({
      store: parts.store,
      clock: parts.clock,
      logger,
      vk: parts.vk,
      deferred: parts.deferred,
      ...(parts.sender ? { sender: parts.sender } : {}),
      ...(parts.replyBudgetMs !== undefined ? { budgetMs: parts.replyBudgetMs } : {}),
    }),
  };
}
