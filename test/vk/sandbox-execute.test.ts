import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { messagesSendParams } from '../../lib/vk/client';
import { executeCallCode } from '../../lib/vk/execute';
import { VkSandbox } from '../../scripts/sandbox/vk-sandbox';
import { formParams, parseExecuteCode } from '../../scripts/sandbox/vkscript';

/** The sandbox's `execute` over HTTP, the way VK answers it, without our client in between. */
describe('VK sandbox: execute', () => {
  let sandbox: VkSandbox;

  const post = async (
    method: string,
    params: Record<string, string>,
    options: { token?: string; tokenAs?: 'header' | 'param'; timeoutMs?: number } = {},
  ) => {
    const token = options.token ?? 'group-token';
    const body = new URLSearchParams({
      v: '5.199',
      ...params,
      ...(options.tokenAs === 'param' ? { access_token: token } : {}),
    });
    const response = await fetch(`${sandbox.apiUrl}/${method}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...(options.tokenAs === 'param' ? {} : { authorization: `Bearer ${token}` }),
      },
      body,
      signal: AbortSignal.timeout(options.timeoutMs ?? 5000),
    });
    const text = await response.text();
    return { status: response.status, body: response.status === 200 ? JSON.parse(text) : text };
  };
  const send = (peerId: number, text: string, randomId: number) =>
    `API.messages.send(${JSON.stringify({ peer_id: peerId, random_id: randomId, message: text })})`;
  const execute = (calls: string[], options?: Parameters<typeof post>[2]) =>
    post('execute', { code: `return [${calls.join(',')}];` }, options);

  beforeAll(async () => {
    sandbox = await new VkSandbox({ groupId: 1, callbackSecret: 's' }).start();
  });
  afterAll(() => sandbox.stop());
  beforeEach(() => {
    sandbox.reset();
    sandbox.allowed.clear();
    for (const userId of [1, 2, 3, 4, 5]) sandbox.allowed.add(userId);
  });

  it('answers each call in order: its result, or false and an execute_errors entry', async () => {
    const { body } = await execute([send(1, 'one', 11), send(99, 'never allowed', 12), send(3, 'three', 13)]);
    const [first, third] = sandbox.sent;
    expect(body).toEqual({
      response: [first!.messageId, false, third!.messageId],
      execute_errors: [
        {
          method: 'messages.send',
          error_code: 901,
          error_msg: "Can't send messages for users without permission",
        },
      ],
    });
    expect(sandbox.sent.map((message) => [message.peerId, message.text])).toEqual([
      [1, 'one'],
      [3, 'three'],
    ]);
    // Inner calls are recorded (marked) before the request that carried them.
    expect(sandbox.calls.map((call) => [call.method, call.outcome, call.via])).toEqual([
      ['messages.send', 'ok', 'execute'],
      ['messages.send', 'error 901', 'execute'],
      ['messages.send', 'ok', 'execute'],
      ['execute', 'ok', undefined],
    ]);
    expect(sandbox.calls[0]?.params).toEqual({ peer_id: '1', random_id: '11', message: 'one' });
  });

  it('leaves execute_errors out when every call succeeds', async () => {
    const { body } = await execute([send(1, 'a', 21), send(2, 'b', 22)]);
    expect(Object.keys(body)).toEqual(['response']);
    expect(await execute([])).toEqual({ status: 200, body: { response: [] } });
  });

  it('runs inner calls through the checks, dedup and effects of direct calls', async () => {
    const direct = await post('messages.send', { peer_id: '1', random_id: '31', message: 'direct' });
    const { body } = await execute([
      send(1, 'direct again', 31),
      send(2, 'x'.repeat(9001), 32),
      `API.messages.send(${JSON.stringify({ peer_id: 3, random_id: 33, message: 'k', keyboard: '{"buttons":{}}' })})`,
      'API.messages.nope({"peer_id":4})',
      'API.messages.send({"peer_id":4,"random_id":34,"message":"nested","keyboard":{"buttons":[]}})',
      send(5, 'fine', 35),
    ]);
    expect(body.response).toEqual([direct.body.response, false, false, false, false, expect.any(Number)]);
    expect(body.execute_errors.map((entry: { error_code: number }) => entry.error_code)).toEqual([
      914, 911, 3, 100,
    ]);
    expect(body.execute_errors[2].method).toBe('messages.nope');
    expect(sandbox.sent.map((message) => message.text)).toEqual(['direct', 'fine']);
    expect(sandbox.calls.filter((call) => call.via).map((call) => call.outcome)).toEqual([
      'duplicate',
      'error 914',
      'error 911',
      'error 3',
      'error 100',
      'ok',
    ]);
  });

  it.each([
    ['no return', 'API.messages.send({"peer_id":1,"message":"a"});'],
    ['no list', 'return API.messages.send({"peer_id":1,"message":"a"});'],
    ['VKScript keys, not JSON', 'return [API.messages.send({peer_id:1,message:"a"})];'],
    ['single quotes', "return [API.messages.send({'peer_id':1,'message':'a'})];"],
    ['a variable', 'var a = API.messages.send({"peer_id":1,"message":"a"}); return [a];'],
    ['a comment', '/* hi */ return [API.messages.send({"peer_id":1,"message":"a"})];'],
    ['a second statement', 'return [API.messages.send({"peer_id":1,"message":"a"})]; return [];'],
    ['two arguments', 'return [API.messages.send({"peer_id":1,"message":"a"},{"x":1})];'],
    ['an array argument', 'return [API.messages.send([1,2])];'],
    ['a trailing comma', 'return [API.messages.send({"peer_id":1,"message":"a"}),];'],
    ['an unterminated string', 'return [API.messages.send({"peer_id":1,"message":"a})];'],
    ['a bare method', 'return [API.send({"peer_id":1,"message":"a"})];'],
    ['empty code', ''],
  ])('refuses %s with error 12 and runs nothing', async (_name, code) => {
    const { body } = await post('execute', { code });
    expect(body.error.error_code).toBe(12);
    expect(body.error.error_msg).toMatch(/^Unable to compile code: .+/);
    expect(sandbox.sent).toEqual([]);
  });

  it('answers 100 without code', async () => {
    expect((await post('execute', {})).body.error).toMatchObject({
      error_code: 100,
      error_msg: 'One of the parameters specified was missing or invalid: code is undefined',
    });
  });

  it('runs 25 calls; a 26th is runtime error 13, after the first 25 took effect', async () => {
    for (let userId = 1; userId <= 26; userId++) sandbox.allowed.add(userId);
    const calls = (count: number, base: number) =>
      Array.from({ length: count }, (_, index) => send(index + 1, `m${index}`, base + index));
    expect((await execute(calls(25, 100))).body.response).toHaveLength(25);
    sandbox.reset();
    const { body } = await execute(calls(26, 200));
    expect(body.error).toMatchObject({ error_code: 13 });
    expect(body.error.error_msg).toMatch(
      /^Runtime error occurred during code invocation: Too many API calls/,
    );
    expect(sandbox.sent).toHaveLength(25);
  });

  it('counts the rate limit per access token, an execute as one request', async () => {
    const limited = await new VkSandbox({ groupId: 1, callbackSecret: 's', rateLimitPerSecond: 3 }).start();
    for (let userId = 1; userId <= 60; userId++) limited.allowed.add(userId);
    const previous = sandbox;
    sandbox = limited;
    try {
      const batch = (base: number) =>
        Array.from({ length: 25 }, (_, index) => send(index + 1, 'x', base + index));
      // The same token by header and by parameter: one budget of 3 a second.
      await post('messages.send', { peer_id: '1', random_id: '1', message: 'a' }, { token: 'shared' });
      expect((await execute(batch(1000), { token: 'shared', tokenAs: 'param' })).body.response).toHaveLength(
        25,
      );
      expect((await execute(batch(2000), { token: 'shared' })).body.response).toHaveLength(25);
      const refused = await execute(batch(3000), { token: 'shared', tokenAs: 'param' });
      expect(refused.body.error).toMatchObject({ error_code: 6, error_msg: 'Too many requests per second' });
      // Another token has its own budget.
      expect((await execute(batch(4000), { token: 'other' })).body.response).toHaveLength(25);
      expect(limited.rateLimited).toBe(1);
      expect(limited.sent).toHaveLength(1 + 25 + 25 + 25);
    } finally {
      sandbox = previous;
      await limited.stop();
    }
  });

  it('plays a fault for a method on that call inside execute, and a fault for any method on the request', async () => {
    sandbox.injectFault({ method: 'messages.send', error: 9, times: 1 });
    const { body } = await execute([send(1, 'a', 41), send(2, 'b', 42)]);
    expect(body.response).toEqual([false, expect.any(Number)]);
    expect(body.execute_errors).toEqual([
      { method: 'messages.send', error_code: 9, error_msg: 'Flood control' },
    ]);

    sandbox.injectFault({ error: 10, times: 1 });
    expect((await execute([send(3, 'c', 43)])).body.error).toMatchObject({ error_code: 10 });
    expect(sandbox.sent.map((message) => message.text)).toEqual(['b']);
  });

  it('loses the whole answer for lost_answer, and ends the request at an inner http500', async () => {
    sandbox.injectFault({ method: 'execute', error: 'lost_answer', times: 1 });
    expect(await execute([send(1, 'a', 51)])).toEqual({ status: 500, body: 'Internal Server Error' });
    expect(sandbox.sent.map((message) => message.text)).toEqual(['a']);

    sandbox.injectFault({ method: 'messages.send', error: 'lost_answer', times: 1 });
    expect((await execute([send(2, 'b', 52), send(3, 'c', 53)])).status).toBe(500);
    expect(sandbox.sent.map((message) => message.text)).toEqual(['a', 'b', 'c']);

    // A call's server fails: the calls before it took effect, it and the rest never ran.
    sandbox.reset();
    sandbox.injectFault({ method: 'messages.send', error: 'http500', times: 1 });
    const answer = await execute([
      'API.messages.sendMessageEventAnswer({"event_id":"e1","user_id":1,"peer_id":1})',
      send(2, 'e', 62),
      send(3, 'f', 63),
    ]);
    expect(answer).toEqual({ status: 500, body: 'Internal Server Error' });
    expect(sandbox.eventAnswers).toHaveLength(1);
    expect(sandbox.sent).toEqual([]);
    expect(sandbox.calls.at(-1)).toMatchObject({ method: 'execute', outcome: 'http 500' });
  });

  it('never answers an execute whose inner call times out', async () => {
    sandbox.injectFault({ method: 'messages.send', error: 'timeout', times: 1 });
    await expect(execute([send(1, 'a', 71)], { timeoutMs: 200 })).rejects.toThrow();
    expect(sandbox.sent).toEqual([]);
  });
});

describe('VKScript subset', () => {
  it('parses the calls and their JSON arguments exactly', () => {
    const text = 'He said "hi"\n\\ */ 👍 Привет \u2028 ]);';
    const code = `return [${executeCallCode('messages.send', { peer_id: 1, message: text, random_id: 7 })},API.users.get({"user_ids":[1,2]})];`;
    expect(parseExecuteCode(code)).toEqual({
      calls: [
        { method: 'messages.send', args: { peer_id: 1, message: text, random_id: 7 } },
        { method: 'users.get', args: { user_ids: [1, 2] } },
      ],
    });
    expect(parseExecuteCode(' \n return [ ] ')).toEqual({ calls: [] });
  });

  it('encodes arguments as a direct call’s form parameters', () => {
    expect(
      formParams({ peer_id: 5, message: 'x', disable_mentions: true, user_ids: [1, 2], gone: null }),
    ).toEqual({
      peer_id: '5',
      message: 'x',
      disable_mentions: '1',
      user_ids: '1,2',
    });
    expect(formParams({ keyboard: { buttons: [] } })).toEqual({ invalid: 'keyboard' });
  });
});

// VK's own schema of messages.send (../shared/vk-api-schema, when present): what we put in an execute
// call is what a direct call may carry.
const schemaPath = join(__dirname, '../../../shared/vk-api-schema/messages/methods.json');
(existsSync(schemaPath) ? describe : describe.skip)('messages.send parameters against VK’s schema', () => {
  it('sends only declared parameters, with their types', () => {
    const schema = JSON.parse(readFileSync(schemaPath, 'utf8')) as {
      methods: Array<{ name: string; parameters: Array<{ name: string; type: string; maxLength?: number }> }>;
    };
    const declared = new Map(
      schema.methods.find((method) => method.name === 'messages.send')!.parameters.map((p) => [p.name, p]),
    );
    const code = executeCallCode(
      'messages.send',
      messagesSendParams({
        peerId: 2_000_000_001,
        messageKey: 'k',
        text: 'hello',
        keyboard: { inline: true, buttons: [] },
        attachment: 'photo1_2',
        disableMentions: true,
      }),
    );
    const parsed = parseExecuteCode(`return [${code}];`);
    if (!('calls' in parsed)) throw new Error(parsed.compileError);
    for (const [name, value] of Object.entries(parsed.calls[0]!.args)) {
      const parameter = declared.get(name);
      expect(parameter).toBeDefined();
      if (parameter!.type === 'integer') expect(Number.isInteger(value)).toBe(true);
      if (parameter!.type === 'boolean') expect([0, 1]).toContain(value);
      if (parameter!.type === 'string') expect(typeof value).toBe('string');
    }
    expect(declared.get('message')?.maxLength).toBe(9000);
  });
});
