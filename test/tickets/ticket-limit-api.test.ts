import { type LocalStack, startLocalStack } from '../../scripts/local/stack';

/**
 * The hourly ticket limit through the mini app's HTTP path (the local stack's gateway server and its
 * SQLite store): the form and a message on a closed ticket share it, under concurrency.
 */
let stack: LocalStack;

beforeAll(async () => {
  stack = await startLocalStack(
    { LOG_LEVEL: 'error', MINI_APP_ORIGINS: 'https://app.example', TICKETS_PER_HOUR: '5' },
    { inMemory: true, pollMs: 10, sink: () => {} },
  );
});
afterAll(async () => {
  await stack.close();
});

async function api(method: string, path: string, user: number, body?: unknown) {
  const response = await fetch(`${stack.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', 'x-vk-launch-params': stack.launchParamsFor(user) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : null };
}

const ticketBody = { category: 'bug', subject: 'Не открывается профиль', description: 'Белый экран' };

describe('ticket-api: the hourly ticket limit', () => {
  it('files 5 of 20 concurrent tickets and answers the other 15 with 429 and Retry-After', async () => {
    const user = 6_100_001;
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => api('POST', '/api/tickets', user, ticketBody)),
    );
    expect(answers.filter((answer) => answer.status === 201)).toHaveLength(5);
    const refused = answers.filter((answer) => answer.status === 429);
    expect(refused).toHaveLength(15);
    for (const answer of refused) {
      expect(answer.body).toMatchObject({ type: expect.stringMatching(/\/too_many_tickets$/) });
      expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(3000);
    }
    const mine = await api('GET', '/api/tickets', user);
    expect(mine.body.tickets).toHaveLength(5);
  });

  it('answers a message on a closed ticket with 429 at the limit instead of filing a linked ticket', async () => {
    const user = 6_100_002;
    const first = await api('POST', '/api/tickets', user, ticketBody);
    const ticket = await stack.store.read((r) => r.tickets.getByNumber(first.body.number));
    if (!ticket) throw new Error('the ticket was not stored');
    await stack.store.transaction((r) => r.tickets.update({ ...ticket, status: 'closed' }));

    const second = await api('POST', '/api/tickets', user, ticketBody);
    const other = await stack.store.read((r) => r.tickets.getByNumber(second.body.number));
    if (!other) throw new Error('the ticket was not stored');
    await stack.store.transaction((r) => r.tickets.update({ ...other, status: 'closed' }));

    const linked = await api('POST', `/api/tickets/${ticket.number}/messages`, user, { text: 'Снова' });
    expect(linked.status).toBe(201);
    for (let i = 0; i < 2; i++)
      expect((await api('POST', '/api/tickets', user, ticketBody)).status).toBe(201);

    // At 5 of 5: more words to the first closed ticket join its follow-up; the other can't start one.
    const joined = await api('POST', `/api/tickets/${ticket.number}/messages`, user, { text: 'Ответьте' });
    expect([joined.status, joined.body.number]).toEqual([200, linked.body.number]);
    const refused = await api('POST', `/api/tickets/${other.number}/messages`, user, { text: 'Ответьте' });
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ type: expect.stringMatching(/\/too_many_tickets$/) });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(3000);
    expect((await api('GET', '/api/tickets', user)).body.tickets).toHaveLength(5);
  });
});
