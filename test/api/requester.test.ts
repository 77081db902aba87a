import { MINUTE } from '../../lib/clock';
import { type BotStack, OPERATOR_TOKEN, startBotStack } from '../support/bot-harness';

/** Operators and the CRM see who filed a ticket, and can look a requester up. */

let bot: BotStack;
afterEach(async () => {
  await bot?.close();
});

describe('the requester', () => {
  it('is on the queue and on the ticket: VK id, name, profile link', async () => {
    bot = await startBotStack();
    const { number } = await bot.fileTicket(3201);
    const queue = await bot.api('GET', '/api/ops/tickets', { operatorToken: OPERATOR_TOKEN });
    const row = queue.body.tickets.find((ticket: { number: string }) => ticket.number === number);
    expect(row.requester).toEqual({ userId: 3201, name: 'User3201', profileUrl: 'https://vk.com/id3201' });
    const ticket = await bot.api('GET', `/api/ops/tickets/${number}`, { operatorToken: OPERATOR_TOKEN });
    expect(ticket.body.requester).toEqual({
      userId: 3201,
      name: 'User3201',
      profileUrl: 'https://vk.com/id3201',
    });
  });

  it('GET /api/ops/users/{userId}: tickets, ratings, language, permissions and latest events', async () => {
    bot = await startBotStack();
    const { number } = await bot.fileTicket(3202);
    await bot.api('POST', `/api/ops/tickets/${number}/status`, {
      operatorToken: OPERATOR_TOKEN,
      body: { status: 'resolved' },
    });
    await bot.advance(31 * MINUTE);
    await bot.says(3202, '5');
    await bot.api('POST', '/api/events', {
      user: 3202,
      body: { events: [{ name: 'app_open', screen: 'home' }] },
    });
    const answer = await bot.api('GET', '/api/ops/users/3202', { operatorToken: OPERATOR_TOKEN });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      requester: { userId: 3202, name: 'User3202' },
      language: 'ru',
      messagesAllowed: true,
      tickets: [{ number }],
      ratings: [{ number, rating: 5 }],
    });
    expect(Array.isArray(answer.body.latestEvents)).toBe(true);
    expect((await bot.api('GET', '/api/ops/users/77', { operatorToken: OPERATOR_TOKEN })).status).toBe(404);
    expect((await bot.api('GET', '/api/ops/users/-1', { operatorToken: OPERATOR_TOKEN })).status).toBe(400);
    // Digits only: "1e3" is not user 1000, nor "0x10" user 16.
    for (const id of ['1e3', '0x10', '007', '2000000001', '%201'])
      expect((await bot.api('GET', `/api/ops/users/${id}`, { operatorToken: OPERATOR_TOKEN })).status).toBe(
        400,
      );
    expect((await bot.api('GET', '/api/ops/users/3202')).status).toBe(401);
  });
});
