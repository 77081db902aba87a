import { signLaunchParams } from '../../lib/api/launch-params';
import { HOUR } from '../../lib/clock';
import { devDefaults, type LocalStack, startLocalStack } from '../../scripts/local/stack';

/**
 * The ticket-api through its real HTTP path: the local stack's gateway server, the SQLite store,
 * the embedded queue and its in-process consumer, and the VK sandbox.
 */
let stack: LocalStack;
const ADMIN = 'dev-admin-token-0123456789ab';
const OPERATOR = 'dev-operator-token-0123456789';

beforeAll(async () => {
  stack = await startLocalStack(
    { LOG_LEVEL: 'error', MINI_APP_ORIGINS: 'https://app.example', TICKETS_PER_HOUR: '5' },
    { inMemory: true, pollMs: 10, sink: () => {} },
  );
});
afterAll(async () => {
  await stack.close();
});

let nextUser = 5_000_000;
const freshUser = () => ++nextUser;

interface Call {
  user?: number;
  launchParams?: string;
  operator?: string;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
}

async function api(method: string, path: string, call: Call = {}) {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...call.headers };
  if (call.user !== undefined) headers['x-vk-launch-params'] = stack.launchParamsFor(call.user);
  if (call.launchParams !== undefined) headers['x-vk-launch-params'] = call.launchParams;
  if (call.operator) headers['x-operator-token'] = call.operator;
  const response = await fetch(`${stack.url}${path}`, {
    method,
    headers,
    ...(call.rawBody !== undefined
      ? { body: call.rawBody }
      : call.body !== undefined
        ? { body: JSON.stringify(call.body) }
        : {}),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : null };
}

const ticketBody = (overrides: Record<string, unknown> = {}) => ({
  category: 'bug',
  subject: 'Не открывается профиль',
  description: 'После обновления белый экран на профиле',
  screen: 'profile',
  appVersion: '2.3.1',
  recentEvents: [{ name: 'screen_view', at: Date.now() - 60_000, screen: 'profile' }],
  ...overrides,
});

