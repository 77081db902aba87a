import { MINUTE } from '../../lib/clock';
import { utcDay } from '../../lib/notifications/daily-cap';
import { newUserRecord } from '../../lib/users/account';
import { ADMIN_TOKEN, type BotStack, startBotStack } from '../support/bot-harness';

jest.setTimeout(60_000);

describe('an incident broadcast to a user notified within the hour', () => {
  let bot: BotStack;
  beforeEach(async () => {
    bot = await startBotStack();
  });
  afterEach(async () => {
    await bot.close();
  });

  it('waits out VK’s hour for that user instead of skipping them, and reports done once all are reached', async () => {
    const now = bot.clock.now();
    await bot.store.transaction(async (r) => {
      for (const userId of [8001, 8002])
        await r.users.put(newUserRecord(userId, now, { notificationsAllowed: true }));
      // A ticket update reached 8001 twenty minutes ago: VK allows the next one in forty.
      await r.notifications.claim({
        userId: 8001,
        day: utcDay(now - 20 * MINUTE),
        slot: 1,
        kind: 'ticket_update',
        campaign: null,
        variant: null,
        text: 'Новый ответ по обращению B-1001',
        status: 'sent',
        createdAt: now - 20 * MINUTE,
        updatedAt: now - 20 * MINUTE,
      });
    });
    const accepted = await bot.api('POST', '/api/ops/broadcasts', {
      operatorToken: ADMIN_TOKEN,
      body: { text: 'Оплата снова работает', audience: 'all', channel: 'notification' },
    });
    expect(accepted.status).toBe(202);
    const reached = () =>
      bot.sandbox.notifications
        .filter((notification) => notification.text === 'Оплата снова работает')
        .flatMap((notification) => notification.userIds)
        .sort();
    const report = async () =>
      (await bot.api('GET', `/api/ops/broadcasts/${accepted.body.id}`, { operatorToken: ADMIN_TOKEN })).body;
    await bot.settle();
    expect(reached()).toEqual([8002]);
    expect(await report()).toMatchObject({ status: 'sending', counts: { sent: 1, waiting: 1 } });
    await bot.advance(45 * MINUTE);
    expect(reached()).toEqual([8001, 8002]);
    const done = await report();
    expect(done).toMatchObject({ status: 'done', counts: { sent: 2 } });
    expect(done.counts.waiting).toBeUndefined();
  });
});
