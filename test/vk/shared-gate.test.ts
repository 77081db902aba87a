import { SqliteStore } from '../../lib/storage/sqlite/store';
import { VkClient } from '../../lib/vk/client';
import { groupTokenGate } from '../../lib/vk/shared-rate-gate';
import { VkSandbox } from '../../scripts/sandbox/vk-sandbox';

/**
 * VK counts a community token's requests per second wherever they come from. Two clients (two
 * function instances) of one token, paced through one store, together stay within 20 a second.
 */
describe('one rate gate per token across instances', () => {
  let sandbox: VkSandbox;
  beforeAll(async () => {
    sandbox = await new VkSandbox({ groupId: 1, callbackSecret: 's' }).start();
    for (let userId = 1; userId <= 100; userId++) sandbox.allowed.add(userId);
  });
  afterAll(() => sandbox.stop());

  it('two instances sending at once start at most 20 calls in any second, together', async () => {
    const store = new SqliteStore(':memory:');
    const starts: number[] = [];
    const instance = () =>
      new VkClient({
        apiUrl: sandbox.apiUrl,
        version: '5.199',
        token: 'community-token',
        rateLimitPerSecond: 20,
        timeoutMs: 5000,
        bucket: groupTokenGate(store, 20),
        fetch: (input, init) => {
          starts.push(Date.now());
          return fetch(input, init);
        },
      });
    const [first, second] = [instance(), instance()];
    const sends = Array.from({ length: 50 }, (_, i) =>
      (i % 2 === 0 ? first : second).sendMessage({ peerId: i + 1, messageKey: `gate:${i}`, text: `m${i}` }),
    );
    await Promise.all(sends);
    starts.sort((a, b) => a - b);
    const busiestSecond = Math.max(
      ...starts.map((start) => starts.filter((t) => t >= start && t < start + 1000).length),
    );
    expect(starts).toHaveLength(50);
    expect(busiestSecond).toBeLessThanOrEqual(20);
    await store.close();
  });
});
