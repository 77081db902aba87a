import { parseArgs } from 'node:util';
import { loadConfig } from '../lib/config/schema';
import { VkClient, vkApiOptions } from '../lib/vk/client';
import { callbackConfirmationCode, registerCallbackServer } from './lib/callback-server';

/**
 * `npm run vk:callback -- code`: prints the community's confirmation code (for Lockbox, before the
 * functions are deployed).
 * `npm run vk:callback -- register --url <callback_url>`: registers the URL as the community's
 * Callback API server with the bot's events and API version, and waits for VK to confirm it.
 *
 * Needs VK_GROUP_ID, VK_ADMIN_TOKEN (a community token with the `manage` right, or a community
 * admin's user token with `groups`), and for `register` VK_CALLBACK_SECRET (the value in Lockbox).
 */
async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { url: { type: 'string' }, title: { type: 'string' } },
  });
  const command = positionals[0];
  const { vkApi } = loadConfig(process.env, ['vkApi']);
  const groupId = Number(process.env.VK_GROUP_ID);
  const token = process.env.VK_ADMIN_TOKEN;
  if (!Number.isInteger(groupId) || groupId <= 0 || !token) {
    throw new Error('set VK_GROUP_ID (the community id) and VK_ADMIN_TOKEN (a token that may manage it)');
  }
  const vk = new VkClient({ ...vkApiOptions(vkApi), token, rateLimitPerSecond: 3 });
  if (command === 'code') {
    console.log(await callbackConfirmationCode(vk, groupId));
    return;
  }
  if (command !== 'register' || !values.url) {
    throw new Error(
      'usage: npm run vk:callback -- code | register --url <callback_url> [--title <≤14 chars>]',
    );
  }
  const secret = process.env.VK_CALLBACK_SECRET;
  if (!secret) throw new Error('set VK_CALLBACK_SECRET to the value stored in Lockbox');
  const result = await registerCallbackServer(vk, {
    groupId,
    url: values.url,
    secret,
    apiVersion: vkApi.VK_API_VERSION,
    ...(values.title ? { title: values.title } : {}),
  });
  console.log(
    `${result.added ? 'added' : 'updated'} callback server ${result.serverId}: ${values.url}, API ${vkApi.VK_API_VERSION}, events ${result.events.join(', ')}`,
  );
  if (result.status !== 'ok') {
    throw new Error(
      `VK has not confirmed the URL (status ${result.status}): check that VK_CONFIRMATION_CODE in Lockbox is \`npm run vk:callback -- code\` and that the function is deployed, then run this again`,
    );
  }
  console.log('confirmed by VK: events now reach vk-callback');
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
