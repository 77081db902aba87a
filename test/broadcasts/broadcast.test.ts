import { BROADCAST_BATCH_JOB, broadcastJobHandlers } from '../../lib/broadcasts/jobs';
import { createLogger } from '../../lib/log/logger';
import type { DeferredJobs } from '../../lib/queue/deferred';
import { newUserRecord } from '../../lib/users/account';
import { VkClient } from '../../lib/vk/client';
import { ADMIN_TOKEN, type BotStack, OPERATOR_TOKEN, startBotStack } from '../support/bot-harness';

/**
 * 250 users in five kinds: messages allowed (VK agrees), messages allowed here but refused by VK
 * (901), notifications only, both (a message under `auto`), and neither (not in the audience).
 */
const FIRST_USER = 5001;
const USERS = 250;
const kindOf = (userId: number) =>
  (['message', 'refused', 'notification', 'both', 'none'] as const)[(userId - FIRST_USER) % 5];
const usersOfKind = (...kinds: string[]) =>
  Array.from({ length: USERS }, (_, index) => FIRST_USER + index).filter((userId) =>
    kinds.includes(kindOf(userId) ?? ''),
  );

describe('incident broadcasts (POST /api/ops/broadcasts)', () => {
  let bot: BotStack;

  beforeAll(async () => {
    bot = await startBotStack();
    const now = bot.clock.now();
    await bot.store.transaction(async (r) => {
      for (let userId = FIRST_USER; userId < FIRST_USER + USERS; userId++) {
        const kind = kindOf(userId);
        await r.users.put(
          newUserRecord(userId, now, {
            messagesAllowed: kind === 'message' || kind === 'refused' || kind === 'both',
            notificationsAllowed: kind === 'notification' || kind === 'both',
          }),
        );
      }
    });
    for (const userId of usersOfKind('message', 'both')) bot.sandbox.allowed.add(userId);
  });
  afterAll(async () => {
    await bot.close();
  });

  const post = (body: unknown, query = '', operatorToken = ADMIN_TOKEN) =>
    bot.api('POST', `/api/ops/broadcasts${query}`, { operatorToken, body });
  const messageCalls = () =>
    bot.sandbox.calls.filter((call) => call.method === 'messages.send' && call.params.peer_ids !== undefined);
  const notificationCalls = () =>
    bot.sandbox.calls.filter((call) => call.method === 'notifications.sendMessage');

  it('is refused to an operator token (403) and to a bad audience (400)', async () => {
    expect((await post({ text: 'Сбой оплаты', audience: 'all' }, '', OPERATOR_TOKEN)).status).toBe(403);
    expect((await bot.api('GET', '/api/ops/broadcasts/x', { operatorToken: OPERATOR_TOKEN })).status).toBe(
      403,
    );
    expect((await post({ text: 'Сбой оплаты', audience: 'everyone' })).status).toBe(400);
    expect((await post({ text: 'x'.repeat(300), audience: 'all', channel: 'auto' })).status).toBe(400);
    expect((await bot.api('GET', '/api/ops/broadcasts/nope', { operatorToken: ADMIN_TOKEN })).status).toBe(
      404,
    );
  });

  it('counts the audience on a dry run and writes nothing', async () => {
    const before = bot.sandbox.calls.length;
    const counted = await post({ text: 'Сбой оплаты', audience: 'all' }, '?dryRun=1');
    expect(counted).toEqual({
      status: 200,
      body: { dryRun: true, audience: 200, messages: 150, notifications: 50 },
    });
    const onlyMessages = await post(
      { text: 'Сбой оплаты', audience: 'all', channel: 'message' },
      '?dryRun=1',
    );
    expect(onlyMessages.body).toMatchObject({ audience: 150, messages: 150, notifications: 0 });
    const onlyNotifications = await post(
      { text: 'Сбой оплаты', audience: 'all', channel: 'notification' },
      '?dryRun=1',
    );
    expect(onlyNotifications.body).toMatchObject({ audience: 100, messages: 0, notifications: 100 });
    expect(bot.sandbox.calls.length).toBe(before);
  });

  it('sends each of 250 users at most once, in calls of at most 100, marks the 901s, and reports it', async () => {
    const accepted = await post({ text: 'Оплата временно не работает, чиним', audience: 'all' });
    expect(accepted.status).toBe(202);
    const id = accepted.body.id as string;

    const calls = messageCalls();
    const peers = calls.flatMap((call) => (call.params.peer_ids ?? '').split(',').map(Number));
    for (const call of calls) expect((call.params.peer_ids ?? '').split(',').length).toBeLessThanOrEqual(100);
    expect(peers.sort((a, b) => a - b)).toEqual(usersOfKind('message', 'refused', 'both'));
    const reached = bot.sandbox.sent.filter((message) => message.text.startsWith('Оплата временно'));
    expect(reached.map((message) => message.peerId).sort((a, b) => a - b)).toEqual(
      usersOfKind('message', 'both'),
    );

    const notified = notificationCalls().flatMap((call) =>
      (call.params.user_ids ?? '').split(',').map(Number),
    );
    for (const call of notificationCalls())
      expect((call.params.user_ids ?? '').split(',').length).toBeLessThanOrEqual(100);
    expect(notified.sort((a, b) => a - b)).toEqual(usersOfKind('notification'));

    const refused = usersOfKind('refused');
    const stored = await bot.store.read((r) => Promise.all(refused.map((userId) => r.users.get(userId))));
    expect(stored.every((user) => user?.messagesAllowed === false)).toBe(true);

    const report = await bot.api('GET', `/api/ops/broadcasts/${id}`, { operatorToken: ADMIN_TOKEN });
    expect(report.status).toBe(200);
    expect(report.body).toMatchObject({
      id,
      status: 'done',
      channel: 'auto',
      audience: 'all',
      counts: { sent: 150, not_allowed: 50 },
      createdBy: 'operator:1',
    });
    const audit = await bot.store.read((r) => r.audit.listBySubject(`broadcast:${id}`, 10));
    expect(audit.map((entry) => [entry.action, entry.actor, entry.role])).toEqual([
      ['broadcast.send', 'operator:1', 'admin'],
    ]);

    // A batch job run again (a redelivery, a retry): everyone is settled, nothing goes twice.
    const vk = new VkClient({
      apiUrl: bot.sandbox.apiUrl,
      version: '5.199',
      token: 't',
      rateLimitPerSecond: 1000,
      timeoutMs: 2000,
      maxAttempts: 1,
    });
    const handlers = broadcastJobHandlers({
      store: bot.store,
      clock: bot.clock,
      logger: createLogger({ level: 'error', sink: () => {} }),
      groupVk: vk,
      appVk: vk,
      deferred: { dispatchCommitted: async () => {} } as unknown as DeferredJobs,
    });
    const before = bot.sandbox.calls.length;
    for (const batch of [0, 1, 2]) {
      const job = await bot.store.read((r) => r.jobs.get(`broadcast:${id}:${batch}`));
      expect(job?.kind).toBe(BROADCAST_BATCH_JOB);
      if (job) await handlers[BROADCAST_BATCH_JOB]?.(job);
    }
    expect(bot.sandbox.calls.length).toBe(before);
    const again = await bot.api('GET', `/api/ops/broadcasts/${id}`, { operatorToken: ADMIN_TOKEN });
    expect(again.body.counts).toEqual(report.body.counts);
  });

  it('reaches the subscribers of a message_allow key, and forgets one who denied or was erased', async () => {
    const [a, b, c, d, e] = [7001, 7002, 7003, 7004, 7005];
    for (const userId of [a, b, c, e]) await bot.sandbox.userAllowsMessages(userId, 'outages');
    await bot.sandbox.userAllowsMessages(d, 'news');
    await bot.settle();
    await bot.sandbox.userDeniesMessages(c);
    await bot.settle();
    expect((await bot.api('DELETE', `/api/ops/users/${e}`, { operatorToken: ADMIN_TOKEN })).status).toBe(200);

    const audience = { key: 'outages' };
    expect((await post({ text: 'Сбой входа', audience }, '?dryRun=1')).body).toMatchObject({ audience: 2 });
    const accepted = await post({ text: 'Сбой входа: уже чиним', audience, channel: 'message' });
    expect(accepted.status).toBe(202);
    const reached = bot.sandbox.sent.filter((message) => message.text === 'Сбой входа: уже чиним');
    expect(reached.map((message) => message.peerId).sort()).toEqual([a, b]);
    const report = await bot.api('GET', `/api/ops/broadcasts/${accepted.body.id}`, {
      operatorToken: ADMIN_TOKEN,
    });
    expect(report.body).toMatchObject({ status: 'done', counts: { sent: 2 } });
  });

  it('sends once when VK took a call but its answer was lost: the repeat goes under the same random_id', async () => {
    const subscribers = [7101, 7102, 7103];
    for (const userId of subscribers) await bot.sandbox.userAllowsMessages(userId, 'incidents');
    await bot.settle();
    bot.sandbox.faults.push({ method: 'messages.send', error: 'lost_answer', times: 1 });
    const accepted = await post({
      text: 'Сбой уведомлений',
      audience: { key: 'incidents' },
      channel: 'message',
    });
    expect(accepted.status).toBe(202);
    await bot.advance(5 * 60_000); // a retried job waits out its backoff
    const attempts = messageCalls().filter((call) => call.params.message === 'Сбой уведомлений');
    expect(attempts.length).toBeGreaterThanOrEqual(2);
    expect(new Set(attempts.map((call) => call.params.random_id)).size).toBe(1);
    const reached = bot.sandbox.sent.filter((message) => message.text === 'Сбой уведомлений');
    expect(reached.map((message) => message.peerId).sort()).toEqual(subscribers);
    const report = await bot.api('GET', `/api/ops/broadcasts/${accepted.body.id}`, {
      operatorToken: ADMIN_TOKEN,
    });
    expect(report.body).toMatchObject({ status: 'done', counts: { sent: 3 } });
  });

  it('targets a segment of the campaigns’ language, evaluated on the users’ events', async () => {
    const [active, idle] = [8001, 8002];
    for (const user of [active, idle]) {
      expect(
        (
          await bot.api('POST', '/api/events', {
            user,
            body: {
              events: [
                { id: `e-${user}`, name: user === active ? 'button_click' : 'app_open', at: bot.clock.now() },
              ],
            },
          })
        ).status,
      ).toBe(202);
    }
    const segment = { event: 'button_click', daysAgo: [0, 1] };
    const counted = await post({ text: 'Кнопка оплаты не работает', audience: { segment } }, '?dryRun=1');
    // Users from launch params allow notifications (vk_are_notifications_enabled=1).
    expect(counted.body).toEqual({ dryRun: true, audience: 1, messages: 0, notifications: 1 });
  });
});
