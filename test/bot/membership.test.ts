import { DAY, MINUTE } from '../../lib/clock';
import type { EventRecord } from '../../lib/storage/port';
import { type BotStack, startBotStack } from '../support/bot-harness';

/** Joins, leaves and the permission to write, as VK reports them. */

let bot: BotStack;
afterEach(async () => {
  await bot?.close();
});

const eventsOf = (userId: number, name: string) =>
  bot.store.read(
    async (r): Promise<EventRecord[]> =>
      (await r.events.listByUser(userId, { since: 0, until: Date.now() + 400 * DAY, limit: 100 })).filter(
        (event) => event.name === name,
      ),
  );

describe('leaves', () => {
  it('says nothing to a user an admin removed (self: 0)', async () => {
    bot = await startBotStack();
    await bot.says(901, 'привет');
    const before = bot.sentTo(901).length;
    expect((await bot.sandbox.deliver('group_leave', { user_id: 901, self: 0 })).answer).toBe('ok');
    await bot.settle();
    expect(bot.sentTo(901)).toHaveLength(before);
    expect((await eventsOf(901, 'group_leave'))[0]?.props).toMatchObject({ by: 'admin' });
  });

  it('"Другое" asks for the reason in words and keeps them', async () => {
    bot = await startBotStack();
    await bot.says(902, 'привет');
    await bot.sandbox.userLeaves(902);
    await bot.settle();
    const regret = bot.lastTo(902);
    expect(regret.text).toContain('Жаль, что вы уходите');
    await bot.press(902, regret, { c: 'leave', r: 'other' });
    expect(bot.lastTo(902).text).toContain('что стоило бы изменить');
    await bot.says(902, 'Слишком много рекламы в ленте');
    expect(bot.lastTo(902).text).toContain('Спасибо за ответ');
    await bot.advance(11 * MINUTE);
    const reasons = await eventsOf(902, 'group_leave_reason');
    expect(reasons).toHaveLength(1);
    expect(reasons[0]?.props).toEqual({ reason: 'other', text: 'Слишком много рекламы в ленте' });
  });

  it('keeps one reason per leave: the last one given', async () => {
    bot = await startBotStack();
    await bot.says(903, 'привет');
    await bot.sandbox.userLeaves(903);
    await bot.settle();
    const regret = bot.lastTo(903);
    await bot.press(903, regret, { c: 'leave', r: 'boring' });
    await bot.press(903, regret, { c: 'leave', r: 'not_relevant' });
    await bot.advance(11 * MINUTE);
    // Settled: a press after that changes nothing.
    await bot.press(903, regret, { c: 'leave', r: 'too_many_posts' });
    expect(bot.lastTo(903).text).toContain('уже учли');
    await bot.advance(11 * MINUTE);
    const reasons = await eventsOf(903, 'group_leave_reason');
    expect(reasons.map((event) => event.props.reason)).toEqual(['not_relevant']);
  });
});

describe('permission to write', () => {
  it('welcomes once after message_allow, naming what the key subscribed the user to', async () => {
    bot = await startBotStack();
    await bot.sandbox.userAllowsMessages(904, 'news');
    await bot.settle();
    expect(bot.sentTo(904)).toHaveLength(1);
    expect(bot.lastTo(904).text).toContain('новости и обновления приложения');
    await bot.sandbox.userAllowsMessages(904, 'news');
    await bot.settle();
    expect(bot.sentTo(904)).toHaveLength(1);

    await bot.sandbox.userAllowsMessages(905);
    await bot.settle();
    expect(bot.lastTo(905).text).toContain('Спасибо, что разрешили сообщения');
  });
});

describe('a screenshot alone', () => {
  it('is a description', async () => {
    bot = await startBotStack();
    await bot.says(906, 'меню');
    await bot.press(906, bot.lastTo(906), { c: 'cat', id: 'bug' });
    await bot.says(906, '', { photos: 1 });
    expect(bot.lastTo(906).text).not.toContain('Слишком коротко');
    expect(bot.lastTo(906).text).toContain('e-mail или телефон');
  });
});
