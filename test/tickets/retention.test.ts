import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DAY, HOUR, MINUTE } from '../../lib/clock';
import { recordRating } from '../../lib/csat/survey';
import { anonymisationJobId, anonymiseClosedTicket } from '../../lib/tickets/anonymise';
import { anonymiseDueTickets, parkMissingAnonymisations } from '../../lib/tickets/retention';
import { slaOf } from '../../lib/tickets/sla';
import { startTicketWorker } from '../support/ticket-worker';

/**
 * FZ-152: a closed ticket's personal data is kept `PERSONAL_DATA_RETENTION_DAYS`, then anonymised by a
 * parked deferred job that the worker's sweep takes when due. Real parts: the SQLite store, the
 * embedded queue with the deferred worker's handlers, the VK sandbox.
 */

const RETENTION_DAYS = 30;
const SECRET = 'Мой паспорт 4510-123456, пишу с личной почты';

async function setup(options: { filename?: string } = {}) {
  const worker = await startTicketWorker({
    environment: { PERSONAL_DATA_RETENTION_DAYS: String(RETENTION_DAYS) },
    ...(options.filename ? { filename: options.filename } : {}),
  });
  const { clock, store, logger, deferred, tickets, operator } = worker;
  const sweep = () => anonymiseDueTickets({ store, clock, logger, deferred });

  /** A ticket with a contact, photos, an operator's reply, resolved and rated 4: the usual life. */
  const resolvedTicket = async (userId = 42) => {
    const { ticket } = await tickets.create({
      userId,
      channel: 'app',
      category: 'bug',
      subject: 'Не открывается профиль',
      description: SECRET,
      attachments: ['photo42_1_abc'],
      details: {
        screen: 'profile',
        appVersion: '2.3.1',
        contact: { email: 'anna@example.ru' },
        contactConsentAt: clock.now(),
      },
    });
    await tickets.operatorMessage(
      ticket.number,
      { text: 'Анна, проверьте почту anna@example.ru', attachments: [], internal: false },
      operator,
    );
    await tickets.changeStatus(ticket.number, 'resolved', operator);
    await tickets.transact(async ({ repositories, outbox }) => {
      const current = await repositories.tickets.get(ticket.ticketId);
      await recordRating(
        repositories,
        outbox,
        current!,
        { rating: 4, channel: 'mini_app' },
        clock.now(),
        tickets.settings.csat,
      );
    });
    return ticket;
  };
  const read = (ticketId: string) =>
    store.read(async (repositories) => ({
      ticket: await repositories.tickets.get(ticketId),
      messages: await repositories.tickets.listMessages(ticketId),
      surveys: await repositories.surveys.listByTicket(ticketId),
      statusChanges: await repositories.tickets.listStatusChanges(ticketId),
    }));
  const job = (jobId: string) => store.read((repositories) => repositories.jobs.get(jobId));
  const close = async () => {
    await worker.close();
    await store.close();
  };
  return { ...worker, sweep, resolvedTicket, read, job, close };
}

