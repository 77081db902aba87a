import { type BotStack, OPERATOR_TOKEN, OPERATORS_CHAT, startBotStack } from '../support/bot-harness';

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
    // The user never wrote to the community: their name is asked of VK for the card, and kept.
    expect(card.text).toContain('User1601');
    const found = await bot.api('GET', '/api/ops/tickets?q=user16', { operatorToken: OPERATOR_TOKEN });
    expect(found.body.tickets.map((ticket: { number: string }) => ticket.number)).toEqual([number]);
    expect(found.body.tickets[0].requester).toMatchObject({ userId: 1601, name: 'User1601' });
    // Once: a retried announce (or the worker's redelivery) posts nothing more.
    expect(bot.sentTo(OPERATORS_CHAT).filter((message) => message.text.includes(number))).toHaveLength(1);
    await bot.press(1, card, { c: 'op', a: 'take' });
    expect((await bot.stack.tickets.thread(number)).ticket).toMatchObject({
      status: 'in_progress',
      assigneeId: 1,
    });
    // Its edits keep the form's subject above the words, as posted.
    expect(card.text).toContain('Не открывается профиль\nПосле обновления белый экран');
    expect(card.text).toContain('взял(а)');
  });

  it('relays what the user writes on it in the mini app to the operators’ chat, once, where a reply answers it', async () => {
    const filed = await bot.api('POST', '/api/tickets', {
      user: 1602,
      body: { category: 'bug', subject: 'Платёж завис', description: 'Деньги ушли, подписки нет' },
    });
    const number = filed.body.number as string;
    const posted = await bot.api('POST', `/api/tickets/${number}/messages`, {
      user: 1602,
      body: { text: 'Вот номер платежа: 4471', attachments: ['photo1602_1_abc'] },
    });
    expect(posted.status).toBe(200);
    const relayed = bot.sentTo(OPERATORS_CHAT).filter((message) => message.text.startsWith('✉️'));
    expect(relayed.map((message) => message.text)).toEqual([
      `✉️ ${number} · User1602: Вот номер платежа: 4471\n📎 photo1602_1_abc`,
    ]);
    // The operators answer it by replying, as to a chat user's message: it reaches the ticket.
    await bot.sandbox.memberWritesInChat(
      OPERATORS_CHAT,
      1,
      'Нашли платёж, возвращаем',
      relayed[0]?.conversationMessageId,
    );
    await bot.settle();
    const thread = await bot.stack.tickets.thread(number);
    expect(thread.messages.map((message) => [message.author, message.text])).toEqual([
      ['user', 'Деньги ушли, подписки нет'],
      ['user', 'Вот номер платежа: 4471'],
      ['operator', expect.stringMatching(/^Нашли платёж, возвращаем\n\n— User1$/)],
    ]);
  });
});
