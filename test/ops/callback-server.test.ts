import { decodeUpdate, subscribedCallbackEvents } from '../../lib/bot/updates';
import { VkClient } from '../../lib/vk/client';
import { callbackConfirmationCode, registerCallbackServer } from '../../scripts/lib/callback-server';
import { type LocalStack, startLocalStack } from '../../scripts/local/stack';

/**
 * `npm run vk:callback` against the VK sandbox, which keeps VK's rules for callback servers (title
 * ≤ 14, 10 servers, a confirmation request to the URL) and the local stack's real /vk/callback.
 */
describe('registering the callback server', () => {
  let stack: LocalStack;
  let vk: VkClient;
  const groupId = () => stack.sandbox.options.groupId;

  beforeAll(async () => {
    stack = await startLocalStack({ LOG_LEVEL: 'error' }, { inMemory: true, sink: () => {} });
    vk = new VkClient({
      apiUrl: stack.sandbox.apiUrl,
      version: '5.199',
      token: 'admin',
      rateLimitPerSecond: 100,
      timeoutMs: 5000,
    });
  });
  afterAll(() => stack.close());

  it('adds the server, subscribes it to the events the bot handles, and VK confirms it', async () => {
    const url = `${stack.url}/vk/callback`;
    const result = await registerCallbackServer(vk, {
      groupId: groupId(),
      url,
      secret: stack.sandbox.options.callbackSecret,
      apiVersion: '5.199',
      pollMs: 20,
    });
    expect(result).toMatchObject({ added: true, status: 'ok' });
    const settings = stack.sandbox.callbackSettings.get(result.serverId);
    expect(settings?.api_version).toBe('5.199');
    expect(Object.keys(settings?.events ?? {}).sort()).toEqual([...subscribedCallbackEvents].sort());

    // Again (a re-run after a redeploy): the same server is updated, not a second one added.
    const again = await registerCallbackServer(vk, {
      groupId: groupId(),
      url,
      secret: stack.sandbox.options.callbackSecret,
      apiVersion: '5.199',
      pollMs: 20,
    });
    expect(again).toMatchObject({ serverId: result.serverId, added: false, status: 'ok' });
    expect(stack.sandbox.callbackServers).toHaveLength(1);
  });

  it('reports a URL VK could not confirm (a wrong confirmation code or no function behind it)', async () => {
    const result = await registerCallbackServer(vk, {
      groupId: groupId(),
      url: `${stack.url}/nowhere`,
      secret: 'whatever',
      apiVersion: '5.199',
      pollMs: 20,
    });
    expect(result.status).toBe('failed');
  });

  it("reads the community's confirmation code", async () => {
    expect(await callbackConfirmationCode(vk, groupId())).toBe(stack.sandbox.options.confirmationCode);
  });

  it('refuses a title VK would refuse, before calling it', async () => {
    await expect(
      registerCallbackServer(vk, {
        groupId: groupId(),
        url: 'https://x',
        secret: 's',
        apiVersion: '5.199',
        title: 'a title far too long',
      }),
    ).rejects.toThrow(/14 characters/);
  });

  it('subscribes only to events the bot decodes', () => {
    for (const type of subscribedCallbackEvents) {
      const update = decodeUpdate({ type, group_id: 1, object: {} }, { operatorsChatPeerId: undefined });
      expect({ type, update }).not.toEqual({ type, update: { kind: 'ignored', reason: 'unhandled_type' } });
    }
  });
});
