import { handleCallback } from '../../lib/callback/handler';
import { ManualClock } from '../../lib/clock';
import type { HttpRequest } from '../../lib/http/http';
import { createLogger } from '../../lib/log/logger';
import { SqliteStore } from '../../lib/storage/sqlite/store';

const settings = { groupId: 100, secret: 's3cret', confirmationCode: 'abc123' };

function setup() {
  const store = new SqliteStore(':memory:');
  const lines: string[] = [];
  const deps = {
    settings,
    store,
    clock: new ManualClock(),
    logger: createLogger({ sink: (line) => lines.push(line) }),
  };
  let id = 0;
  const post = (
    body: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ statusCode: number; body?: string }> => {
    const request: HttpRequest = {
      method: 'POST',
      path: '/vk/callback',
      headers,
      query: {},
      body: typeof body === 'string' ? body : JSON.stringify(body),
      requestId: `r${++id}`,
    };
    return handleCallback(request, deps);
  };
  const event = (type: string, object: unknown, eventId = `e${Math.random()}`) => ({
    type,
    group_id: 100,
    event_id: eventId,
    v: '5.199',
    secret: 's3cret',
    object,
  });
  return { store, post, event, lines, clock: deps.clock };
}

describe('VK callback endpoint', () => {
  it('answers confirmation for the configured group with the code, and 403 for another group', async () => {
    const { post } = setup();
    expect(await post({ type: 'confirmation', group_id: 100 })).toMatchObject({
      statusCode: 200,
      body: 'abc123',
    });
    expect(await post({ type: 'confirmation', group_id: 101 })).toMatchObject({ statusCode: 403 });
  });

  it('refuses a wrong or missing secret with 403 and changes nothing', async () => {
    const { post, event, store } = setup();
    const allow = event('message_allow', { user_id: 7 });
    expect(await post({ ...allow, secret: 'wrong' })).toMatchObject({ statusCode: 403 });
    const { secret: _secret, ...withoutSecret } = allow;
    expect(await post(withoutSecret)).toMatchObject({ statusCode: 403 });
    expect(await store.read((r) => r.users.get(7))).toBeNull();
  });

  it('records message_allow and message_deny and answers exactly ok', async () => {
    const { post, event, store } = setup();
    expect(await post(event('message_allow', { user_id: 7, key: 'from-app' }))).toMatchObject({
      statusCode: 200,
      body: 'ok',
    });
    expect((await store.read((r) => r.users.get(7)))?.messagesAllowed).toBe(true);
    await post(event('message_deny', { user_id: 7 }));
    expect((await store.read((r) => r.users.get(7)))?.messagesAllowed).toBe(false);
  });

  it('applies a duplicate event_id once, even when the copies arrive together', async () => {
    const { post, event, store } = setup();
    const first = event(
      'message_new',
      {
        message: { id: 1, date: 1, peer_id: 9, from_id: 9, text: 'hi', attachments: [] },
        client_info: { button_actions: ['text'], keyboard: true, inline_keyboard: true, lang_id: 3 },
      },
      'same-id',
    );
    const answers = await Promise.all([post(first), post(first), post(first)]);
    expect(answers.map((a) => a.body)).toEqual(['ok', 'ok', 'ok']);
    expect((await store.read((r) => r.users.get(9)))?.language).toBe('en');
    await store.transaction((r) => r.users.delete(9));
    await post(first);
    expect(await store.read((r) => r.users.get(9))).toBeNull();
  });

  it('answers unknown event types ok and ignores them', async () => {
    const { post, event } = setup();
    expect(await post(event('wall_post_new', { id: 1 }))).toMatchObject({ statusCode: 200, body: 'ok' });
  });

  it('answers bad input with 4xx and a log line, never 5xx', async () => {
    const { post, lines } = setup();
    expect(await post('{not json')).toMatchObject({ statusCode: 400 });
    expect(await post({ type: 'message_new' })).toMatchObject({ statusCode: 400 });
    expect(await post({ type: 'message_new', group_id: 100, secret: 's3cret' })).toMatchObject({
      statusCode: 400,
    });
    expect(await post('x'.repeat(1024 * 1024 + 1))).toMatchObject({ statusCode: 413 });
    expect(lines.filter((line) => line.includes('callback rejected'))).toHaveLength(4);
  });

  it('answers 500 while the effects fail so VK retries, then records a poison event and answers ok on the third try', async () => {
    const { post, event, store, lines, clock } = setup();
    const allow = event('message_allow', { user_id: 5 }, 'poison-1');
    // The store fails for the first three tries' effects, then recovers (for recording the poison).
    const failing = jest.spyOn(store, 'transaction');
    for (let i = 0; i < 3; i++) failing.mockRejectedValueOnce(new Error('db down'));
    expect(await post(allow)).toMatchObject({ statusCode: 500 });
    expect(await post(allow, { 'x-retry-counter': '1' })).toMatchObject({ statusCode: 500 });
    expect(await post(allow, { 'x-retry-counter': '2' })).toMatchObject({ statusCode: 200, body: 'ok' });
    failing.mockRestore();
    expect((await store.read((r) => r.claims.get('vk-event:poison-1', clock.now())))?.value).toMatchObject({
      outcome: 'poison',
    });
    expect(lines.some((line) => line.includes('poison event acknowledged'))).toBe(true);
    // A later retry of the poison event changes nothing.
    expect(await post(allow, { 'x-retry-counter': '3' })).toMatchObject({ body: 'ok' });
    expect(await store.read((r) => r.users.get(5))).toBeNull();
  });

  it('never logs the secret', async () => {
    const { post, event, lines } = setup();
    await post({ ...event('message_allow', { user_id: 1 }), secret: 'wrong-secret-value' });
    await post(event('message_allow', { user_id: 1 }));
    expect(lines.join('\n')).not.toMatch(/s3cret|wrong-secret-value/);
  });
});
