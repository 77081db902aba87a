import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DAY, ManualClock } from '../../lib/clock';
import { loadConfig } from '../../lib/config/schema';
import { createLogger } from '../../lib/log/logger';
import type { DeferredJobRecord } from '../../lib/storage/port';
import { SqliteStore } from '../../lib/storage/sqlite/store';
import { ticketServiceSettings } from '../../lib/tickets/compose';
import { priorityOf } from '../../lib/tickets/priority';
import { TicketService } from '../../lib/tickets/service';
import { startShift } from '../../lib/tickets/shifts';
import { deliverWebhook, type WebhookPayload, webhookPayloadSchema } from '../../lib/tickets/webhooks';
import { eraseUser } from '../../lib/users/account';

/**
 * What a CRM receives: every ticket event with the requester, category, priority and status, a
 * message's text, never an internal note; each payload as the OpenAPI document's `webhooks` say
 * (the same zod schemas). The jobs the service queued are delivered to a CRM on loopback.
 */
const SECRET = 'crm-secret-0123456789';
const USER = 4242;
const operator = { operatorId: 7, role: 'operator' as const };

async function setup(options: { crm: boolean; environment?: Record<string, string> }) {
  const received: Array<{ headers: Record<string, string | string[] | undefined>; body: string }> = [];
  const crm: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      received.push({ headers: request.headers, body });
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => crm.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(crm.address() as AddressInfo).port}/hook`;
  const clock = new ManualClock(Date.parse('2026-11-24T10:00:00+03:00'));
  const store = new SqliteStore(':memory:');
  const crmEnvironment = options.crm ? { CRM_WEBHOOK_URL: url, CRM_WEBHOOK_SECRET: SECRET } : {};
  const config = loadConfig({ ...crmEnvironment, ...options.environment }, ['support', 'csat', 'runtime']);
  const tickets = new TicketService({
    store,
    clock,
    logger: createLogger({ level: 'error' }),
    settings: ticketServiceSettings(config),
    dispatchJobs: async () => {}, // the jobs wait in the store; `deliver` runs the CRM's
  });
  await store.transaction((repositories) =>
    repositories.users.put({
      userId: USER,
      language: 'ru',
      messagesAllowed: null,
      notificationsAllowed: false,
      notificationTypes: { ticketUpdates: true, reminders: true, news: true },
      quietHours: null,
      timezone: null,
      firstName: 'Анна',
      createdAt: clock.now(),
      updatedAt: clock.now(),
    }),
  );
  const webhookJobs = () =>
    store.read(async (repositories) =>
      (await repositories.jobs.listPendingStale(clock.now() + DAY, { limit: 1000 })).filter(
        (job) => job.kind === 'crm-webhook',
      ),
    );
  /** Delivers every queued webhook once, in the order queued, and returns what the CRM got. */
  const deliver = async (): Promise<WebhookPayload[]> => {
    const jobs: DeferredJobRecord[] = await webhookJobs();
    jobs.sort(
      (a, b) =>
        a.createdAt - b.createdAt || String(a.payload.occurredAt).localeCompare(String(b.payload.occurredAt)),
    );
    received.length = 0;
    for (const job of jobs)
      await deliverWebhook(
        { store, clock, crmWebhook: options.crm ? { url, secret: SECRET } : undefined },
        job,
      );
    return received.map(({ body }) => webhookPayloadSchema.parse(JSON.parse(body)));
  };
  const file = () =>
    tickets.create({
      userId: USER,
      channel: 'app',
      category: 'payment',
      subject: 'Двойное списание',
      description: 'Деньги списали дважды',
      attachments: ['photo1_2'],
      details: {},
    });
  return { store, clock, tickets, received, webhookJobs, deliver, file, close: () => crm.close() };
}

describe('CRM webhooks', () => {
  it('carry the requester, category, priority, status and a message’s text, signed', async () => {
    const t = await setup({ crm: true });
    try {
      const { ticket } = await t.file();
      t.clock.advance(1000);
      await t.tickets.assign(ticket.number, operator.operatorId, operator);
      t.clock.advance(1000);
      await t.tickets.operatorMessage(
        ticket.number,
        { text: 'Вернём деньги', attachments: [], internal: false },
        operator,
      );
      t.clock.advance(1000);
      await t.tickets.changeStatus(ticket.number, 'resolved', operator);
      const payloads = await t.deliver();

      const requester = { userId: USER, name: 'Анна', profileUrl: `https://vk.com/id${USER}` };
      const ticketFields = {
        number: ticket.number,
        category: 'payment',
        priority: priorityOf(ticket),
        channel: 'app',
      };
      const byEvent = (event: string) => payloads.filter((payload) => payload.event === event);
      expect(byEvent('ticket.created')).toEqual([
        expect.objectContaining({
          requester,
          ticket: expect.objectContaining({ ...ticketFields, status: 'new', assigneeId: null }),
          subject: 'Двойное списание',
          message: { seq: 1, author: 'user', text: 'Деньги списали дважды', attachments: ['photo1_2'] },
        }),
      ]);
      expect(byEvent('ticket.message')).toEqual([
        expect.objectContaining({
          requester,
          ticket: expect.objectContaining(ticketFields),
          message: { seq: 2, author: 'operator', text: 'Вернём деньги', attachments: [] },
        }),
      ]);
      expect(byEvent('ticket.assigned')).toEqual([
        expect.objectContaining({
          requester,
          ticket: expect.objectContaining({ ...ticketFields, assigneeId: 7 }),
        }),
      ]);
      expect(
        payloads.flatMap((payload) =>
          payload.event === 'ticket.status_changed'
            ? [{ from: payload.from, to: payload.to, status: payload.ticket.status }]
            : [],
        ),
      ).toEqual([
        { from: 'new', to: 'in_progress', status: 'in_progress' },
        { from: 'in_progress', to: 'resolved', status: 'resolved' },
      ]);
      // Every body is signed as the document says: HMAC-SHA256 of "<timestamp>.<body>".
      for (const { headers, body } of t.received) {
        const expected = createHmac('sha256', SECRET)
          .update(`${headers['x-webhook-timestamp']}.${body}`)
          .digest('hex');
        expect(headers['x-webhook-signature']).toBe(`sha256=${expected}`);
        expect(headers['x-webhook-id']).toBe(JSON.parse(body).deliveryId);
      }
    } finally {
      t.close();
    }
  });

  it("carries the user's message with its attachments, and never an internal note", async () => {
    const t = await setup({ crm: true });
    try {
      const { ticket } = await t.file();
      await t.deliver();
      await t.tickets.operatorMessage(
        ticket.number,
        { text: 'Клиент жалуется третий раз', attachments: [], internal: true },
        operator,
      );
      expect(await t.webhookJobs()).toHaveLength(1); // the note queued nothing: only ticket.created is there
      await t.tickets.addUserMessage(USER, ticket.number, { text: 'Вот чек', attachments: ['photo1_3'] });
      const payloads = await t.deliver();
      const messages = payloads.filter((payload) => payload.event === 'ticket.message');
      expect(messages).toEqual([
        expect.objectContaining({
          message: { seq: 3, author: 'user', text: 'Вот чек', attachments: ['photo1_3'] },
        }),
      ]);
      expect(t.received.map(({ body }) => body).join('\n')).not.toContain('третий раз');
    } finally {
      t.close();
    }
  });

  it('name nobody and carry none of their words once the user is erased before the webhook goes', async () => {
    const t = await setup({ crm: true });
    try {
      const { ticket } = await t.file();
      await t.tickets.addUserMessage(USER, ticket.number, { text: 'Карта 2200 1234', attachments: [] });
      await t.store.transaction((repositories) => eraseUser(repositories, USER, t.clock.now()));
      const payloads = await t.deliver();
      expect(payloads.map(({ event, requester }) => ({ event, requester }))).toEqual([
        { event: 'ticket.created', requester: null },
        { event: 'ticket.message', requester: null },
      ]);
      const bodies = t.received.map(({ body }) => body).join('\n');
      expect(bodies).not.toContain('Анна');
      expect(bodies).not.toContain('2200 1234');
      // Nor the subject and first message ticket.created carries.
      expect(bodies).not.toContain('Двойное списание');
      expect(bodies).not.toContain('Деньги списали дважды');
    } finally {
      t.close();
    }
  });

  it("add no read to the ticket's transaction (on or off), and queue nothing when off", async () => {
    /** users.get calls inside the store's transactions while filing a ticket and writing to it. */
    const userReadsWhileFiling = async (crm: boolean) => {
      const t = await setup({ crm });
      try {
        let reads = 0;
        const transaction = t.store.transaction.bind(t.store);
        jest.spyOn(t.store, 'transaction').mockImplementation((work, ...rest) =>
          transaction(
            (repositories) =>
              work({
                ...repositories,
                users: {
                  ...repositories.users,
                  get: (userId: number) => {
                    reads++;
                    return repositories.users.get(userId);
                  },
                },
              }),
            ...rest,
          ),
        );
        const { ticket } = await t.file();
        await t.tickets.addUserMessage(USER, ticket.number, { text: 'Ещё', attachments: [] });
        return { reads, webhookJobs: (await t.webhookJobs()).length };
      } finally {
        t.close();
      }
    };
    const off = await userReadsWhileFiling(false);
    const on = await userReadsWhileFiling(true);
    expect(off.webhookJobs).toBe(0);
    expect(on.webhookJobs).toBe(2);
    expect(on.reads).toBe(off.reads);
  });

  it('announce every assignment once, whichever way it came, with the ticket as written', async () => {
    const SHIFT_CHAT = 2000000001;
    const t = await setup({ crm: true, environment: { OPERATORS_CHAT_PEER_ID: String(SHIFT_CHAT) } });
    try {
      const reply = (number: string, text: string, by = operator) =>
        t.tickets.operatorMessage(number, { text, attachments: [], internal: false }, by);
      const assignedEvents = (payloads: WebhookPayload[], number: string) =>
        payloads.flatMap((payload) =>
          payload.event === 'ticket.assigned' && payload.ticket.number === number
            ? [[payload.ticket.assigneeId, payload.ticket.status]]
            : [],
        );
      // A reply to an unassigned ticket assigns it to whoever answered; later replies change nothing.
      const { ticket: byReply } = await t.file();
      const answered = await reply(byReply.number, 'Смотрим');
      expect([answered.ticket.assigneeId, answered.ticket.status]).toEqual([7, 'in_progress']);
      await reply(byReply.number, 'Нашли платёж');
      // Taken through the API, then asked again for the same operator: one event.
      const { ticket: byApi } = await t.file();
      await t.tickets.assign(byApi.number, 7, operator);
      await t.tickets.assign(byApi.number, 7, operator);
      // Unassigned, then answered by another operator: unassigned, and assigned by the reply.
      t.clock.advance(1000); // the events' order is their time's
      await t.tickets.assign(byApi.number, null, operator);
      t.clock.advance(1000);
      await reply(byApi.number, 'Подхвачу', { operatorId: 8, role: 'operator' });
      let payloads = await t.deliver();
      expect(assignedEvents(payloads, byReply.number)).toEqual([[7, 'in_progress']]);
      expect(assignedEvents(payloads, byApi.number)).toEqual([
        [7, 'in_progress'],
        [null, 'in_progress'],
        [8, 'in_progress'],
      ]);
      // The reply's own message event carries the assignment it made.
      const replyEvent = payloads.find(
        (payload) => payload.event === 'ticket.message' && payload.ticket.number === byReply.number,
      );
      expect(replyEvent?.ticket).toMatchObject({ status: 'in_progress', assigneeId: 7 });
      const audit = await t.store.read((repositories) =>
        repositories.audit.listBySubject(`ticket:${byReply.ticketId}`, 100),
      );
      expect(audit.filter((entry) => entry.action === 'ticket.assign')).toEqual([
        expect.objectContaining({
          actor: 'operator:7',
          details: expect.objectContaining({ from: null, to: 7 }),
        }),
      ]);

      // The shift rotation hands a new ticket to the operator on shift.
      await t.store.transaction((repositories) =>
        startShift(repositories, { chatPeerId: SHIFT_CHAT, operatorId: 9, name: null }, t.clock.now(), DAY),
      );
      const { ticket: byShift } = await t.file();
      expect(byShift.assigneeId).toBe(9);
      payloads = await t.deliver();
      expect(assignedEvents(payloads, byShift.number)).toEqual([[9, 'in_progress']]);
    } finally {
      t.close();
    }
  });

  it("raise the ticket to urgent when the user's later message says an urgent phrase, audited by system", async () => {
    const t = await setup({ crm: true });
    try {
      const { ticket } = await t.tickets.create({
        userId: USER,
        channel: 'app',
        category: 'question',
        subject: 'Подписка',
        description: 'Не вижу подписку',
        attachments: [],
        details: {},
      });
      expect(priorityOf(ticket)).toBe('normal');
      await t.tickets.addUserMessage(USER, ticket.number, {
        text: 'Подскажите, где её искать',
        attachments: [],
      });
      const { ticket: raised } = await t.tickets.addUserMessage(USER, ticket.number, {
        text: 'Деньги у меня вчера со счёта списали',
        attachments: [],
      });
      expect(priorityOf(raised)).toBe('urgent');
      await t.tickets.addUserMessage(USER, ticket.number, { text: 'Списали деньги, да', attachments: [] });
      const payloads = await t.deliver();
      expect(
        payloads.flatMap((payload) =>
          payload.event === 'ticket.priority_changed'
            ? [{ from: payload.from, to: payload.to, by: payload.changedBy, now: payload.ticket.priority }]
            : [],
        ),
      ).toEqual([{ from: 'normal', to: 'urgent', by: 'system', now: 'urgent' }]);
      expect(
        payloads
          .flatMap((payload) =>
            payload.event === 'ticket.message' ? [[payload.message.seq, payload.ticket.priority]] : [],
          )
          .sort(),
      ).toEqual([
        [2, 'normal'],
        [3, 'urgent'],
        [4, 'urgent'],
      ]);
      const audit = await t.store.read((repositories) =>
        repositories.audit.listBySubject(`ticket:${ticket.ticketId}`, 100),
      );
      expect(audit.filter((entry) => entry.action === 'ticket.priority')).toEqual([
        expect.objectContaining({
          actor: 'system',
          details: { number: ticket.number, from: 'normal', to: 'urgent', by: 'urgent_phrase', seq: 3 },
        }),
      ]);
    } finally {
      t.close();
    }
  });
});
