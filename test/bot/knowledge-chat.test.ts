import { type BotStack, startBotStack } from '../support/bot-harness';

/** The chat's knowledge base answers when it knows and offers a person when it doesn't. */

let bot: BotStack;
afterEach(async () => {
  await bot?.close();
});

const everythingSaidTo = (userId: number) =>
  bot
    .sentTo(userId)
    .map((message) => message.text)
    .join('\n');

describe('knowledge base in the chat', () => {
  it('answers the questions it used to get wrong with the right articles', async () => {
    bot = await startBotStack();
    await bot.says(951, 'привет');
    await bot.says(951, 'Не могу войти в аккаунт');
    expect(bot.payloadsOf(bot.lastTo(951))).toContainEqual({ c: 'kb_ok', s: 'account-access' });
    await bot.says(951, 'Как отменить подписку?');
    expect(bot.payloadsOf(bot.lastTo(951))).toContainEqual({ c: 'kb_ok', s: 'cancel-subscription' });
  });

  it('offers the operator when it is not sure, and "да" files the question', async () => {
    bot = await startBotStack();
    await bot.says(952, 'привет');
    await bot.says(952, 'Хочу сотрудничать с вами по рекламе в сообществе');
    expect(bot.lastTo(952).text).toMatch(/Передать вопрос оператору/);
    expect(bot.payloadsOf(bot.lastTo(952)).some((p) => p.c === 'kb_ok')).toBe(false);
    await bot.says(952, 'да');
    expect(everythingSaidTo(952)).toMatch(/Обращение Q-\d+ создано/);
  });

  it('"не помогло" after an article passes the question to an operator', async () => {
    bot = await startBotStack();
    await bot.says(953, 'привет');
    await bot.says(953, 'Не проходит оплата картой');
    expect(bot.payloadsOf(bot.lastTo(953))).toContainEqual({ c: 'kb_ok', s: 'payment-failed' });
    await bot.says(953, 'не помогло');
    expect(everythingSaidTo(953)).toMatch(/Обращение Q-\d+ создано/);
  });
});
