import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HOUR, MINUTE } from '../../lib/clock';
import { slaOf } from '../../lib/tickets/sla';
import { msk, OPERATORS_CHAT, startTicketWorker } from '../support/ticket-worker';

const CHAT = OPERATORS_CHAT;

async function setup(options: { crm?: string; maxFailures?: number } = {}) {
  const worker = await startTicketWorker({
    ...(options.crm ? { crmWebhook: { url: options.crm, secret: 'crm-secret-0123456789' } } : {}),
    ...(options.maxFailures !== undefined ? { maxFailures: options.maxFailures } : {}),
  });
  const file = (userId = 42, category = 'question') =>
    worker.tickets.create({
      userId,
      channel: 'app',
      category,
      subject: 'Вопрос',
      description: 'Как?',
      attachments: [],
      details: {},
    });
  return { ...worker, file };
}

describe('ticket lifecycle: SLA, auto-close, CRM webhooks', () => {
  it('alerts the operators chat once when the first response is late, in business hours', async () => {
    const t = await setup();
    try {
      const { ticket } = await t.file(); // question: first response within 60 business minutes
      expect(slaOf(ticket)?.firstResponseDueAt).toBe(msk('2026-11-24T11:00:00'));
      await t.runFor(50 * MINUTE);
      expect(t.sandbox.sent.filter((m) => m.peerId === CHAT)).toHaveLength(0);
      await t.runFor(30 * MINUTE);
      // The alert, and (no leads' chat set) the ticket's one escalation (test/tickets/sla-escalation.test.ts).
      const alerts = t.sandbox.sent.filter((m) => m.peerId === CHAT);
      expect(alerts.map((m) => m.text.slice(0, 2))).toEqual(['⏰ ', '🚨']);
      expect(alerts[0]?.text).toContain(ticket.number);
      await t.runFor(2 * HOUR);
      expect(t.sandbox.sent.filter((m) => m.peerId === CHAT)).toHaveLength(2);
      const flagged = await t.store.read((r) => r.tickets.get(ticket.ticketId));
      expect(slaOf(flagged!)?.breachedAt.firstResponse).toBeDefined();
    } finally {
      await t.close();
    }
  });

  it('does not alert when an operator answered in time, and pauses resolution while waiting for the user', async () => {
    const t = await setup();
    try {
      const { ticket } = await t.file();
      await t.runFor(30 * MINUTE);
      await t.tickets.operatorMessage(
        ticket.number,
        { text: 'Уточните', attachments: [], internal: false },
        t.operator,
      );
      await t.tickets.changeStatus(ticket.number, 'waiting_for_user', t.operator);
      const before = slaOf((await t.store.read((r) => r.tickets.get(ticket.ticketId)))!)!.resolutionDueAt!;
      await t.runFor(3 * HOUR); // waiting: the resolution clock is paused
      await t.tickets.addUserMessage(42, ticket.number, { text: 'Вот', attachments: [] });
      const after = await t.store.read((r) => r.tickets.get(ticket.ticketId));
      expect(after?.status).toBe('in_progress');
      // Waiting 10:30–13:30 is 2.5 business hours (lunch is 13:00–14:00): the due time moves by that.
      expect(t.tickets.settings.hours.businessTimeBetween(before, slaOf(after!)!.resolutionDueAt!)).toBe(
        2.5 * HOUR,
      );
      expect(t.sandbox.sent.filter((m) => m.peerId === CHAT)).toHaveLength(0);
    } finally {
      await t.close();
    }
  });

  it('closes a resolved ticket after the auto-close time unless it was reopened', async () => {
    const t = await setup();
    try {
      const first = (await t.file(1)).ticket;
      const second = (await t.file(2)).ticket;
      await t.tickets.changeStatus(first.number, 'resolved', t.operator);
      await t.tickets.changeStatus(second.number, 'resolved', t.operator);
      await t.tickets.addUserMessage(2, second.number, { text: 'Не помогло', attachments: [] });
      await t.runFor(73 * HOUR);
      expect((await t.store.read((r) => r.tickets.get(first.ticketId)))?.status).toBe('closed');
      expect((await t.store.read((r) => r.tickets.get(second.ticketId)))?.status).toBe('new');
      const history = await t.store.read((r) => r.tickets.listStatusChanges(first.ticketId));
      expect(history.at(-1)).toMatchObject({ from: 'resolved', to: 'closed', changedBy: 'system' });
    } finally {
      await t.close();
    }
  });

  it('posts signed ticket events to the CRM, retrying a failing endpoint and giving up after N failures', async () => {
    const received: Array<{ headers: Record<string, string | string[] | undefined>; body: string }> = [];
    let failuresLeft = 1;
    const crm = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        if (failuresLeft-- > 0) {
          response.writeHead(503).end();
          return;
        }
        received.push({ headers: request.headers, body });
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => crm.listen(0, '127.0.0.1', resolve));
    const t = await setup({ crm: `http://127.0.0.1:${(crm.address() as AddressInfo).port}/hook` });
    try {
      await t.file();
      await t.runFor(45 * MINUTE); // the first attempt fails; the redelivery succeeds
      const created = received.find((r) => JSON.parse(r.body).event === 'ticket.created');
      expect(created).toBeDefined();
      const { headers, body } = created!;
      const expected = createHmac('sha256', 'crm-secret-0123456789')
        .update(`${headers['x-webhook-timestamp']}.${body}`)
        .digest('hex');
      expect(headers['x-webhook-signature']).toBe(`sha256=${expected}`);
      expect(received.filter((r) => JSON.parse(r.body).event === 'ticket.created')).toHaveLength(1);

      failuresLeft = 100;
      await t.file(43);
      await t.runFor(3 * HOUR);
      // The CRM's hops have their own queue and dead-letter queue: they never held back the others.
      expect(await t.queue.depth('crm-dlq')).toMatchObject({ visible: 1 });
      expect(await t.queue.depth('deferred-dlq')).toMatchObject({ visible: 0 });
      const jobs = await t.store.read((r) =>
        r.jobs.listPendingStale(Date.now() + 365 * 24 * HOUR, { limit: 100 }),
      );
      expect(jobs.filter((job) => job.kind === 'crm-webhook')).toHaveLength(0); // given up, not rescued forever
    } finally {
      await t.close();
      crm.close();
    }
  });

  it('posts two webhooks for two messages to one ticket within the same millisecond', async () => {
    const bodies: string[] = [];
    const crm = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        bodies.push(body);
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => crm.listen(0, '127.0.0.1', resolve));
    const t = await setup({ crm: `http://127.0.0.1:${(crm.address() as AddressInfo).port}/hook` });
    try {
      const { ticket } = await t.file();
      // The clock stands still: both messages, in transactions of their own, happen at one millisecond.
      await t.tickets.addUserMessage(42, ticket.number, { text: 'Первое', attachments: [] });
      await t.tickets.addUserMessage(42, ticket.number, { text: 'Второе', attachments: [] });
      await t.runFor(15 * MINUTE);
      const messages = bodies
        .map((body) => JSON.parse(body))
        .filter((body) => body.event === 'ticket.message');
      expect(messages).toHaveLength(2);
      expect(new Set(messages.map((body) => body.deliveryId)).size).toBe(2);
    } finally {
      await t.close();
      crm.close();
    }
  });
});
