import { ADMIN_TOKEN, type BotStack, OPERATOR_TOKEN, startBotStack } from '../support/bot-harness';

/** Operators handle tickets; exports, erasure on request, the audit and broadcasts are an admin's alone. */

let bot: BotStack;
afterEach(async () => {
  await bot?.close();
});

async function adminOnly(method: string, path: string) {
  const asOperator = await bot.api(method, path, { operatorToken: OPERATOR_TOKEN });
  expect(asOperator.status).toBe(403);
  expect(asOperator.body).toMatchObject({ status: 403, type: expect.stringContaining('admin_only') });
  const anonymous = await bot.api(method, path);
  expect(anonymous.status).toBe(401);
  return bot.api(method, path, { operatorToken: ADMIN_TOKEN });
}

describe('admin-only endpoints', () => {
  it("a ticket's audit: 403 to an operator, the entries to an admin", async () => {
    bot = await startBotStack();
    const { number, card } = await bot.fileTicket(3101);
    await bot.press(1, card, { c: 'op', a: 'take' });
    const answer = await adminOnly('GET', `/api/ops/tickets/${number}/audit`);
    expect(answer.status).toBe(200);
    expect(answer.body.entries.map((entry: { action: string }) => entry.action)).toContain('ticket.assign');
  });

  it("a user's export on request: 403 to an operator, the data to an admin", async () => {
    bot = await startBotStack();
    await bot.fileTicket(3102);
    const answer = await adminOnly('GET', '/api/ops/users/3102/export');
    expect(answer.status).toBe(200);
    expect(JSON.stringify(answer.body)).toContain('Не работает вход через VK ID');
    expect((await bot.api('GET', '/api/ops/users/abc/export', { operatorToken: ADMIN_TOKEN })).status).toBe(
      400,
    );
  });

  it("a user's erasure on request: 403 to an operator and nothing erased; an admin's erases", async () => {
    bot = await startBotStack();
    await bot.fileTicket(3103);
    const asOperator = await bot.api('DELETE', '/api/ops/users/3103', { operatorToken: OPERATOR_TOKEN });
    expect(asOperator.status).toBe(403);
    expect(await bot.store.read((r) => r.users.get(3103))).not.toBeNull();
    const answer = await bot.api('DELETE', '/api/ops/users/3103', { operatorToken: ADMIN_TOKEN });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ erased: true, anonymisedTickets: 1 });
    expect(await bot.store.read((r) => r.users.get(3103))).toBeNull();
  });

  it("an incident broadcast: 403 to an operator and nothing sent; an admin's goes and is reported", async () => {
    bot = await startBotStack();
    const body = { text: 'Сбой оплаты, чиним', audience: 'all' };
    for (const query of ['', '?dryRun=1']) {
      const asOperator = await bot.api('POST', `/api/ops/broadcasts${query}`, {
        operatorToken: OPERATOR_TOKEN,
        body,
      });
      expect(asOperator.status).toBe(403);
      expect(asOperator.body).toMatchObject({ status: 403, type: expect.stringContaining('admin_only') });
      expect((await bot.api('POST', `/api/ops/broadcasts${query}`, { body })).status).toBe(401);
    }
    const accepted = await bot.api('POST', '/api/ops/broadcasts', { operatorToken: ADMIN_TOKEN, body });
    expect(accepted.status).toBe(202);
    const report = await adminOnly('GET', `/api/ops/broadcasts/${accepted.body.id}`);
    expect(report.status).toBe(200);
    expect(report.body).toMatchObject({ id: accepted.body.id, createdBy: 'operator:1' });
  });

  it('operators keep what operators do: the queue, a reply, a status', async () => {
    bot = await startBotStack();
    const { number } = await bot.fileTicket(3104);
    expect((await bot.api('GET', '/api/ops/tickets', { operatorToken: OPERATOR_TOKEN })).status).toBe(200);
    const status = await bot.api('POST', `/api/ops/tickets/${number}/status`, {
      operatorToken: OPERATOR_TOKEN,
      body: { status: 'resolved' },
    });
    expect(status.status).toBe(200);
  });
});