async function eventually<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 5000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('ticket-api: the mini app', () => {
  it('files a ticket and shows it in "My tickets" with its thread and status history', async () => {
    const user = freshUser();
    const created = await api('POST', '/api/tickets', { user, body: ticketBody() });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      number: expect.stringMatching(/^B-\d{4,}$/),
      status: 'new',
      category: 'bug',
    });
    expect(Date.parse(created.body.expectedFirstResponseAt)).toBeGreaterThan(
      Date.parse(created.body.createdAt),
    );

    const list = await api('GET', '/api/tickets', { user });
    expect(list.body.tickets.map((t: { number: string }) => t.number)).toEqual([created.body.number]);
    const thread = await api('GET', `/api/tickets/${created.body.number}`, { user });
    expect(thread.status).toBe(200);
    expect(thread.body.messages).toEqual([
      expect.objectContaining({ seq: 1, author: 'user', text: 'После обновления белый экран на профиле' }),
    ]);
    expect(thread.body.statusHistory).toEqual([expect.objectContaining({ from: null, to: 'new' })]);
  });

  it('answers 401 for a bad signature, stale vk_ts or no launch params, and changes nothing', async () => {
    const user = freshUser();
    const forged = stack.launchParamsFor(user).replace(`vk_user_id=${user}`, `vk_user_id=${user + 1}`);
    const stale = signLaunchParams(
      {
        vk_user_id: String(user),
        vk_app_id: devDefaults.VK_APP_ID ?? '',
        vk_ts: String(Math.floor(Date.now() / 1000) - 2 * 86_400),
      },
      devDefaults.VK_APP_SECRET ?? '',
    );
    for (const launchParams of [forged, stale, '']) {
      const answer = await api('POST', '/api/tickets', { launchParams, body: ticketBody() });
      expect(answer.status).toBe(401);
      expect(answer.headers.get('content-type')).toBe('application/problem+json');
      expect(answer.body.type).toMatch(/launch_params_/);
    }
    expect((await api('GET', '/api/tickets', { user })).body.tickets).toEqual([]);
  });

  it("answers 404, not 403, for another user's ticket", async () => {
    const owner = freshUser();
    const created = await api('POST', '/api/tickets', { user: owner, body: ticketBody() });
    const stranger = freshUser();
    const answer = await api('GET', `/api/tickets/${created.body.number}`, { user: stranger });
    expect(answer.status).toBe(404);
    expect(
      (
        await api('POST', `/api/tickets/${created.body.number}/messages`, {
          user: stranger,
          body: { text: 'hi' },
        })
      ).status,
    ).toBe(404);
  });

  it('names every bad field of a bad body, writing nothing', async () => {
    const user = freshUser();
    const answer = await api('POST', '/api/tickets', {
      user,
      body: ticketBody({
        category: 'nope',
        subject: 'x'.repeat(121),
        contact: { email: 'not-mail', phone: '12' },
        attachments: ['doc1_2'],
      }),
    });
    expect(answer.status).toBe(400);
    expect(answer.body.errors.map((e: { path: string }) => e.path).sort()).toEqual([
      'body.attachments.0',
      'body.category',
      'body.contact.email',
      'body.contact.phone',
      'body.subject',
    ]);
    expect((await api('POST', '/api/tickets', { user, rawBody: '{not json' })).status).toBe(400);
    // Control characters are never typed: a NUL or an escape sequence is refused, a line break kept.
    const controls = await api('POST', '/api/tickets', {
      user,
      body: ticketBody({ subject: 'abc\u0000def', description: 'строка\n\u001b[31mкрасная' }),
    });
    expect(controls.status).toBe(400);
    expect(controls.body.errors).toEqual([
      { path: 'body.subject', message: 'must not contain control characters' },
      { path: 'body.description', message: 'must not contain control characters' },
    ]);
    // Half a surrogate pair is valid JSON but no character: refused, not stored as U+FFFD.
    const lone = await api('POST', '/api/tickets', {
      user,
      rawBody: JSON.stringify(ticketBody()).replace('Не открывается', 'Не открывается \\ud800'),
    });
    expect(lone.status).toBe(400);
    expect(lone.body.errors).toEqual([
      { path: 'body.subject', message: 'must be valid Unicode (a lone surrogate is not)' },
    ]);
    // A whole pair (an emoji) is a character like any other.
    const emoji = await api('POST', '/api/tickets', {
      user,
      body: ticketBody({ subject: 'Не открывается 😕' }),
    });
    expect(emoji.status).toBe(201);
    expect((await api('GET', '/api/tickets', { user })).body.tickets).toHaveLength(1);
  });

  it('refuses a body over 64 KB with 413', async () => {
    const answer = await api('POST', '/api/tickets', {
      user: freshUser(),
      rawBody: JSON.stringify({ description: 'x'.repeat(70_000) }),
    });
    expect(answer.status).toBe(413);
  });

  it('limits a user to 5 tickets an hour with 429 and Retry-After', async () => {
    const user = freshUser();
    for (let i = 0; i < 5; i++)
      expect((await api('POST', '/api/tickets', { user, body: ticketBody() })).status).toBe(201);
    const refused = await api('POST', '/api/tickets', { user, body: ticketBody() });
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(3000);
    expect(retryAfter).toBeLessThanOrEqual(3600);
  });

  it('files one ticket for concurrent retries with one Idempotency-Key, and refuses the key with another body', async () => {
    const user = freshUser();
    const headers = { 'idempotency-key': 'offline-retry-42' };
    const body = ticketBody(); // a retry re-sends the very same request
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => api('POST', '/api/tickets', { user, headers, body })),
    );
    expect(new Set(answers.map((a) => a.status))).toEqual(new Set([201]));
    expect(new Set(answers.map((a) => a.body.number)).size).toBe(1);
    expect(answers.filter((a) => a.headers.get('idempotent-replayed') === 'true')).toHaveLength(5);
    expect((await api('GET', '/api/tickets', { user })).body.tickets).toHaveLength(1);
    const reused = await api('POST', '/api/tickets', {
      user,
      headers,
      body: ticketBody({ subject: 'Другое' }),
    });
    expect(reused.status).toBe(422);
  });

  it('files anew when the ticket a key created was erased since: a replay never answers with what the user no longer has', async () => {
    const user = freshUser();
    const headers = { 'idempotency-key': 'before-erasure' };
    const body = ticketBody();
    const first = await api('POST', '/api/tickets', { user, headers, body });
    expect(first.status).toBe(201);
    expect((await api('DELETE', '/api/me', { user })).status).toBe(200);
    const again = await api('POST', '/api/tickets', { user, headers, body });
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBeNull();
    expect(again.body.number).not.toBe(first.body.number);
    expect(
      (await api('GET', '/api/tickets', { user })).body.tickets.map((t: { number: string }) => t.number),
    ).toEqual([again.body.number]);
  });

  it('filters "My tickets" by status and category and pages with a cursor', async () => {
    const user = freshUser();
    const numbers: string[] = [];
    for (const category of ['bug', 'question', 'bug', 'payment']) {
      numbers.push((await api('POST', '/api/tickets', { user, body: ticketBody({ category }) })).body.number);
    }
    const bugs = await api('GET', '/api/tickets?category=bug', { user });
    expect(bugs.body.tickets.map((t: { number: string }) => t.number)).toEqual([numbers[2], numbers[0]]);
    const first = await api('GET', '/api/tickets?limit=3', { user });
    expect(first.body.tickets).toHaveLength(3);
    const second = await api('GET', `/api/tickets?limit=3&cursor=${first.body.nextCursor}`, { user });
    expect(second.body.tickets.map((t: { number: string }) => t.number)).toEqual([numbers[0]]);
    expect(second.body.nextCursor).toBeNull();
    expect((await api('GET', '/api/tickets?status=resolved', { user })).body.tickets).toEqual([]);
    expect((await api('GET', '/api/tickets?cursor=garbage', { user })).status).toBe(400);
  });

  it('reopens a resolved ticket on a new message, and starts a linked ticket after the window', async () => {
    const user = freshUser();
    const { number } = (await api('POST', '/api/tickets', { user, body: ticketBody() })).body;
    expect(
      (
        await api('POST', `/api/ops/tickets/${number}/status`, {
          operator: OPERATOR,
          body: { status: 'resolved' },
        })
      ).body.status,
    ).toBe('resolved');
    const reopened = await api('POST', `/api/tickets/${number}/messages`, {
      user,
      body: { text: 'Снова не работает' },
    });
    expect(reopened.status).toBe(200);
    expect(reopened.body).toMatchObject({ number, status: 'new', reopened: true });

    await api('POST', `/api/ops/tickets/${number}/status`, {
      operator: OPERATOR,
      body: { status: 'resolved' },
    });
    stack.clock.advance(8 * 24 * HOUR); // past the 7-day reopen window
    const linked = await api('POST', `/api/tickets/${number}/messages`, {
      user: user,
      body: { text: 'И опять' },
    });
    expect(linked.status).toBe(201);
    expect(linked.body.number).not.toBe(number);
    expect(linked.body.linkedTo).toBe(number);

    // The user keeps writing in the old thread, one by one and at once: all of it joins that follow-up.
    const more = [
      await api('POST', `/api/tickets/${number}/messages`, { user, body: { text: 'Ещё деталь' } }),
      ...(await Promise.all(
        Array.from({ length: 8 }, (_, index) =>
          api('POST', `/api/tickets/${number}/messages`, { user, body: { text: `Скриншот ${index}` } }),
        ),
      )),
    ];
    expect(more.map((answer) => [answer.status, answer.body.number])).toEqual(
      more.map(() => [200, linked.body.number]),
    );
    const mine = (await api('GET', '/api/tickets', { user })).body.tickets;
    expect(mine.map((t: { number: string }) => t.number)).toEqual([linked.body.number, number]);
    const thread = (await api('GET', `/api/tickets/${linked.body.number}`, { user })).body;
    expect(thread.messages).toHaveLength(10);
  });

  it('takes a rating once, only for a resolved ticket', async () => {
    const user = freshUser();
    const { number } = (await api('POST', '/api/tickets', { user, body: ticketBody() })).body;
    expect((await api('POST', `/api/tickets/${number}/rating`, { user, body: { rating: 5 } })).status).toBe(
      409,
    );
    await api('POST', `/api/ops/tickets/${number}/status`, {
      operator: OPERATOR,
      body: { status: 'resolved' },
    });
    expect((await api('POST', `/api/tickets/${number}/rating`, { user, body: { rating: 6 } })).status).toBe(
      400,
    );
    expect((await api('POST', `/api/tickets/${number}/rating`, { user, body: { rating: 4 } })).body).toEqual({
      number,
      rating: 4,
      reason: null,
    });
    const again = await api('POST', `/api/tickets/${number}/rating`, { user, body: { rating: 1 } });
    expect(again.status).toBe(409);
    expect(again.body.type).toMatch(/already_rated/);
  });

  it('searches the knowledge base in ru and en and serves an article', async () => {
    const ru = await api('GET', `/api/kb?q=${encodeURIComponent('не проходит оплата картой')}&lang=ru`);
    expect(ru.body.results[0].slug).toBe('payment-failed');
    const en = await api('GET', '/api/kb?q=notifications%20quiet%20hours&lang=en');
    expect(en.body.results[0].slug).toBe('notifications');
    expect((await api('GET', '/api/kb/payment-failed?lang=en')).body.title).toBe(
      "Payment doesn't go through",
    );
    expect((await api('GET', '/api/kb/nothing-here')).status).toBe(404);
    expect((await api('GET', '/api/kb')).status).toBe(400);
  });

  it('logs events once per id, only allow-listed names', async () => {
    const user = freshUser();
    const events = [
      { id: 'e1', name: 'quiz_start', at: Date.now() - 1000, screen: 'quiz', props: { level: 2 } },
      { id: 'e2', name: 'quiz_finish', at: new Date().toISOString() },
    ];
    expect((await api('POST', '/api/events', { user, body: { events } })).body).toEqual({
      received: 2,
      stored: 2,
    });
    expect((await api('POST', '/api/events', { user, body: { events } })).body).toEqual({
      received: 2,
      stored: 0,
    });
    const bad = await api('POST', '/api/events', {
      user,
      body: { events: [{ id: 'e3', name: 'drop_table', at: Date.now() }] },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].path).toBe('body.events.0.name');
    const tooMany = Array.from({ length: 101 }, (_, i) => ({
      id: `x${i}`,
      name: 'app_open',
      at: Date.now(),
    }));
    expect((await api('POST', '/api/events', { user, body: { events: tooMany } })).status).toBe(400);
  });

  it('reads and changes preferences and notification consent', async () => {
    const user = freshUser();
    const opened = stack.launchParamsFor(user); // signed once, when the app opened
    const initial = await api('GET', '/api/me/preferences', { user });
    expect(initial.body).toMatchObject({ language: 'ru', notificationsAllowed: true, quietHours: null });
    const changed = await api('PUT', '/api/me/preferences', {
      user,
      body: { language: 'en', notificationTypes: { news: true }, quietHours: { from: '22:00', to: '08:00' } },
    });
    expect(changed.body).toMatchObject({
      language: 'en',
      notificationTypes: { ticketUpdates: true, reminders: true, news: true },
      quietHours: { from: '22:00', to: '08:00' },
    });
    expect(
      (
        await api('PUT', '/api/me/preferences', {
          user,
          body: { quietHours: { from: '25:00', to: '08:00' } },
        })
      ).status,
    ).toBe(400);
    expect(
      (await api('POST', '/api/me/notifications', { launchParams: opened, body: { enabled: false } })).body
        .notificationsAllowed,
    ).toBe(false);
    // The app's launch params, signed when it opened, still say "enabled": they don't undo the withdrawal.
    expect(
      (await api('GET', '/api/me/preferences', { launchParams: opened })).body.notificationsAllowed,
    ).toBe(false);
  });

  it('answers CORS preflights for the mini app origin only', async () => {
    const allowed = await fetch(`${stack.url}/api/tickets`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example' },
    });
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(allowed.headers.get('access-control-allow-headers')).toContain('x-vk-launch-params');
    const foreign = await fetch(`${stack.url}/api/tickets`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example' },
    });
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('answers 405 with Allow for a known path and a wrong method', async () => {
    const answer = await api('PUT', '/api/tickets');
    expect(answer.status).toBe(405);
    expect(answer.headers.get('allow')).toBe('POST, GET');
  });
});

