import { HOUR, ManualClock, MINUTE } from '../../lib/clock';
import { loadConfig } from '../../lib/config/schema';
import { createLogger } from '../../lib/log/logger';
import type { Repositories, Store } from '../../lib/storage/port';
import { SqliteStore } from '../../lib/storage/sqlite/store';
import { ticketServiceSettings } from '../../lib/tickets/compose';
import { TicketError } from '../../lib/tickets/errors';
import { type NewTicket, TicketService } from '../../lib/tickets/service';

/**
 * One hourly ticket limit for every path that files a ticket (the mini app's form, the bot's intake
 * and handover, a message on a closed ticket), held atomically by the real SQLite store.
 */

const LIMIT = 5;

function setup(serviceStore?: (store: SqliteStore) => Store) {
  const clock = new ManualClock(Date.parse('2026-11-24T10:00:00+03:00'));
  const store = new SqliteStore(':memory:');
  const config = loadConfig({ TICKETS_PER_HOUR: String(LIMIT) }, ['support', 'csat', 'runtime']);
  const tickets = new TicketService({
    store: serviceStore ? serviceStore(store) : store,
    clock,
    logger: createLogger({ level: 'error' }),
    settings: ticketServiceSettings(config),
    dispatchJobs: async () => {},
  });
  return { clock, store, tickets };
}

let nextUser = 7_000_000;
const freshUser = () => ++nextUser;

const form = (userId: number, overrides: Partial<NewTicket> = {}): NewTicket => ({
  userId,
  channel: 'app',
  category: 'bug',
  subject: 'Не открывается профиль',
  description: 'Белый экран после обновления',
  attachments: [],
  details: {},
  ...overrides,
});

/** How many of the settled calls were fulfilled, and the codes of those refused. */
function tally(results: PromiseSettledResult<unknown>[]) {
  const refused = results.filter((result) => result.status === 'rejected').map((result) => result.reason);
  return {
    created: results.filter((result) => result.status === 'fulfilled').length,
    refusedCodes: refused.map((error) => (error instanceof TicketError ? error.code : String(error))),
    retryAfter: refused.map((error) => (error instanceof TicketError ? error.retryAfterSeconds : undefined)),
  };
}

const ticketCount = (store: SqliteStore, userId: number) =>
  store.read(async (r) => (await r.tickets.listByUser(userId, { limit: 100 })).tickets.length);

/** A ticket of the user, closed: a message on it files a linked ticket. */
async function closedTicket(setupResult: ReturnType<typeof setup>, userId: number): Promise<string> {
  const { store, clock, tickets } = setupResult;
  const { ticket } = await tickets.create(form(userId));
  await store.transaction((r) => r.tickets.update({ ...ticket, status: 'closed', updatedAt: clock.now() }));
  return ticket.number;
}

/**
 * `count` closed tickets of the user, filed in earlier hours (the limit lets 5 an hour through), the
 * clock then an hour on: the user's budget is whole again. A message on each files a linked ticket.
 */
async function closedTickets(setupResult: ReturnType<typeof setup>, userId: number, count: number) {
  const numbers: string[] = [];
  for (let index = 0; index < count; index++) {
    if (index > 0 && index % LIMIT === 0) setupResult.clock.advance(HOUR + MINUTE);
    numbers.push(await closedTicket(setupResult, userId));
  }
  setupResult.clock.advance(HOUR + MINUTE);
  return numbers;
}

