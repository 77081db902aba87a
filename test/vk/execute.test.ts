import { createLogger } from '../../lib/log/logger';
import { VkClient } from '../../lib/vk/client';
import {
  VkApiError,
  VkFloodControlError,
  VkRecipientUnavailableError,
  VkTooManyRequestsError,
} from '../../lib/vk/errors';
import { ExecuteBatcher, executeCallCode } from '../../lib/vk/execute';
import { randomIdFor } from '../../lib/vk/random-id';
import { VkSandbox } from '../../scripts/sandbox/vk-sandbox';

describe('ExecuteBatcher against the VK sandbox', () => {
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
  const executeCalls = (on: VkSandbox = sandbox) => on.calls.filter((call) => call.method === 'execute');
  /** How many calls each execute request carried, in order. */
  const batchSizes = (on: VkSandbox = sandbox) =>
    executeCalls(on).map((call) => (call.params.code ?? '').split('API.messages.send(').length - 1);
  const textsTo = (peerId: number) =>
    sandbox.sent.filter((message) => message.peerId === peerId).map((message) => message.text);

  beforeAll(async () => {
    sandbox = await new VkSandbox({ groupId: 1, callbackSecret: 's' }).start();
  });
  afterAll(() => sandbox.stop());
  beforeEach(() => {
    sandbox.reset();
    sandbox.allowed.clear();
    for (let userId = 1; userId <= 1000; userId++) sandbox.allowed.add(userId);
  });

  it('sends 60 messages to 60 users in 3 execute requests, each user getting exactly their text', async () => {
    const batcher = new ExecuteBatcher(client());
    const ids = await Promise.all(
      Array.from({ length: 60 }, (_, index) =>
        batcher.sendMessage({
          peerId: index + 1,
          messageKey: `digest:${index + 1}`,
          text: `Hello, user ${index + 1}`,
        }),
      ),
    );
    expect(batchSizes()).toEqual([25, 25, 10]);
    expect(sandbox.calls.filter((call) => call.method === 'messages.send' && call.via !== 'execute')).toEqual(
      [],
    );
    for (let userId = 1; userId <= 60; userId++) expect(textsTo(userId)).toEqual([`Hello, user ${userId}`]);
    // Each promise resolves with its own message's id, and random_id is the one a direct send derives.
    for (const [index, id] of ids.entries()) {
      const message = sandbox.sent.find((candidate) => candidate.messageId === id);
      expect(message).toMatchObject({ peerId: index + 1, randomId: randomIdFor(`digest:${index + 1}`) });
    }
  });

  it('rejects messages to users who never allowed messages with typed 901 errors; the others go', async () => {
    sandbox.allowed.delete(3);
    sandbox.allowed.delete(7);
    const batcher = new ExecuteBatcher(client());
    const outcomes = await Promise.allSettled(
      Array.from({ length: 10 }, (_, index) =>
        batcher.sendMessage({ peerId: index + 1, messageKey: `m:${index + 1}`, text: `to ${index + 1}` }),
      ),
    );
    expect(executeCalls()).toHaveLength(1);
    for (const [index, outcome] of outcomes.entries()) {
      const userId = index + 1;
      if (userId === 3 || userId === 7) {
        expect(outcome.status).toBe('rejected');
        const reason = (outcome as PromiseRejectedResult).reason;
        expect(reason).toBeInstanceOf(VkRecipientUnavailableError);
        expect(reason).toMatchObject({ errorCode: 901, method: 'messages.send', retryable: false });
        expect(textsTo(userId)).toEqual([]);
      } else {
        expect(outcome.status).toBe('fulfilled');
        expect(textsTo(userId)).toEqual([`to ${userId}`]);
      }
    }
  });

  it('retries a lost, failed or timed-out execute with the same random_ids: nothing goes twice', async () => {
    // The first request takes effect but its answer is lost; then VK's server fails; then it hangs.
    sandbox.injectFault({ method: 'execute', error: 'lost_answer', times: 1 });
    sandbox.injectFault({ method: 'execute', error: 'http500', times: 1 });
    sandbox.injectFault({ method: 'execute', error: 'timeout', times: 1 });
    const batcher = new ExecuteBatcher(client({ maxAttempts: 5 }));
    const ids = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        batcher.sendMessage({
          peerId: index + 1,
          messageKey: `retry:${index + 1}`,
          text: `once ${index + 1}`,
        }),
      ),
    );
    expect(executeCalls().map((call) => call.outcome)).toEqual(['ok', 'http 500', 'timeout', 'ok']);
    // Every attempt carried the very same code.
    expect(new Set(executeCalls().map((call) => call.params.code)).size).toBe(1);
    for (let userId = 1; userId <= 20; userId++) expect(textsTo(userId)).toEqual([`once ${userId}`]);
    expect(sandbox.sent).toHaveLength(20);
    const inner = sandbox.calls.filter((call) => call.via === 'execute');
    expect(inner.filter((call) => call.outcome === 'duplicate')).toHaveLength(20);
    expect(ids).toEqual(sandbox.sent.map((message) => message.messageId));
  });

  it('retries an execute whose inner call lost the answer, without doubling any message', async () => {
    sandbox.injectFault({ method: 'messages.send', error: 'lost_answer', times: 1 });
    const batcher = new ExecuteBatcher(client());
    await Promise.all(
      [1, 2, 3].map((userId) =>
        batcher.sendMessage({ peerId: userId, messageKey: `l:${userId}`, text: 'x' }),
      ),
    );
    expect(executeCalls().map((call) => call.outcome)).toEqual(['ok', 'ok']);
    expect(sandbox.sent).toHaveLength(3);
  });

  it('retries a call that failed inside with 10 in a later batch, and never one that failed with 9', async () => {
    sandbox.injectFault({ method: 'messages.send', error: 10, times: 1 });
    sandbox.injectFault({ method: 'messages.send', error: 9, times: 1 });
    const batcher = new ExecuteBatcher(client(), { baseBackoffMs: 1 });
    const outcomes = await Promise.allSettled(
      [1, 2, 3].map((userId) =>
        batcher.sendMessage({ peerId: userId, messageKey: `r:${userId}`, text: 'y' }),
      ),
    );
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason).toBeInstanceOf(VkFloodControlError);
    expect(batchSizes()).toEqual([3, 1]);
    expect(sandbox.sent.map((message) => message.peerId)).toEqual([3, 1]);
  });

  it('refuses malformed code with error 12 and more than 25 calls with VK’s error 13', async () => {
    const vk = client();
    await expect(vk.execute('return [API.messages.send({peer_id: 1, message: "a"})];')).rejects.toMatchObject(
      {
        errorCode: 12,
        method: 'execute',
      },
    );
    const calls = Array.from({ length: 26 }, (_, index) =>
      executeCallCode('messages.send', { peer_id: index + 1, random_id: index + 1, message: 'z' }),
    );
    const refused = vk.execute(`return [${calls.join(',')}];`);
    await expect(refused).rejects.toBeInstanceOf(VkApiError);
    await expect(refused).rejects.toMatchObject({ errorCode: 13, method: 'execute' });
    // The batcher itself never packs more than VK's 25.
    expect(() => new ExecuteBatcher(vk, { maxCalls: 26 })).toThrow(RangeError);
  });

  it('shares the rate limit of a token between clients, counting an execute once', async () => {
    const limited = await new VkSandbox({ groupId: 1, callbackSecret: 's', rateLimitPerSecond: 2 }).start();
    for (let userId = 1; userId <= 200; userId++) limited.allowed.add(userId);
    try {
      const on = (token: string) =>
        new VkClient({
          apiUrl: limited.apiUrl,
          version: '5.199',
          token,
          rateLimitPerSecond: 1000,
          timeoutMs: 1000,
          maxAttempts: 1,
        });
      const first = new ExecuteBatcher(on('shared'));
      const second = new ExecuteBatcher(on('shared'));
      const messages = (from: number, count: number) =>
        Array.from({ length: count }, (_, index) => ({
          peerId: from + index,
          messageKey: `rl:${from + index}`,
          text: 'hi',
        }));
      // 50 messages are 2 requests: exactly the token's 2 a second.
      await Promise.all(messages(1, 50).map((message) => first.sendMessage(message)));
      expect(limited.rateLimited).toBe(0);
      // The other client of the same token is over the limit: its whole batch is refused once.
      const refused = await Promise.allSettled(
        messages(51, 25).map((message) => second.sendMessage(message)),
      );
      expect(refused.every((outcome) => outcome.status === 'rejected')).toBe(true);
      expect((refused[0] as PromiseRejectedResult).reason).toBeInstanceOf(VkTooManyRequestsError);
      expect(limited.rateLimited).toBe(1);
      // Another token is not.
      await new ExecuteBatcher(on('other')).sendMessage({ peerId: 99, messageKey: 'rl:other', text: 'hi' });
      expect(limited.sent).toHaveLength(51);
      expect(executeCalls(limited).map((call) => call.outcome)).toEqual(['ok', 'ok', 'error 6', 'ok']);
    } finally {
      await limited.stop();
    }
  });

  it('delivers texts and keyboards with tricky characters exactly', async () => {
    const texts = [
      'He said "hi" and \'bye\'',
      'back\\slash, \\n that is not a newline, \\u0041, \\"',
      'line 1\nline 2\r\n\ttabbed',
      'Привет, мир! Ёлка, щука, «ёлочки» — тире',
      '👍🏽 👨‍👩‍👧 🇷🇺 𝔘𝔫𝔦𝔠𝔬𝔡𝔢',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal ${…} is what this text tests
      '*/ /* // <!-- --> </script> ${x} `tick`',
      '"]);return [API.messages.send({"peer_id":1,"message":"injected"})];//',
      '%20 & = + ? # %D0%9F',
      'separators \u2028 \u2029 and controls \u0001\u001f\u007f',
      '{"looks":["like",{"json":"}"}]}',
      'ы'.repeat(4096),
    ];
    const keyboard = {
      inline: true,
      buttons: [
        [
          {
            action: { type: 'text', label: 'Да "точно" \\ */', payload: '{"c":"yes","q":"\\""}' },
            color: 'positive',
          },
        ],
      ],
    };
    const batcher = new ExecuteBatcher(client());
    await Promise.all(
      texts.map((text, index) =>
        batcher.sendMessage({
          peerId: index + 1,
          messageKey: `t:${index}`,
          text,
          ...(index === 0 ? { keyboard } : {}),
        }),
      ),
    );
    expect(executeCalls()).toHaveLength(1);
    for (const [index, text] of texts.entries()) expect(textsTo(index + 1)).toEqual([text]);
    expect(sandbox.sent.find((message) => message.peerId === 1)?.keyboard).toEqual(keyboard);
    expect(sandbox.sent.find((message) => message.peerId === 2)?.keyboard).toBeNull();
  });

  it('batches sends of the same turn by default, and of a window when given one', async () => {
    const vk = client();
    const sameTurn = new ExecuteBatcher(vk);
    await Promise.all([
      sameTurn.sendMessage({ peerId: 1, messageKey: 'w:1', text: 'a' }),
      Promise.resolve().then(() => sameTurn.sendMessage({ peerId: 2, messageKey: 'w:2', text: 'b' })),
    ]);
    expect(batchSizes()).toEqual([2]);

    sandbox.reset();
    const windowed = new ExecuteBatcher(vk, { windowMs: 100 });
    const first = windowed.sendMessage({ peerId: 3, messageKey: 'w:3', text: 'c' });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const second = windowed.sendMessage({ peerId: 4, messageKey: 'w:4', text: 'd' });
    expect(windowed.pendingCount).toBe(2);
    await Promise.all([first, second]);
    expect(batchSizes()).toEqual([2]);
  });

  it('sends long texts in more requests, keeping each request’s code within its budget', async () => {
    const batcher = new ExecuteBatcher(client(), { maxCodeBytes: 10_000 });
    await Promise.all(
      Array.from({ length: 10 }, (_, index) =>
        batcher.sendMessage({ peerId: index + 1, messageKey: `long:${index}`, text: 'щ'.repeat(2000) }),
      ),
    );
    expect(sandbox.sent).toHaveLength(10);
    for (const call of executeCalls())
      expect(Buffer.byteLength(call.params.code ?? '')).toBeLessThanOrEqual(10_000);
    expect(batchSizes()).toEqual([2, 2, 2, 2, 2]);
  });

  it('withdraws a message aborted before its batch leaves, and flush sends the rest at once', async () => {
    const batcher = new ExecuteBatcher(client(), { windowMs: 10_000 });
    const controller = new AbortController();
    const withdrawn = batcher.sendMessage(
      { peerId: 1, messageKey: 'a:1', text: 'never' },
      { signal: controller.signal },
    );
    const kept = batcher.sendMessage({ peerId: 2, messageKey: 'a:2', text: 'kept' });
    controller.abort(new Error('the user left'));
    await expect(withdrawn).rejects.toThrow('the user left');
    await batcher.flush();
    await expect(kept).resolves.toEqual(expect.any(Number));
    expect(sandbox.sent.map((message) => message.text)).toEqual(['kept']);
    expect(batcher.pendingCount).toBe(0);
  });
});
