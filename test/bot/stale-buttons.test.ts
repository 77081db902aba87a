import { type BotStack, OPERATORS_CHAT, startBotStack } from '../support/bot-harness';

jest.setTimeout(60_000);

/**
 * Buttons this bot can't read: an old client's keyboard from an earlier release, or a payload
 * someone made up. The client waits for an answer to any press, and a typed message is still text.
 */
describe('buttons the bot cannot read', () => {
  let bot: BotStack;
  beforeEach(async () => {
    bot = await startBotStack();
  });
  afterEach(async () => {
    await bot.close();
  });

  it('answers a press it cannot read with a snackbar and changes nothing', async () => {
    await bot.says(1501, 'меню');
    const sent = bot.sentTo(1501).length;
    const presses = [{ c: 'no-such-command' }, 'not json at all', { c: 'op', a: 'resolve', t: 'Q-1001' }];
    for (const payload of presses) await bot.sandbox.userPressesButton(1501, payload);
    await bot.sandbox.memberPressesInChat(OPERATORS_CHAT, 1, { c: 'menu' });
    await bot.settle();
    const answers = bot.sandbox.eventAnswers.slice(-4);
    expect(answers).toHaveLength(4);
    for (const answer of answers.slice(0, 3))
      expect(answer).toMatchObject({
        userId: 1501,
        peerId: 1501,
        eventData: { type: 'show_snackbar', text: 'Эта кнопка устарела. Напишите «меню».' },
      });
    expect(answers[3]).toMatchObject({ userId: 1, peerId: OPERATORS_CHAT });
    expect(bot.sentTo(1501)).toHaveLength(sent);
  });

  it('reads a message with an unreadable payload as what the user typed', async () => {
    await bot.says(1502, 'привет');
    await bot.says(1502, 'Меню', { payload: { c: 'menu_v0', legacy: true } });
    expect(bot.lastTo(1502).text).toMatch(/меню|Выберите|Чем помочь/i);
    expect(bot.buttonsOf(bot.lastTo(1502)).length).toBeGreaterThan(0);
  });
});
