import { botSettingsFrom, createCallbackBot } from '../../lib/bot/compose';
import { REPLY_BUDGET_MS } from '../../lib/bot/delivery';
import {
  announceCardOnFiling,
  refreshCardOnChange,
  relayAppMessage,
} from '../../lib/bot/operators/card-sync';
import { FactsFetcher } from '../../lib/bot/prefetch';
import { handleCallback } from '../../lib/callback/handler';
import { systemClock } from '../../lib/clock';
import { functionConfigSections } from '../../lib/config/schema';
import { requestFromEvent } from '../../lib/http/http';
import type { HttpHandler } from '../../lib/platform/types';
import { createCloudRuntime } from '../../lib/runtime/cloud';
import { createTicketService, ticketServiceSettings } from '../../lib/tickets/compose';
import { VkClient, vkApiOptions } from '../../lib/vk/client';
import { ExecuteBatcher } from '../../lib/vk/execute';
import { groupTokenGate } from '../../lib/vk/shared-rate-gate';

const runtime = createCloudRuntime('vk-callback', functionConfigSections['vk-callback']);
const { config } = runtime;
const settings = {
  groupId: config.vk.VK_GROUP_ID,
  secret: config.vk.VK_CALLBACK_SECRET,
  confirmationCode: config.vk.VK_CONFIRMATION_CODE,
};
const serviceSettings = ticketServiceSettings(config);
/** Paced with every other instance's calls on the community token (VK counts them together). */
const vk = new VkClient({
  ...vkApiOptions(config.vkApi),
  token: config.vk.VK_GROUP_TOKEN,
  rateLimitPerSecond: config.vk.VK_GROUP_RATE_LIMIT,
  bucket: groupTokenGate(runtime.invocationStore, config.vk.VK_GROUP_RATE_LIMIT),
  logger: runtime.logger,
});
/** Replies leave packed into `execute`, 25 calls a request at most. */
const sender = new ExecuteBatcher(vk, {
  logger: runtime.logger,
  turnIntervalMs: 1000 / config.vk.VK_GROUP_RATE_LIMIT,
});
/** Names and chat membership cached for the life of the instance. */
const facts = new FactsFetcher({
  vk,
  clock: systemClock,
  logger: runtime.logger,
  groupId: config.vk.VK_GROUP_ID,
});

/**
 * VK Callback API → `lib/callback`. Answers `ok` once the event's effects are committed and its
 * replies sent, or, past `REPLY_BUDGET_MS`, handed to the deferred worker.
 */
export const handler: HttpHandler = (event, context) =>
  runtime.invoke(context, ({ store, logger }) => {
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
    const bot = createCallbackBot({
      store,
      clock: systemClock,
      logger,
      vk,
      tickets,
      deferred,
      facts,
      sender,
      replyBudgetMs: REPLY_BUDGET_MS,
      settings: botSettingsFrom(config.vk, config.support, tickets),
    });
    return handleCallback(requestFromEvent(event, context.requestId), {
      settings,
      store,
      clock: systemClock,
      logger,
      bot,
    });
  });
