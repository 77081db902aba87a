import { ticketNumbersNamed } from '../../lib/bot/flows/handover';
import { MINUTE } from '../../lib/clock';
import { type BotStack, OPERATOR_TOKEN, OPERATORS_CHAT, startBotStack } from '../support/bot-harness';

/**
 * What a tester typed, replayed: a user with an open ticket drafting another, mini-app users writing
 * in the chat about their tickets, and the time a later receipt promises.
 */

jest.setTimeout(60_000);

let bot: BotStack;
afterEach(async () => {
  await bot?.close();
});

const threadTexts = async (userId: number, number: string) =>
  (await bot.stack.tickets.threadForUser(userId, number)).messages.map((message) => message.text);
const ticketsOf = async (userId: number) =>
  (await bot.store.read((r) => r.tickets.listByUser(userId, { limit: 20 }))).tickets;
/** The user's messages the operators' chat got relayed ("✉️ B-1001 · User1701: …"). */
const relayed = () => bot.sentTo(OPERATORS_CHAT).filter((message) => message.text.startsWith('✉️'));
const fileInApp = async (userId: number, category: string, subject: string) => {
  const filed = await bot.api('POST', '/api/tickets', {
    user: userId,
    body: { category, subject, description: `${subject}, подробности внутри` },
  });
  expect(filed.status).toBe(201);
  return filed.body.number as string;
};
const resolve = (number: string) =>
  bot.api('POST', `/api/ops/tickets/${number}/status`, {
    operatorToken: OPERATOR_TOKEN,
    body: { status: 'resolved' },
  });

describe('a new ticket drafted while another is open', () => {
  /** Menu → "Сообщить об ошибке" → the description → "пропустить": the bot asks "Отправить?". */
  const draftBug = async (userId: number) => {
    await bot.says(userId, 'меню');
    await bot.press(userId, bot.lastTo(userId), { c: 'cat', id: 'bug' });
    await bot.says(userId, 'Не работает поиск');
    await bot.says(userId, 'пропустить');
    expect(bot.lastTo(userId).text).toContain('Отправить?');
  };

  it('"да" at the confirmation files the new ticket; nothing goes to the open one', async () => {
    bot = await startBotStack();
    const { number: open } = await bot.fileTicket(1701);
    const relayedBefore = relayed().length;
    await draftBug(1701);
    await bot.says(1701, 'да');
    const filed = /Обращение (B-\d+) создано/.exec(bot.lastTo(1701).text)?.[1];
    expect(filed).toBeDefined();
    expect(await threadTexts(1701, filed!)).toEqual(['Не работает поиск']);
    expect(await threadTexts(1701, open)).not.toContain('да');
    expect(relayed()).toHaveLength(relayedBefore);
    // The new ticket is now what the dialog is about: a later message joins it.
    await bot.says(1701, 'Ищу по названию, выдаёт пусто');
    expect(await threadTexts(1701, filed!)).toContain('Ищу по названию, выдаёт пусто');
  });

  it('"нет" at the confirmation drops the draft; a stray number or "спасибо" asks again', async () => {
    bot = await startBotStack();
    const { number: open } = await bot.fileTicket(1702);
    const relayedBefore = relayed().length;
    await draftBug(1702);
    await bot.says(1702, '7');
    expect(bot.lastTo(1702).text).toContain('Отправить?');
    await bot.says(1702, 'спасибо');
    expect(bot.lastTo(1702).text).toContain('Отправить?');
    await bot.says(1702, 'Нет');
    expect(bot.lastTo(1702).text).toContain('отменил');
    expect(await threadTexts(1702, open)).not.toEqual(expect.arrayContaining(['7', 'Нет']));
    expect(relayed()).toHaveLength(relayedBefore);
    expect(await ticketsOf(1702)).toHaveLength(1);
  });

  it('at the category, description and contact steps, "да" and stray numbers stay with the draft', async () => {
    bot = await startBotStack();
    const { number: open } = await bot.fileTicket(1703);
    const relayedBefore = relayed().length;
    await bot.says(1703, 'меню');
    await bot.press(1703, bot.lastTo(1703), { c: 'operator' });
    await bot.says(1703, 'да');
    expect(bot.payloadsOf(bot.lastTo(1703))).toContainEqual({ c: 'cat', id: 'bug' });
    await bot.says(1703, '9');
    expect(bot.payloadsOf(bot.lastTo(1703))).toContainEqual({ c: 'cat', id: 'bug' });
    await bot.press(1703, bot.lastTo(1703), { c: 'cat', id: 'suggestion' });
    await bot.says(1703, 'да');
    expect(bot.lastTo(1703).text).toMatch(/подробнее|короткое/i);
    // A later step's word is not a description either: asked again, nothing filed.
    await bot.says(1703, 'Пропустить');
    expect(bot.lastTo(1703).text).toMatch(/^Этот шаг не пропустить/);
    expect(await threadTexts(1703, open)).not.toEqual(expect.arrayContaining(['да', '9', 'Пропустить']));
    expect(relayed()).toHaveLength(relayedBefore);

    await bot.says(1703, 'отмена');
    expect(bot.lastTo(1703).text).toContain('отменил');
    await bot.says(1703, 'меню');
    await bot.press(1703, bot.lastTo(1703), { c: 'cat', id: 'bug' });
    await bot.says(1703, 'Не работает поиск');
    await bot.says(1703, 'да');
    expect(bot.payloadsOf(bot.lastTo(1703))).toContainEqual({ c: 'skip' });
    expect(relayed()).toHaveLength(relayedBefore);
  });
});

