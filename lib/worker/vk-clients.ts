import type { Config } from '../config/schema';
import type { Logger } from '../log/logger';
import type { Store } from '../storage/port';
import { VkClient, vkApiOptions } from '../vk/client';
import { groupTokenGate, serviceTokenGate } from '../vk/shared-rate-gate';

/** The deferred worker's two VK clients. */
export interface WorkerVkClients {
  /** Community token: messages to users and to the operators' chat, card edits. */
  groupVk: VkClient;
  /** The mini app's service token: notifications (ticket updates, surveys). */
  appVk: VkClient;
}

/**
 * The deferred worker's VK clients, each paced by its token's shared rate gate: VK counts a token's
 * calls together wherever they come from, and the worker runs in as many instances as its queue
 * trigger starts, beside the callback's (community token) and the notify-dispatcher's (service
 * token). Built once per instance; `store` is the running invocation's (`InvocationStore`).
 *
 * @example
 * const { groupVk, appVk } = workerVkClients(runtime.invocationStore, config);
 */
export function workerVkClients(
  store: Store,
  config: Config<'vk' | 'vkApi' | 'miniApp'>,
  logger?: Logger,
): WorkerVkClients {
  const api = vkApiOptions(config.vkApi);
  return {
    groupVk: new VkClient({
      ...api,
      token: config.vk.VK_GROUP_TOKEN,
      rateLimitPerSecond: config.vk.VK_GROUP_RATE_LIMIT,
      bucket: groupTokenGate(store, config.vk.VK_GROUP_RATE_LIMIT),
      ...(logger ? { logger } : {}),
    }),
    appVk: new VkClient({
      ...api,
      token: config.miniApp.VK_SERVICE_TOKEN,
      rateLimitPerSecond: config.miniApp.VK_SERVICE_RATE_LIMIT,
      bucket: serviceTokenGate(store, config.miniApp.VK_SERVICE_RATE_LIMIT),
      ...(logger ? { logger } : {}),
    }),
  };
}