describe('the hourly ticket limit', () => {
  it('lets 5 of 20 concurrent filings through and refuses 15 with too_many_tickets', async () => {
    const { store, tickets } = setup();
    const userId = freshUser();
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => tickets.create(form(userId))));
    const { created, refusedCodes, retryAfter } = tally(results);
    expect(created).toBe(LIMIT);
    expect(refusedCodes).toEqual(Array(15).fill('too_many_tickets'));
    expect(retryAfter.every((seconds) => seconds === HOUR / 1000)).toBe(true);
    expect(await ticketCount(store, userId)).toBe(LIMIT);
    await store.close();
  });

  it('holds under concurrency whatever the path: the form, a caller’s transaction (the bot), a linked ticket', async () => {
    const setupResult = setup();
    const { store, tickets } = setupResult;
    const userId = freshUser();
    const closed = await closedTickets(setupResult, userId, 7);
    const attempts = Array.from({ length: 21 }, (_, i) => {
      if (i % 3 === 0) return tickets.create(form(userId));
      if (i % 3 === 1)
        return store.transaction((repositories) =>
          tickets.create(form(userId, { channel: 'chat' }), { repositories, outbox: { jobs: [] } }),
        );
      const number = closed[(i - 2) / 3] ?? '';
      return tickets.addUserMessage(userId, number, { text: 'Снова не работает', attachments: [] });
    });
    const { created, refusedCodes } = tally(await Promise.allSettled(attempts));
    expect(created).toBe(LIMIT);
    expect(refusedCodes).toEqual(Array(21 - LIMIT).fill('too_many_tickets'));
    expect(await ticketCount(store, userId)).toBe(7 + LIMIT);
    await store.close();
  });

  it('counts a linked ticket toward the limit and refuses one over it, creating nothing', async () => {
    const setupResult = setup();
    const { store, clock, tickets } = setupResult;
    const userId = freshUser();
    const closed = await closedTicket(setupResult, userId);
    const other = await closedTicket(setupResult, userId);
    clock.advance(10 * MINUTE);
    const linked = await tickets.addUserMessage(userId, closed, { text: 'Опять', attachments: [] });
    expect(linked.linkedFrom).toBe(closed);
    for (let i = 0; i < LIMIT - 3; i++) await tickets.create(form(userId));

    // At 5 of 5: the form is refused, and so is a message starting a linked ticket; more words to
    // the first closed ticket join the follow-up they started, spending nothing.
    await expect(tickets.create(form(userId))).rejects.toMatchObject({ code: 'too_many_tickets' });
    const refused = await tickets
      .addUserMessage(userId, other, { text: 'Ну ответьте же', attachments: [] })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(TicketError);
    expect(refused).toMatchObject({ code: 'too_many_tickets', retryAfterSeconds: 50 * 60 });
    const joined = await tickets.addUserMessage(userId, closed, { text: 'Ну ответьте же', attachments: [] });
    expect([joined.ticket.number, joined.linkedFrom]).toEqual([linked.ticket.number, null]);
    expect(await ticketCount(store, userId)).toBe(LIMIT);

    // The first two tickets leave the window after an hour: two more go through, by either path.
    clock.advance(50 * MINUTE);
    const again = await tickets.addUserMessage(userId, other, { text: 'Ну ответьте же', attachments: [] });
    expect(again.linkedFrom).toBe(other);
    await tickets.create(form(userId));
    await expect(tickets.create(form(userId))).rejects.toMatchObject({
      code: 'too_many_tickets',
      retryAfterSeconds: 10 * 60,
    });
    await store.close();
  });

  it('refuses 15 of 20 concurrent messages on 20 closed tickets', async () => {
    const setupResult = setup();
    const { store, tickets } = setupResult;
    const userId = freshUser();
    const closed = await closedTickets(setupResult, userId, 20);
    const results = await Promise.allSettled(
      closed.map((number) => tickets.addUserMessage(userId, number, { text: '?', attachments: [] })),
    );
    const { created, refusedCodes } = tally(results);
    expect(created).toBe(LIMIT);
    expect(refusedCodes).toEqual(Array(20 - LIMIT).fill('too_many_tickets'));
    expect(await ticketCount(store, userId)).toBe(20 + LIMIT);
    await store.close();
  });

  it('starts one follow-up for 20 concurrent messages on one closed ticket: the rest join it', async () => {
    const setupResult = setup();
    const { store, tickets } = setupResult;
    const userId = freshUser();
    const closed = await closedTicket(setupResult, userId);
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        tickets.addUserMessage(userId, closed, { text: '?', attachments: [] }),
      ),
    );
    expect(new Set(results.map((result) => result.ticket.number)).size).toBe(1);
    expect(results.filter((result) => result.linkedFrom === closed)).toHaveLength(1);
    expect(await ticketCount(store, userId)).toBe(2);
    await store.close();
  });

  it('gives the budget back when the filing transaction rolls back', async () => {
    const { store, tickets } = setup();
    const userId = freshUser();
    const rolledBack = Array.from({ length: LIMIT }, () =>
      store.transaction(async (repositories) => {
        await tickets.create(form(userId), { repositories, outbox: { jobs: [] } });
        throw new Error('the caller fails after filing');
      }),
    );
    expect(tally(await Promise.allSettled(rolledBack)).created).toBe(0);
    expect(await ticketCount(store, userId)).toBe(0);
    for (let i = 0; i < LIMIT; i++) await tickets.create(form(userId));
    await expect(tickets.create(form(userId))).rejects.toMatchObject({ code: 'too_many_tickets' });
    await store.close();
  });

  it('writes nothing when it refuses, so a caller’s transaction that catches the refusal commits the rest', async () => {
    const { store, tickets } = setup();
    const userId = freshUser();
    for (let i = 0; i < LIMIT; i++) await tickets.create(form(userId));
    const answer = await store.transaction(async (repositories) => {
      await repositories.dialogs.put({
        peerId: userId,
        userId,
        state: 'idle',
        data: {},
        operatorSilentUntil: null,
        updatedAt: 0,
      });
      return tickets
        .create(form(userId, { channel: 'chat' }), { repositories, outbox: { jobs: [] } })
        .then(() => 'created')
        .catch((error: unknown) => (error instanceof TicketError ? error.code : 'other'));
    });
    expect(answer).toBe('too_many_tickets');
    expect(await store.read((r) => r.dialogs.get(userId))).toMatchObject({ state: 'idle' });
    expect(await ticketCount(store, userId)).toBe(LIMIT);
    await store.close();
  });

  it('limits each user apart, and a replayed Idempotency-Key spends nothing', async () => {
    const { tickets, store } = setup();
    const [first, second] = [freshUser(), freshUser()];
    const idempotency = { key: 'k-1', requestHash: 'h' };
    await tickets.create(form(first, { idempotency }));
    for (let i = 0; i < LIMIT + 2; i++) {
      const replay = await tickets.create(form(first, { idempotency }));
      expect(replay.replayed).toBe(true);
    }
    for (let i = 0; i < LIMIT - 1; i++) await tickets.create(form(first));
    await expect(tickets.create(form(first))).rejects.toMatchObject({ code: 'too_many_tickets' });
    await expect(tickets.create(form(second))).resolves.toMatchObject({ replayed: false });
    await store.close();
  });

  it('decides again when a transaction is re-run after a conflict (YDB aborts the later of two)', async () => {
    // As YDB does: the first attempt runs and is aborted because another filing committed first;
    // the store then runs the whole work again, which must see that filing.
    let conflict: (() => Promise<void>) | null = null;
    const aborted = new Error('ABORTED: transaction locks invalidated');
    const { store, tickets } = setup((sqlite) => ({
      read: (work) => sqlite.read(work),
      ping: () => sqlite.ping(),
      close: () => sqlite.close(),
      async transaction<T>(work: (repositories: Repositories) => Promise<T>) {
        const meanwhile = conflict;
        conflict = null;
        if (meanwhile) {
          await sqlite
            .transaction(async (repositories) => {
              await work(repositories);
              throw aborted;
            })
            .catch((error: unknown) => {
              if (error !== aborted) throw error;
            });
          await meanwhile();
        }
        return sqlite.transaction(work);
      },
    }));
    const userId = freshUser();
    for (let i = 0; i < LIMIT - 1; i++) await tickets.create(form(userId));
    // The first attempt sees 4 of 5 and takes the 5th; the other filing commits the 5th first.
    conflict = async () => {
      await tickets.create(form(userId, { channel: 'chat' }));
    };
    await expect(tickets.create(form(userId))).rejects.toMatchObject({ code: 'too_many_tickets' });
    expect(await ticketCount(store, userId)).toBe(LIMIT);
    await store.close();
  });
});
