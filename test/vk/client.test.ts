import { createLogger } from '../../lib/log/logger';
import { VkClient } from '../../lib/vk/client';
import {
  VkFloodControlError,
  VkRecipientUnavailableError,
  VkTooManyRequestsError,
} from '../../lib/vk/errors';
import { randomIdFor } from '../../lib/vk/random-id';
import { VkSandbox } from '../../scripts/sandbox/vk-sandbox';

describe('VK client against the VK sandbox', () => {
  let sandbox: VkSandbox;
  const client = (overrides: Partial<ConstructorParameters<typeof VkClient>[0]> = {}) =>
    new VkClient({
      apiUrl: sandbox.apiUrl,
      version: '5.199',
      token: 'group-token',
      rateLimitPerSecond: 1000,
      timeoutMs: 300,
      baseBackoffMs: 5,
      logger: createLogger({ level: 'error' }),
      ...overrides,
    });

  beforeAll(async () => {
    sandbox = await new VkSandbox({ groupId: 1, callbackSecret: 's' }).start();
  });
  afterAll(() => sandbox.stop());
  beforeEach(() => {
    sandbox.reset();
    // Users who wrote to the community: VK (and the sandbox) refuses messages to anyone else with 901.
    for (let userId = 1; userId <= 1000; userId++) sandbox.allowed.add(userId);
  });

  it('sends form-encoded with v pinned and the token out of the params', async () => {
    await client().sendMessage({
      peerId: 5,
      messageKey: 'reply:e1:0',
      text: 'Привет',
      keyboard: { buttons: [] },
    });
    expect(sandbox.calls[0]).toMatchObject({ method: 'messages.send', outcome: 'ok' });
    expect(sandbox.calls[0]?.params).toMatchObject({
      v: '5.199',
      peer_id: '5',
      random_id: String(randomIdFor('reply:e1:0')),
    });
    expect(sandbox.sent.map((m) => m.text)).toEqual(['Привет']);
  });

  it('retries 6, 10, 5xx and timeouts and delivers once', async () => {
    sandbox.injectFault({ method: 'messages.send', error: 6, times: 1 });
    sandbox.injectFault({ method: 'messages.send', error: 10, times: 1 });
    sandbox.injectFault({ method: 'messages.send', error: 'http500', times: 1 });
    await client({ maxAttempts: 5 }).sendMessage({ peerId: 5, messageKey: 'k1', text: 'once' });
    expect(sandbox.calls.map((c) => c.outcome)).toEqual(['error 6', 'error 10', 'http 500', 'ok']);
    sandbox.reset();
    sandbox.injectFault({ method: 'messages.send', error: 'timeout', times: 1 });
    await client().sendMessage({ peerId: 5, messageKey: 'k2', text: 'after timeout' });
    expect(sandbox.sent).toHaveLength(1);
  });

  it('does not retry 9 or 901 and throws typed errors', async () => {
    sandbox.injectFault({ error: 9, times: 1 });
    await expect(client().sendMessage({ peerId: 5, messageKey: 'k3', text: 'x' })).rejects.toBeInstanceOf(
      VkFloodControlError,
    );
    sandbox.injectFault({ error: 901, times: 1 });
    await expect(client().sendMessage({ peerId: 5, messageKey: 'k4', text: 'x' })).rejects.toBeInstanceOf(
      VkRecipientUnavailableError,
    );
    expect(sandbox.calls).toHaveLength(2);
  });

  it('gives up after maxAttempts with the last error', async () => {
    sandbox.injectFault({ error: 6, times: 10 });
    await expect(
      client({ maxAttempts: 3 }).sendMessage({ peerId: 5, messageKey: 'k5', text: 'x' }),
    ).rejects.toBeInstanceOf(VkTooManyRequestsError);
    expect(sandbox.calls).toHaveLength(3);
  });

  it('never double-sends: the same message key has the same random_id, which VK dedups', async () => {
    const vk = client();
    await vk.sendMessage({ peerId: 5, messageKey: 'reply:e9:1', text: 'a' });
    await vk.sendMessage({ peerId: 5, messageKey: 'reply:e9:1', text: 'a' });
    expect(sandbox.sent).toHaveLength(1);
    expect(sandbox.calls.map((c) => c.outcome)).toEqual(['ok', 'duplicate']);
  });

  it('keeps to its rate limit, so a sandbox enforcing VK’s limit never answers 6', async () => {
    const limited = await new VkSandbox({ groupId: 1, callbackSecret: 's', rateLimitPerSecond: 20 }).start();
    for (let userId = 1; userId <= 1000; userId++) limited.allowed.add(userId);
    try {
      // 19/s against a limit of 20/s: the margin absorbs network jitter between client and server.
      const vk = new VkClient({
        apiUrl: limited.apiUrl,
        version: '5.199',
        token: 't',
        rateLimitPerSecond: 19,
        timeoutMs: 1000,
        maxAttempts: 1,
      });
      const started = Date.now();
      await Promise.all(
        Array.from({ length: 40 }, (_, i) => vk.sendMessage({ peerId: 1, messageKey: `m${i}`, text: 'x' })),
      );
      expect(limited.calls.filter((c) => c.outcome !== 'ok')).toEqual([]);
      expect(limited.sent).toHaveLength(40);
      expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
    } finally {
      await limited.stop();
    }
  });

  it('derives a positive int32 random_id deterministically', () => {
    expect(randomIdFor('a')).toBe(randomIdFor('a'));
    expect(randomIdFor('a')).not.toBe(randomIdFor('b'));
    expect(randomIdFor('a')).toBeGreaterThan(0);
    expect(randomIdFor('a')).toBeLessThanOrEqual(0x7fffffff);
  });
});
