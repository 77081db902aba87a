import { subscribedCallbackEvents } from '../../lib/bot/updates';
import type { VkClient } from '../../lib/vk/client';

/**
 * Registers the deployed callback URL with the community through VK's API, idempotently: an existing
 * server with the same URL is updated (secret, title) instead of added again, its events and API
 * version are set, and VK's confirmation of the URL is awaited.
 */

export interface CallbackServer {
  id: number;
  title: string;
  url: string;
  secret_key?: string;
  /** `unconfigured`, `failed`, `wait` or `ok` (confirmed). */
  status: string;
}

export interface RegisterOptions {
  groupId: number;
  url: string;
  secret: string;
  apiVersion: string;
  /** VK allows 14 characters. */
  title?: string;
  /** How long to wait for VK to confirm the URL. */
  confirmTimeoutMs?: number;
  pollMs?: number;
}

export interface RegisterResult {
  serverId: number;
  added: boolean;
  status: string;
  events: readonly string[];
}

export async function callbackConfirmationCode(vk: VkClient, groupId: number): Promise<string> {
  const { code } = await vk.call<{ code: string }>('groups.getCallbackConfirmationCode', {
    group_id: groupId,
  });
  return code;
}

export async function registerCallbackServer(
  vk: VkClient,
  options: RegisterOptions,
): Promise<RegisterResult> {
  const title = options.title ?? 'support-bot';
  if (title.length > 14) throw new RangeError('VK allows a callback server title of 14 characters at most');
  const { items } = await vk.call<{ items: CallbackServer[] }>('groups.getCallbackServers', {
    group_id: options.groupId,
  });
  const existing = items.find((server) => server.url === options.url);
  let serverId: number;
  if (existing) {
    serverId = existing.id;
    await vk.call('groups.editCallbackServer', {
      group_id: options.groupId,
      server_id: serverId,
      url: options.url,
      title,
      secret_key: options.secret,
    });
  } else {
    ({ server_id: serverId } = await vk.call<{ server_id: number }>('groups.addCallbackServer', {
      group_id: options.groupId,
      url: options.url,
      title,
      secret_key: options.secret,
    }));
  }
  const events = Object.fromEntries(subscribedCallbackEvents.map((event) => [event, 1]));
  await vk.call('groups.setCallbackSettings', {
    group_id: options.groupId,
    server_id: serverId,
    api_version: options.apiVersion,
    ...events,
  });
  const status = await awaitConfirmation(vk, options, serverId);
  return { serverId, added: !existing, status, events: subscribedCallbackEvents };
}

/** Polls the server's status until VK has confirmed the URL (`ok`) or refused it (`failed`). */
async function awaitConfirmation(vk: VkClient, options: RegisterOptions, serverId: number): Promise<string> {
  const deadline = Date.now() + (options.confirmTimeoutMs ?? 30_000);
  for (;;) {
    const { items } = await vk.call<{ items: CallbackServer[] }>('groups.getCallbackServers', {
      group_id: options.groupId,
      server_ids: serverId,
    });
    const status = items.find((server) => server.id === serverId)?.status ?? 'missing';
    if (status === 'ok' || status === 'failed' || Date.now() >= deadline) return status;
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 1000));
  }
}