describe('ticket-api: export and erasure', () => {
  it('exports everything about the user, then erases it from every table, keeping tickets anonymised', async () => {
    const user = 777_123_987;
    const { number } = (
      await api('POST', '/api/tickets', {
        user,
        body: ticketBody({
          contact: { email: 'anna@example.ru', phone: '+7 900 123-45-67' },
          consent: true,
          attachments: ['photo777123987_1_abc'],
        }),
      })
    ).body;
    await api('POST', '/api/events', {
      user,
      body: { events: [{ id: 'x', name: 'app_open', at: Date.now() }] },
    });
    await api('POST', `/api/ops/tickets/${number}/messages`, {
      operator: OPERATOR,
      body: { text: 'Смотрим' },
    });
    await api('POST', `/api/ops/tickets/${number}/status`, {
      operator: OPERATOR,
      body: { status: 'resolved' },
    });
    await api('POST', `/api/tickets/${number}/rating`, { user, body: { rating: 2 } });

    const exported = await api('GET', '/api/me/export', { user });
    expect(exported.body.user.userId).toBe(user);
    expect(exported.body.tickets[0]).toMatchObject({
      number,
      details: expect.objectContaining({ contact: { email: 'anna@example.ru', phone: '+79001234567' } }),
    });
    expect(exported.body.tickets[0].surveys[0].rating).toBe(2);
    expect(exported.body.events).toHaveLength(1);

    // Let the deferred work for this ticket settle, then erase.
    await eventually(async () => (await stack.queue.depth('deferred')).visible === 0 || undefined);
    expect((await api('DELETE', '/api/me', { user })).body).toEqual({ erased: true, anonymisedTickets: 1 });

    const tables = stack.store.db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
      .all() as Array<{ name: string }>;
    expect(tables.length).toBeGreaterThan(10);
    for (const { name } of tables) {
      const dump = JSON.stringify(stack.store.db.prepare(`SELECT * FROM "${name}"`).all());
      expect({ table: name, holdsUserId: dump.includes(String(user)) }).toEqual({
        table: name,
        holdsUserId: false,
      });
      expect({ table: name, holdsEmail: dump.includes('anna@example.ru') }).toEqual({
        table: name,
        holdsEmail: false,
      });
    }
    const kept = await stack.store.read((r) => r.tickets.getByNumber(number));
    expect(kept).toMatchObject({ userId: null, subject: '', status: 'resolved', category: 'bug' });
    expect((await api('GET', '/api/me/export', { user })).body).toMatchObject({
      user: null,
      tickets: [],
      events: [],
    });
  });
});

