import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type BotStack, OPERATOR_TOKEN, startBotStack } from '../support/bot-harness';

jest.setTimeout(60_000);

const SECRET = 'crm-secret-0123456789';

/** What a CRM receives from the local stack: its deferred worker POSTs each ticket event, signed. */
describe('CRM webhooks through the local stack', () => {
  let bot: BotStack;
  let crm: Server;
  const received: Array<{ headers: Record<string, string | string[] | undefined>; body: string }> = [];

  beforeEach(async () => {
    received.length = 0;
    crm = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => {
        body += chunk.toString('utf8');
      });
      request.on('end', () => {
        received.push({ headers: request.headers, body });
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => crm.listen(0, '127.0.0.1', resolve));
    const { port } = crm.address() as AddressInfo;
    bot = await startBotStack({
      environment: { CRM_WEBHOOK_URL: `http://127.0.0.1:${port}/hooks/vk`, CRM_WEBHOOK_SECRET: SECRET },
    });
  });
  afterEach(async () => {
    await bot.close();
    await new Promise((resolve) => crm.close(resolve));
  });

  const events = () =>
    received.map((delivery) => JSON.parse(delivery.body) as { event: string; message?: unknown });
  const waitFor = async (count: number) => {
    for (let i = 0; i < 300 && received.length < count; i++) {
      await bot.settle();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };

  it('sends the requester, category, priority, status and reply text, signed, and never an internal note', async () => {
    await bot.says(1701, 'привет'); // VK tells the bot the name: the requester has one
    const filed = await bot.api('POST', '/api/tickets', {
      user: 1701,
      body: { category: 'payment', subject: 'Списали деньги дважды', description: 'Оплата прошла два раза' },
    });
    const number = filed.body.number as string;
    const ops = (path: string, body: unknown) =>
      bot.api('POST', path, { operatorToken: OPERATOR_TOKEN, body });
    await ops(`/api/ops/tickets/${number}/messages`, {
      text: 'Заметка: проверить в биллинге',
      internal: true,
    });
    await ops(`/api/ops/tickets/${number}/messages`, { text: 'Вернём второй платёж сегодня' });
    await ops(`/api/ops/tickets/${number}/status`, { status: 'resolved' });
    await waitFor(4);

    const byEvent = Object.fromEntries(events().map((event) => [event.event, event]));
    expect(Object.keys(byEvent).sort()).toEqual([
      'ticket.created',
      'ticket.message',
      'ticket.status_changed',
    ]);
    expect(byEvent['ticket.created']).toMatchObject({
      requester: { userId: 1701, name: 'User1701', profileUrl: 'https://vk.com/id1701' },
      ticket: { number, category: 'payment', priority: 'urgent', status: 'new' },
    });
    expect(byEvent['ticket.message']?.message).toMatchObject({
      author: 'operator',
      text: 'Вернём второй платёж сегодня',
    });
    expect(byEvent['ticket.status_changed']).toMatchObject({ ticket: { status: 'resolved' } });
    expect(received.map((delivery) => delivery.body).join('\n')).not.toContain('Заметка');
    for (const delivery of received) {
      const timestamp = String(delivery.headers['x-webhook-timestamp']);
      const expected = createHmac('sha256', SECRET).update(`${timestamp}.${delivery.body}`).digest('hex');
      expect(delivery.headers['x-webhook-signature']).toBe(`sha256=${expected}`);
    }
  });
});
