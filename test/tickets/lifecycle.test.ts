import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HOUR, ManualClock, MINUTE } from '../../lib/clock';
import { loadConfig } from '../../lib/config/schema';
import { createLogger } from '../../lib/log/logger';
import { AppNotifications } from '../../lib/notifications/app-notification';
import { DeferredJobs } from '../../lib/queue/deferred';
import { EmbeddedQueue } from '../../lib/queue/embedded';
import { deliverBatch } from '../../lib/queue/trigger';
import { SqliteStore } from '../../lib/storage/sqlite/store';
import { ticketServiceSettings } from '../../lib/tickets/compose';
import { TicketService } from '../../lib/tickets/service';
import { slaOf } from '../../lib/tickets/sla';
import { VkClient } from '../../lib/vk/client';
import { deferredJobHandlers } from '../../lib/worker/job-handlers';
import { VkSandbox } from '../../scripts/sandbox/vk-sandbox';

const CHAT = 2_000_000_001;
const msk = (iso: string) => Date.parse(`${iso}+03:00`);

async function setup(options: { crm?: string; maxFailures?: number } = {}) {
  const clock = new ManualClock(msk('2026-11-24T10:00:00')); // Tuesday, operators at work
  const store = new SqliteStore(':memory:');
  const queue = new EmbeddedQueue(store, { clock, maxReceiveCount: 3 });
  const logger = createLogger({ level: 'error' });
  const deferred = new DeferredJobs({ store, queue, clock, logger, maxFailures: options.maxFailures ?? 3 });
  const sandbox = await new VkSandbox({ groupId: 1, callbackSecret: 's' }).start(0);
  const config = loadConfig(
    {
      OPERATORS_CHAT_PEER_ID: String(CHAT),
      ...(options.crm ? { CRM_WEBHOOK_URL: options.crm, CRM_WEBHOOK_SECRET: 'crm-secret-0123456789' } : {}),
    },
    ['support', 'csat', 'runtime'],
  );
  const settings = ticketServiceSettings(config);
  const tickets = new TicketService({
    store,
    clock,
    logger,
    settings,
    dispatchJobs: (ids) => deferred.dispatchAll(ids),
  });
  const vk = new VkClient({
    apiUrl: sandbox.apiUrl,
    version: '5.199',
    token: 't',
    rateLimitPerSecond: 1000,
    timeoutMs: 2000,
    maxAttempts: 1,
  });
  const handlers = deferredJobHandlers({
    store,
    clock,
    logger,
    tickets,
    deferred,
    groupVk: vk,
    appNotifications: new AppNotifications({ store, clock, appVk: vk, dailyCap: 1 }),
    groupId: 1,
    operatorsChatPeerId: CHAT,
    crmWebhook: options.crm ? { url: options.crm, secret: 'crm-secret-0123456789' } : undefined,
  });
  /** Moves the clock in 15-minute steps, running the deferred queue at each, as the trigger would. */
  const runFor = async (milliseconds: number) => {
    const drain = async () => {
      for (const queueName of ['deferred', 'crm'] as const) {
        for (;;) {
          const { delivered } = await deliverBatch(queue, queueName, async (event) => {
            for (const message of event.messages)
              await deferred.handleMessage(message.details.message.body, handlers);
          }).catch(() => ({ delivered: 0 }));
          if (delivered === 0) break;
        }
      }
    };
    for (let elapsed = 0; elapsed < milliseconds; elapsed += 15 * MINUTE) {
      await drain();
      clock.advance(Math.min(15 * MINUTE, milliseconds - elapsed));
    }
    await drain();
  };
  const file = (userId = 42, category = 'question') =>
    tickets.create({
      userId,
      channel: 'app',
      category,
      subject: 'Вопрос',
      description: 'Как?',
      attachments: [],
      details: {},
    });
  const operator = { operatorId: 7, role: 'operator' as const };
  return { clock, store, queue, tickets, sandbox, runFor, file, operator, close: () => sandbox.stop() };
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
      const alerts = t.sandbox.sent.filter((m) => m.peerId === CHAT);
      expect(alerts).toHaveLength(1);
      expect(alerts[0]?.text).toContain(ticket.number);
      await t.runFor(2 * HOUR);
      expect(t.sandbox.sent.filter((m) => m.peerId === CHAT)).toHaveLength(1);
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