describe('ticket-api: operators', () => {
  it('needs an operator token', async () => {
    expect((await api('GET', '/api/ops/tickets')).status).toBe(401);
    expect((await api('GET', '/api/ops/tickets', { operator: 'dev-admin-token-0123456789aX' })).status).toBe(
      401,
    );
    expect((await api('GET', '/api/ops/tickets', { user: freshUser() })).status).toBe(401);
  });

  it('answers a reply to an unassigned ticket with the ticket as written: taken, by the replier', async () => {
    const user = freshUser();
    const { number } = (await api('POST', '/api/tickets', { user, body: ticketBody() })).body;
    const reply = await api('POST', `/api/ops/tickets/${number}/messages`, {
      operator: OPERATOR,
      body: { text: 'Смотрим', internal: false },
    });
    expect(reply.status).toBe(201);
    const view = await api('GET', `/api/ops/tickets/${number}`, { operator: OPERATOR });
    expect(view.body.assigneeId).toEqual(expect.any(Number));
    expect(reply.body).toMatchObject({ number, status: 'in_progress', assigneeId: view.body.assigneeId });
  });

  it('takes, replies (delivered to the user in chat), notes internally, and audits every change', async () => {
    const user = freshUser();
    await stack.store.transaction(async (r) => {
      const { newUserRecord } = await import('../../lib/users/account');
      await r.users.put(newUserRecord(user, Date.now(), { messagesAllowed: true, language: 'ru' }));
    });
    stack.sandbox.allowed.add(user); // the user wrote to the community once
    const { number } = (
      await api('POST', '/api/tickets', { user, body: ticketBody({ category: 'question' }) })
    ).body;

    const queue = await api('GET', '/api/ops/tickets?category=question&assignee=none', {
      operator: OPERATOR,
    });
    expect(queue.body.tickets.map((t: { number: string }) => t.number)).toContain(number);

    const taken = await api('POST', `/api/ops/tickets/${number}/assign`, { operator: OPERATOR, body: {} });
    expect(taken.body.status).toBe('in_progress');
    const mine = await api('GET', '/api/ops/tickets?assignee=me', { operator: OPERATOR });
    expect(mine.body.tickets.map((t: { number: string }) => t.number)).toContain(number);

    await api('POST', `/api/ops/tickets/${number}/messages`, {
      operator: OPERATOR,
      body: { text: 'Проверьте версию', internal: false },
    });
    await api('POST', `/api/ops/tickets/${number}/messages`, {
      operator: OPERATOR,
      body: { text: 'клиент VIP', internal: true },
    });

    const delivered = await eventually(() =>
      stack.sandbox.sent.find(
        (message) => message.peerId === user && message.text.includes('Проверьте версию'),
      ),
    );
    expect(delivered.text).toContain(number);
    const userThread = await api('GET', `/api/tickets/${number}`, { user });
    expect(userThread.body.messages.map((m: { text: string }) => m.text)).not.toContain('клиент VIP');
    const opsThread = await api('GET', `/api/ops/tickets/${number}`, { operator: OPERATOR });
    expect(opsThread.body.messages.map((m: { internal: boolean }) => m.internal)).toEqual([
      false,
      false,
      true,
    ]);

    const invalid = await api('POST', `/api/ops/tickets/${number}/status`, {
      operator: ADMIN,
      body: { status: 'closed' },
    });
    expect(invalid.status).toBe(200);
    expect(
      (
        await api('POST', `/api/ops/tickets/${number}/status`, {
          operator: ADMIN,
          body: { status: 'in_progress' },
        })
      ).status,
    ).toBe(409);

    const audit = await api('GET', `/api/ops/tickets/${number}/audit`, { operator: ADMIN });
    expect(
      audit.body.entries.map((e: { action: string; actor: string }) => `${e.actor} ${e.action}`),
    ).toEqual([
      'operator:2 ticket.assign',
      'operator:2 ticket.reply',
      'operator:2 ticket.note',
      'operator:1 ticket.status',
    ]);
    // The status change reached the user too, once.
    await eventually(() =>
      stack.sandbox.sent.find((message) => message.peerId === user && message.text.includes('закрыто')),
    );
    expect(stack.sandbox.sent.filter((m) => m.peerId === user && m.text.includes('закрыто'))).toHaveLength(1);
  });

  it('serves templates and stats', async () => {
    expect(
      (await api('GET', '/api/ops/templates', { operator: OPERATOR })).body.templates.length,
    ).toBeGreaterThan(0);
    const stats = await api('GET', '/api/ops/stats', { operator: ADMIN });
    expect(stats.status).toBe(200);
    expect(stats.body.tickets).toBeGreaterThan(0);
    expect(stats.body.byCategory.bug).toBeGreaterThan(0);
    expect(stats.body.firstResponse.count).toBeGreaterThan(0);
    expect(stats.body.csat.answered).toBeGreaterThan(0);
    expect(
      (await api('GET', '/api/ops/stats?from=2026-01-10&to=2026-01-01', { operator: ADMIN })).status,
    ).toBe(400);
  });
});