describe('personal data retention of closed tickets (FZ-152)', () => {
  it('keeps a closed ticket whole for the retention period, then anonymises it, keeping what statistics need', async () => {
    const t = await setup();
    try {
      const ticket = await t.resolvedTicket();
      await t.runFor(73 * HOUR); // auto-close after 72 h
      const closed = await t.read(ticket.ticketId);
      expect(closed.ticket?.status).toBe('closed');
      const closing = closed.statusChanges.at(-1)!;
      expect(closing.to).toBe('closed');

      // One row, parked: due at the close + 30 days, and no hop ever sent for it.
      const jobId = anonymisationJobId(ticket.ticketId, closing.seq);
      expect(await t.job(jobId)).toMatchObject({
        kind: 'ticket-anonymise',
        status: 'pending',
        hop: 0,
        dueAt: closing.changedAt + RETENTION_DAYS * DAY,
      });

      t.clock.advance(RETENTION_DAYS * DAY - HOUR - (t.clock.now() - closing.changedAt));
      expect(await t.sweep()).toEqual({ anonymised: 0, taken: 0 });
      const kept = await t.read(ticket.ticketId);
      expect(kept.ticket?.details.contact).toEqual({ email: 'anna@example.ru' });
      expect(kept.messages[0]?.text).toBe(SECRET);

      t.clock.advance(HOUR);
      expect(await t.sweep()).toEqual({ anonymised: 1, taken: 1 });
      const after = await t.read(ticket.ticketId);
      expect(after.ticket).toMatchObject({
        userId: null,
        subject: '',
        status: 'closed',
        category: 'bug',
        createdAt: ticket.createdAt,
      });
      expect(after.ticket?.details).toEqual({
        screen: 'profile',
        appVersion: '2.3.1',
        sla: slaOf(closed.ticket!),
        resolvedAt: closed.ticket?.details.resolvedAt,
        resolution: 1,
        anonymisedAt: t.clock.now(),
      });
      expect(after.messages.map((m) => [m.author, m.authorId, m.text, m.attachments])).toEqual([
        ['user', null, '', []],
        ['operator', 7, '', []],
      ]);
      expect(after.surveys[0]).toMatchObject({ rating: 4, userId: null });
      expect(after.statusChanges).toEqual(closed.statusChanges);
      expect(await t.job(jobId)).toMatchObject({ status: 'done' });

      // Keyed: a second sweep, or the job's hop arriving late, changes nothing.
      expect(await t.sweep()).toEqual({ anonymised: 0, taken: 0 });
      const anonymisedAt = after.ticket?.details.anonymisedAt;
      t.clock.advance(DAY);
      await t.store.transaction((repositories) =>
        anonymiseClosedTicket(
          repositories,
          { payload: { ticketId: ticket.ticketId, closingSeq: closing.seq } },
          t.clock.now(),
        ),
      );
      expect((await t.read(ticket.ticketId)).ticket?.details.anonymisedAt).toBe(anonymisedAt);
    } finally {
      await t.close();
    }
  });

  it('leaves a parked job out of the queue and the rescue until it is due; past due, the rescue sends it and the worker anonymises', async () => {
    const t = await setup();
    try {
      const ticket = await t.resolvedTicket(43);
      await t.tickets.changeStatus(ticket.number, 'closed', t.operator);
      await t.runFor(HOUR);
      const closing = (await t.read(ticket.ticketId)).statusChanges.at(-1)!;
      const jobId = anonymisationJobId(ticket.ticketId, closing.seq);

      // Days pass with the rescue running: nothing sent for the parked job, no hops.
      for (let day = 0; day < 3; day++) {
        t.clock.advance(DAY);
        await t.deferred.rescueStalledJobs(20 * MINUTE);
        await t.drain();
      }
      expect(await t.job(jobId)).toMatchObject({ status: 'pending', hop: 0 });

      // The sweep did not run (a failing timer): 35 minutes past due the rescue sends its hop.
      t.clock.set(closing.changedAt + RETENTION_DAYS * DAY + 40 * MINUTE);
      expect(await t.deferred.rescueStalledJobs(20 * MINUTE)).toBeGreaterThanOrEqual(1);
      await t.drain();
      expect(await t.job(jobId)).toMatchObject({ status: 'done' });
      const after = await t.read(ticket.ticketId);
      expect(after.ticket?.details.contact).toBeUndefined();
      expect(after.ticket?.details.anonymisedAt).toBe(t.clock.now());
      expect(after.messages.every((m) => m.text === '' && m.attachments.length === 0)).toBe(true);
    } finally {
      await t.close();
    }
  });

  it('does not anonymise a ticket reopened before it closed, nor one whose closing is not the job’s', async () => {
    const t = await setup();
    try {
      const ticket = await t.resolvedTicket(44);
      // The user writes back within the reopen window: the ticket is open again, never closed.
      t.clock.advance(HOUR);
      await t.tickets.addUserMessage(44, ticket.number, { text: 'Снова не работает', attachments: [] });
      t.clock.advance(RETENTION_DAYS * DAY + DAY);
      expect(await t.sweep()).toEqual({ anonymised: 0, taken: 0 });
      expect((await t.read(ticket.ticketId)).ticket?.details.contact).toEqual({ email: 'anna@example.ru' });

      // A job for a closing that is no longer the ticket's latest status change finds nothing to do.
      const outcome = await t.store.transaction((repositories) =>
        anonymiseClosedTicket(
          repositories,
          { payload: { ticketId: ticket.ticketId, closingSeq: 1 } },
          t.clock.now(),
        ),
      );
      expect(outcome).toBe('not_closed');
      expect((await t.read(ticket.ticketId)).messages[0]?.text).toBe(SECRET);
    } finally {
      await t.close();
    }
  });

  it('parks the anonymisation of tickets closed before closing parked one (db:backfill-retention), once', async () => {
    const t = await setup();
    try {
      // A ticket closed by an older version: its rows, and no job.
      const closedAt = t.clock.now() - 10 * DAY;
      await t.store.transaction(async (repositories) => {
        await repositories.tickets.create({
          ticketId: 'old-ticket',
          number: 'B-0999',
          userId: 46,
          channel: 'chat',
          category: 'bug',
          subject: 'Старое',
          status: 'closed',
          assigneeId: null,
          details: { contact: '+79001234567' },
          createdAt: closedAt - DAY,
          updatedAt: closedAt,
        });
        await repositories.tickets.addMessage({
          ticketId: 'old-ticket',
          seq: 1,
          author: 'user',
          authorId: 46,
          text: SECRET,
          attachments: [],
          internal: false,
          createdAt: closedAt - DAY,
        });
        await repositories.tickets.addStatusChange({
          ticketId: 'old-ticket',
          seq: 1,
          from: null,
          to: 'new',
          changedBy: 'user',
          changedAt: closedAt - DAY,
        });
        await repositories.tickets.addStatusChange({
          ticketId: 'old-ticket',
          seq: 2,
          from: 'new',
          to: 'closed',
          changedBy: 'operator:7',
          changedAt: closedAt,
        });
      });
      const backfill = () =>
        parkMissingAnonymisations(t.store, { retentionMs: RETENTION_DAYS * DAY, batch: 1 });
      expect(await backfill()).toEqual({ seen: 1, parked: 1 });
      expect(await backfill()).toEqual({ seen: 1, parked: 0 });
      expect(await t.job(anonymisationJobId('old-ticket', 2))).toMatchObject({
        status: 'pending',
        hop: 0,
        dueAt: closedAt + RETENTION_DAYS * DAY,
      });
      t.clock.set(closedAt + RETENTION_DAYS * DAY);
      expect((await t.sweep()).anonymised).toBe(1);
      expect((await t.read('old-ticket')).messages[0]?.text).toBe('');
    } finally {
      await t.close();
    }
  });

  it('leaves the anonymised texts nowhere in the SQLite file or its write-ahead log', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'retention-'));
    const filename = join(directory, 'support.sqlite');
    const t = await setup({ filename });
    try {
      const ticket = await t.resolvedTicket(45);
      await t.tickets.changeStatus(ticket.number, 'closed', t.operator);
      await t.runFor(HOUR);
      t.clock.advance(RETENTION_DAYS * DAY);
      expect((await t.sweep()).anonymised).toBe(1);
      const bytes = (path: string) => (existsSync(path) ? readFileSync(path) : Buffer.alloc(0));
      for (const path of [filename, `${filename}-wal`]) {
        const content = bytes(path);
        expect(content.includes(Buffer.from('4510-123456'))).toBe(false);
        expect(content.includes(Buffer.from('anna@example.ru'))).toBe(false);
      }
    } finally {
      await t.close();
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
