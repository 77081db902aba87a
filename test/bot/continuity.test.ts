import { DAY, HOUR, MINUTE } from '../../lib/clock';
import type { SurveyRecord } from '../../lib/storage/port';
import { slaOf } from '../../lib/tickets/sla';
import { type BotStack, OPERATOR_TOKEN, OPERATORS_CHAT, startBotStack } from '../support/bot-harness';

/** A ticket stays what the dialog is about: through the menu, past its resolution, after an admin's reply. */

let bot: BotStack;
afterEach(async () => {
  await bot?.close();
});

const resolve = (number: string) =>
  bot.api('POST', `/api/ops/tickets/${number}/status`, {
    operatorToken: OPERATOR_TOKEN,
    body: { status: 'resolved' },
  });
const ticketOf = (number: string) => bot.store.read((r) => r.tickets.getByNumber(number));
const surveysOf = (number: string) =>
  bot.store.read(async (r): Promise<SurveyRecord[]> => {
    const ticket = await r.tickets.getByNumber(number);
    return ticket ? r.surveys.listByTicket(ticket.ticketId) : [];
  });

describe('continuity', () => {
  it("after the menu is opened mid-ticket, the user's message and an admin's reply still land on the ticket", async () => {
    bot = await startBotStack();
    const { number } = await bot.fileTicket(801);
    await bot.says(801, 'меню');
    await bot.says(801, 'И ещё: скриншот не загружается');
    const thread = await bot.stack.tickets.threadForUser(801, number);
    expect(thread.messages.map((m) => m.text)).toContain('И ещё: скриншот не загружается');
    expect(bot.lastTo(OPERATORS_CHAT).text).toContain('скриншот не загружается');

    await bot.says(801, 'меню');
    await bot.sandbox.adminWrites(77, 801, 'Здравствуйте! Уже смотрим.');
    await bot.settle();
    const answered = await bot.stack.tickets.threadForUser(801, number);
    expect(
      answered.messages.some((m) => m.author === 'operator' && m.text === 'Здравствуйте! Уже смотрим.'),
    ).toBe(true);
    // The first response is recorded: no false "SLA нарушен" follows.
    expect(slaOf((await ticketOf(number))!)?.firstRespondedAt).toEqual(expect.any(Number));
    await bot.advance(3 * HOUR);
    expect(bot.sentTo(OPERATORS_CHAT).filter((m) => m.text.includes('SLA нарушен'))).toHaveLength(0);
  });

  it('a message after "resolved" reopens the ticket, cancels its survey and tells the operators', async () => {
    bot = await startBotStack();
    const { number } = await bot.fileTicket(802);
    await resolve(number);
    expect((await surveysOf(number))[0]?.status).toBe('scheduled');
    await bot.says(802, 'Не помогло, всё ещё ошибка');
    expect((await ticketOf(number))?.status).not.toBe('resolved');
    expect((await surveysOf(number))[0]?.status).toBe('cancelled');
    expect(bot.lastTo(802).text).toContain(`${number} снова открыто`);
    expect(bot.lastTo(OPERATORS_CHAT).text).toContain('Не помогло, всё ещё ошибка');
    await bot.advance(40 * MINUTE);
    expect(bot.sentTo(802).filter((m) => m.text.includes('Оцените'))).toHaveLength(0);
  });

  it('"спасибо" after "resolved" is thanked and reopens nothing', async () => {
    bot = await startBotStack();
    const { number } = await bot.fileTicket(803);
    await resolve(number);
    await bot.says(803, 'спасибо!');
    expect((await ticketOf(number))?.status).toBe('resolved');
    expect(bot.lastTo(803).text).toContain('Пожалуйста');
  });

  it('after the reopen window a message starts a ticket linked to the resolved one', async () => {
    bot = await startBotStack();
    const { number } = await bot.fileTicket(804);
    await resolve(number);
    await bot.advance(8 * DAY);
    await bot.says(804, 'Опять не могу войти через VK ID');
    const reply = bot.lastTo(804).text;
    const linked = /новое — ([A-Z]-\d+)/.exec(reply)?.[1];
    expect(linked).toBeDefined();
    expect(linked).not.toBe(number);
    expect((await ticketOf(linked!))?.details.linkedTo).toBe(number);
    expect((await ticketOf(number))?.status).not.toBe('in_progress');
  });
});

describe('continuity within the hourly limit', () => {
  it('a message to a closed ticket from a user at the limit files nothing and says when to try again', async () => {
    bot = await startBotStack();
    const { number } = await bot.fileTicket(805);
    for (let i = 0; i < 4; i++) {
      const created = await bot.api('POST', '/api/tickets', {
        user: 805,
        body: {
          category: 'bug',
          subject: `Ошибка ${i}`,
          description: 'После обновления белый экран на профиле',
        },
      });
      expect(created.status).toBe(201);
      // Closed too: an open ticket, from any channel, would take the message instead.
      await bot.api('POST', `/api/ops/tickets/${created.body.number}/status`, {
        operatorToken: OPERATOR_TOKEN,
        body: { status: 'closed' },
      });
    }
    await bot.api('POST', `/api/ops/tickets/${number}/status`, {
      operatorToken: OPERATOR_TOKEN,
      body: { status: 'closed' },
    });
    const before = await bot.store.read((r) => r.tickets.listByUser(805, { limit: 20 }));
    await bot.says(805, 'Снова ничего не работает после обновления');
    expect(bot.lastTo(805).text).toMatch(/много обращений/);
    const after = await bot.store.read((r) => r.tickets.listByUser(805, { limit: 20 }));
    expect(after.tickets).toHaveLength(before.tickets.length);
  });
});
