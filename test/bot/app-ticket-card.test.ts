import { type BotStack, OPERATORS_CHAT, startBotStack } from '../support/bot-harness';

jest.setTimeout(60_000);

describe('a ticket filed in the mini app', () => {
  let bot: BotStack;
  beforeEach(async () => {
    bot = await startBotStack();
  });
  afterEach(async () => {
    await bot.close();
  });

  it('gets its card in the operators’ chat, which works like a chat ticket’s', async () => {
    const filed = await bot.api('POST', '/api/tickets', {
      user: 1601,
      body: {
        category: 'bug',
        subject: 'Не открывается профиль',
        description: 'После обновления белый экран',
        screen: 'profile',
      },
    });
    expect(filed.status).toBe(201);
    const number = filed.body.number as string;
    const card = bot.lastTo(OPERATORS_CHAT);
    expect(card.text).toContain(number);
    expect(card.text).toContain('Не открывается профиль');
    expect(card.text).toContain('После обновления белый экран');
    // Once: a retried announce (or the worker's redelivery) posts nothing more.
    expect(bot.sentTo(OPERATORS_CHAT).filter((message) => message.text.includes(number))).toHaveLength(1);
    await bot.press(1, card, { c: 'op', a: 'take' });
    expect((await bot.stack.tickets.thread(number)).ticket).toMatchObject({
      status: 'in_progress',
      assigneeId: 1,
    });
  });
});