describe('ticket numbers a message names', () => {
  const prefixes = ['B', 'Q', 'S', 'P'];
  it('reads them as people type them, of known prefixes only', () => {
    expect(ticketNumbersNamed('Дополнение к Q-1005: ошибка 500', prefixes)).toEqual(['Q-1005']);
    expect(ticketNumbersNamed('по q1005 и B 1007, и ещё (В-1009)', prefixes)).toEqual([
      'Q-1005',
      'B-1007',
      'B-1009',
    ]);
    expect(ticketNumbersNamed('Z-1005, код 1234, в 2025 году, AB-1005, Q-1005x', prefixes)).toEqual([]);
  });
});

describe('tickets filed in the mini app, written about in the chat', () => {
  it('a message naming the ticket joins it, even when another one is open', async () => {
    bot = await startBotStack();
    const named = await fileInApp(1123, 'question', 'Не грузится список заказов');
    const newer = await fileInApp(1123, 'bug', 'Белый экран в профиле');
    await bot.says(1123, `Дополнение к ${named}: ошибка 500`);
    expect(await threadTexts(1123, named)).toContain(`Дополнение к ${named}: ошибка 500`);
    expect(await threadTexts(1123, newer)).not.toContain(`Дополнение к ${named}: ошибка 500`);
    expect(await ticketsOf(1123)).toHaveLength(2);
    expect(bot.lastTo(1123).text).toContain('Передал оператору');
    expect(relayed().at(-1)?.text).toContain(named);
  });

  it("the user's open app ticket gets what they write without naming it; another user's number joins nothing", async () => {
    bot = await startBotStack();
    const number = await fileInApp(1124, 'question', 'Не приходит код подтверждения');
    await bot.says(1124, 'Код так и не пришёл, проверил спам');
    expect(await threadTexts(1124, number)).toContain('Код так и не пришёл, проверил спам');
    expect(await ticketsOf(1124)).toHaveLength(1);

    await bot.says(1125, `Что с ${number}? Мне тоже не приходит код`);
    expect(await threadTexts(1124, number)).not.toContain(`Что с ${number}? Мне тоже не приходит код`);
    expect(await ticketsOf(1125)).toHaveLength(0);
  });

  it('a message right after an app ticket is resolved reopens it; "спасибо" reopens nothing', async () => {
    bot = await startBotStack();
    const number = await fileInApp(1106, 'payment', 'Не вернули деньги за подписку');
    await resolve(number);
    await bot.says(1106, 'спасибо!');
    expect((await bot.stack.tickets.thread(number)).ticket.status).toBe('resolved');
    await bot.says(1106, 'Деньги так и не вернули');
    expect((await bot.stack.tickets.thread(number)).ticket.status).not.toBe('resolved');
    expect(bot.lastTo(1106).text).toContain(`${number} снова открыто`);
    expect(await ticketsOf(1106)).toHaveLength(1);
  });
});

describe('the open ticket outranks a finished one', () => {
  it("an open app ticket takes the message, not the dialog's resolved chat ticket", async () => {
    bot = await startBotStack();
    const { number: chat } = await bot.fileTicket(1126);
    await resolve(chat);
    const app = await fileInApp(1126, 'bug', 'Не сохраняются настройки');
    await bot.says(1126, 'Есть новости по настройкам?');
    expect(await threadTexts(1126, app)).toContain('Есть новости по настройкам?');
    expect((await bot.stack.tickets.thread(chat)).ticket.status).toBe('resolved');
    expect(await ticketsOf(1126)).toHaveLength(2);
  });
});

describe('the time a later receipt promises', () => {
  it("quotes the ticket's own first-response due time, and none once an operator has answered", async () => {
    bot = await startBotStack();
    // Wednesday 12:00 Moscow; a question is answered within 60 business minutes.
    const { number } = await bot.fileTicket(1801);
    expect(bot.sentTo(1801).some((message) => message.text.includes('сегодня до 13:00'))).toBe(true);
    await bot.advance(40 * MINUTE);
    await bot.says(1801, 'Ещё деталь: пробовал с телефона');
    expect(bot.lastTo(1801).text).toBe('📨 Передал оператору. Ответим сегодня до 13:00.');

    const answered = await bot.api('POST', `/api/ops/tickets/${number}/messages`, {
      operatorToken: OPERATOR_TOKEN,
      body: { text: 'Здравствуйте! Смотрим.' },
    });
    expect(answered.status).toBe(201);
    // Past the lunch break (13:00–14:00, off hours): 14:10.
    await bot.advance(90 * MINUTE);
    await bot.says(1801, 'Жду, спасибо что смотрите, ещё деталь');
    expect(bot.lastTo(1801).text).toBe('📨 Передал оператору.');
  });
});
