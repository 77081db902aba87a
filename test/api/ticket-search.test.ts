import { MINUTE } from '../../lib/clock';
import { newUserRecord } from '../../lib/users/account';
import { ADMIN_TOKEN, type BotStack, OPERATOR_TOKEN, startBotStack } from '../support/bot-harness';

/** `GET /api/ops/tickets?q=`: operators find a ticket by its number, the requester's VK id, contact or name. */

let bot: BotStack;
afterEach(async () => {
  await bot?.close();
});

interface Item {
  number: string;
  status: string;
  requester: { userId: number; name: string | null } | null;
}

const search = async (q: string, extra = '') => {
  const answer = await bot.api('GET', `/api/ops/tickets?q=${encodeURIComponent(q)}${extra}`, {
    operatorToken: OPERATOR_TOKEN,
  });
  return answer as { status: number; body: { tickets: Item[]; nextCursor: string | null } };
};
const numbers = async (q: string, extra = '') => (await search(q, extra)).body.tickets.map((t) => t.number);

/** A ticket filed in the mini app (with a contact when given), one minute after the previous one. */
const fileInApp = async (userId: number, contact?: { email?: string; phone?: string }) => {
  bot.clock.advance(MINUTE);
  const answer = await bot.api('POST', '/api/tickets', {
    user: userId,
    body: {
      category: 'bug',
      subject: 'Не открывается экран',
      description: 'Белый экран после входа',
      ...(contact ? { contact, consent: true } : {}),
    },
  });
  expect(answer.status).toBe(201);
  return answer.body.number as string;
};

/** A user the bot already knows by name (as VK's users.get told it). */
const knownUser = (userId: number, firstName: string) =>
  bot.store.transaction((r) => r.users.put(newUserRecord(userId, bot.clock.now(), { firstName })));

