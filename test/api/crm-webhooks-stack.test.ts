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
    await waitFor(5);

    const byEvent = Object.fromEntries(events().map((event) => [event.event, event]));
    expect(Object.keys(byEvent).sort()).toEqual([
      'ticket.assigned',
      'ticket.created',
      'ticket.message',
      'ticket.status_changed',
    ]);
    expect(byEvent['ticket.created']).toMatchObject({
      requester: { userId: 1701, name: 'User1701', profileUrl: 'https://vk.com/id1701' },
      ticket: { number, category: 'payment', priority: 'urgent', status: 'new' },
      subject: 'Списали деньги дважды',
      message: { seq: 1, author: 'user', text: 'Оплата прошла два раза', attachments: [] },
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

  type Event = {
    event: string;
    ticket: { number: string; status: string; assigneeId: number | null; priority: string };
    subject?: string;
    message?: { seq: number; author: string; text: string; attachments: string[] };
    from?: string;
    to?: string;
  };
  const eventsOf = (number: string) =>
    received
      .map((delivery) => JSON.parse(delivery.body) as Event)
      .filter((event) => event.ticket.number === number);

  it("carries the user's own words on ticket.created, from the chat and from the mini app", async () => {
    const fromChat = await bot.fileTicket(1711, 'Не приходит код подтверждения на почту');
    const fromApp = await bot.api('POST', '/api/tickets', {
      user: 1712,
      body: {
        category: 'bug',
        subject: 'Вылетает при оплате',
        description: 'Нажимаю «Оплатить» — приложение закрывается',
        attachments: ['photo1712_1'],
      },
    });
    await waitFor(2);
    const created = (number: string) => eventsOf(number).filter((event) => event.event === 'ticket.created');
    expect(created(fromChat.number)).toEqual([
      expect.objectContaining({
        subject: expect.any(String),
        message: {
          seq: 1,
          author: 'user',
          text: 'Не приходит код подтверждения на почту',
          attachments: [],
        },
      }),
    ]);
    expect(created(fromApp.body.number as string)).toEqual([
      expect.objectContaining({
        subject: 'Вылетает при оплате',
        message: {
          seq: 1,
          author: 'user',
          text: 'Нажимаю «Оплатить» — приложение закрывается',
          attachments: ['photo1712_1'],
        },
      }),
    ]);
    // The first message comes with the ticket, not again as a message of its own.
    expect(eventsOf(fromChat.number).filter((event) => event.event === 'ticket.message')).toEqual([]);
  });

  it("announces the assignment an operator's first reply makes, once, each event with the ticket as written", async () => {
    const filed = await bot.api('POST', '/api/tickets', {
      user: 1721,
      body: { category: 'question', subject: 'Вопрос', description: 'Где найти историю заказов?' },
    });
    const number = filed.body.number as string;
    await waitFor(1);
    const reply = await bot.api('POST', `/api/ops/tickets/${number}/messages`, {
      operatorToken: OPERATOR_TOKEN,
      body: { text: 'В профиле, раздел «Заказы»' },
    });
    expect(reply.body).toMatchObject({ number, status: 'in_progress', seq: 2 });
    await waitFor(4);
    const after = eventsOf(number).filter((event) => event.event !== 'ticket.created');
    expect(after.map((event) => event.event).sort()).toEqual([
      'ticket.assigned',
      'ticket.message',
      'ticket.status_changed',
    ]);
    for (const event of after)
      expect([event.event, event.ticket.status, event.ticket.assigneeId]).toEqual([
        event.event,
        'in_progress',
        2,
      ]);
    const { ticket } = await bot.stack.tickets.thread(number);
    expect([ticket.status, ticket.assigneeId]).toEqual(['in_progress', 2]);
    // A second reply assigns nothing new.
    await bot.api('POST', `/api/ops/tickets/${number}/messages`, {
      operatorToken: OPERATOR_TOKEN,
      body: { text: 'Если не видно — обновите приложение' },
    });
    await waitFor(5);
    expect(eventsOf(number).filter((event) => event.event === 'ticket.assigned')).toHaveLength(1);
  });

  it("raises a ticket to urgent on the user's later message that says an urgent phrase, and tells the CRM", async () => {
    const filed = await bot.api('POST', '/api/tickets', {
      user: 1731,
      body: { category: 'question', subject: 'Подписка', description: 'Не вижу подписку в профиле' },
    });
    const number = filed.body.number as string;
    await waitFor(1);
    expect(eventsOf(number)[0]?.ticket.priority).toBe('normal');
    const followUp = await bot.api('POST', `/api/tickets/${number}/messages`, {
      user: 1731,
      body: { text: 'И ещё у меня списали деньги дважды' },
    });
    expect(followUp.status).toBe(200);
    await waitFor(3);
    const later = eventsOf(number).filter((event) => event.event !== 'ticket.created');
    expect(later).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          event: 'ticket.priority_changed',
          from: 'normal',
          to: 'urgent',
          ticket: expect.objectContaining({ priority: 'urgent' }),
        }),
        expect.objectContaining({
          event: 'ticket.message',
          ticket: expect.objectContaining({ priority: 'urgent' }),
          message: expect.objectContaining({ seq: 2, text: 'И ещё у меня списали деньги дважды' }),
        }),
      ]),
    );
    const ops = await bot.api('GET', `/api/ops/tickets/${number}`, { operatorToken: OPERATOR_TOKEN });
    expect(ops.body.priority).toBe('urgent');
  });
});