describe('the operators’ ticket search', () => {
  it('finds a ticket by its number however it is typed, in the queue’s shape', async () => {
    bot = await startBotStack();
    const { number } = await bot.fileTicket(3301);
    const [prefix, digits] = number.split('-');
    for (const typed of [
      number,
      number.toLowerCase(),
      `${prefix}${digits}`,
      ` ${prefix?.toLowerCase()}${digits} `,
    ])
      expect(await numbers(typed)).toEqual([number]);
    const queued = (await bot.api('GET', '/api/ops/tickets', { operatorToken: OPERATOR_TOKEN })).body
      .tickets[0];
    const found = (await search(number)).body;
    expect(Object.keys(found.tickets[0]!).sort()).toEqual(Object.keys(queued).sort());
    expect(found.tickets[0]?.requester).toMatchObject({ userId: 3301, name: 'User3301' });
    expect(found.nextCursor).toBeNull();
    expect(await numbers(`${prefix}-9999`)).toEqual([]);
  });

  it("finds a requester's tickets by VK id: id123, 123, vk.com/id123", async () => {
    bot = await startBotStack();
    const first = await fileInApp(3302);
    const second = await fileInApp(3302);
    await fileInApp(3303);
    for (const typed of ['id3302', '3302', 'vk.com/id3302', 'https://vk.com/id3302'])
      expect(await numbers(typed)).toEqual([second, first]);
  });

  it('finds tickets by contact, normalised as the bot normalises it', async () => {
    bot = await startBotStack();
    const byMail = await fileInApp(3304, { email: 'Anna.Petrova@Example.com' });
    const byPhone = await fileInApp(3305, { phone: '8 (900) 123-45-67' });
    await fileInApp(3306, { email: 'someone@example.com' });
    expect(await numbers('anna.petrova@example.com')).toEqual([byMail]);
    expect(await numbers('ANNA.PETROVA@EXAMPLE.COM')).toEqual([byMail]);
    for (const typed of ['+7 900 123-45-67', '89001234567', '+79001234567', '9001234567'])
      expect(await numbers(typed)).toEqual([byPhone]);
    expect(await numbers('+7 900 000-00-00')).toEqual([]);
  });

  it('finds tickets by the start of a first name, any case, ё as е, newest first with a cursor', async () => {
    bot = await startBotStack();
    await knownUser(3307, 'Алёна');
    await knownUser(3308, 'Алексей');
    await knownUser(3309, 'Мария');
    const alyona = await fileInApp(3307);
    const alexey = await fileInApp(3308);
    const alyonaAgain = await fileInApp(3307);
    await fileInApp(3309);
    expect(await numbers('Але')).toEqual([alyonaAgain, alexey, alyona]);
    expect(await numbers('алён')).toEqual([alyonaAgain, alyona]);
    expect(await numbers('АЛЕНА')).toEqual([alyonaAgain, alyona]);
    expect(await numbers('Алексей Петрович')).toEqual([]);
    expect(await numbers('Борис')).toEqual([]);

    const page = await search('ал', '&limit=2');
    expect(page.body.tickets.map((t) => t.number)).toEqual([alyonaAgain, alexey]);
    expect(page.body.nextCursor).not.toBeNull();
    const rest = await search('ал', `&limit=2&cursor=${page.body.nextCursor}`);
    expect(rest.body).toMatchObject({ tickets: [{ number: alyona }], nextCursor: null });
  });

  it('tells apart long names that share the indexed prefix by the whole name', async () => {
    bot = await startBotStack();
    await knownUser(3313, 'Александрина-Виктория');
    await knownUser(3314, 'Александрина-Викторина');
    const victoria = await fileInApp(3313);
    const victorina = await fileInApp(3314);
    expect(await numbers('александрина-виктори')).toEqual([victorina, victoria]);
    expect(await numbers('Александрина-Виктория')).toEqual([victoria]);
  });

  it('finds an app ticket by name: the worker asks VK for it when it posts the first card', async () => {
    bot = await startBotStack();
    const number = await fileInApp(3310);
    expect(await numbers('user3310')).toEqual([number]);
    // The user's first message to the community changes nothing: the name is known already.
    await bot.says(3310, 'меню');
    expect(await numbers('user3310')).toEqual([number]);
  });

  it('searches every status unless status narrows it, and takes the queue’s other filters', async () => {
    bot = await startBotStack();
    const resolved = await fileInApp(3311);
    const open = await fileInApp(3311);
    await bot.api('POST', `/api/ops/tickets/${resolved}/status`, {
      operatorToken: OPERATOR_TOKEN,
      body: { status: 'resolved' },
    });
    await bot.api('POST', `/api/ops/tickets/${open}/assign`, { operatorToken: OPERATOR_TOKEN, body: {} });
    expect(await numbers('id3311')).toEqual([open, resolved]);
    expect(await numbers('id3311', '&status=resolved')).toEqual([resolved]);
    expect(await numbers('id3311', '&assignee=me')).toEqual([open]);
    expect(await numbers('id3311', '&assignee=none')).toEqual([resolved]);
    expect(await numbers('id3311', '&category=question')).toEqual([]);
  });

  it('answers 400 to an empty or overlong q, and 401 without a token', async () => {
    bot = await startBotStack();
    for (const q of ['', '   ', 'а'.repeat(101)]) expect((await search(q)).status).toBe(400);
    expect((await search('а'.repeat(100))).status).toBe(200);
    expect((await bot.api('GET', '/api/ops/tickets?q=id1')).status).toBe(401);
    // A malformed escape is named, not searched for as U+FFFD (which found nothing, with a 200).
    const malformed = await bot.api('GET', '/api/ops/tickets?q=%E0%A4', { operatorToken: OPERATOR_TOKEN });
    expect(malformed.status).toBe(400);
    expect(malformed.body.detail).toBe('The query is invalid: query.q not valid percent-encoded UTF-8.');
  });

  it('finds nothing of an erased user: their name and contact terms go with the erasure', async () => {
    bot = await startBotStack();
    await knownUser(3312, 'Зинаида');
    const number = await fileInApp(3312, { email: 'zina@example.com', phone: '+7 901 000-11-22' });
    expect(await numbers('зина')).toEqual([number]);
    expect(await numbers('zina@example.com')).toEqual([number]);
    const { ticketId } = (await bot.stack.tickets.thread(number)).ticket;
    expect((await bot.store.read((r) => r.ticketSearch.listByTicket(ticketId))).length).toBeGreaterThan(0);

    const erased = await bot.api('DELETE', '/api/ops/users/3312', { operatorToken: ADMIN_TOKEN });
    expect(erased.status).toBe(200);
    expect(await bot.store.read((r) => r.ticketSearch.listByTicket(ticketId))).toEqual([]);
    for (const q of ['зина', 'zina@example.com', '+79010001122', 'id3312'])
      expect(await numbers(q)).toEqual([]);
    // The anonymised ticket itself is still there, by its number.
    expect(await numbers(number)).toEqual([number]);
  });
});
