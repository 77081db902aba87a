import { randomUUID } from 'node:crypto';
import type { Store, TicketRecord } from '../../lib/storage/port';
import { DEFAULT_SHIFT_MS } from '../../lib/tickets/routing';
import { startShift, takeTurn } from '../../lib/tickets/shifts';
import { contractFixtures } from './contract-fixtures';

/**
 * The storage port's contract for what the desk and re-engagement added on top of the core tables:
 * the ticket search index, journey runs, operator shifts, broadcasts and message subscriptions. Run
 * against every adapter beside `describeStoreContract` (test/storage/contract.ts).
 */
export function describeEngagementContract(adapterName: string, openStore: () => Promise<Store>): void {
  describe(`storage contract (search, journeys, shifts, broadcasts): ${adapterName}`, () => {
    let store: Store;
    const { run, freshId, t0, user, ticket } = contractFixtures();

    beforeAll(async () => {
      store = await openStore();
    });
    afterAll(async () => {
      await store.close();
    });

    describe('ticket search', () => {
      const entry = (term: string, found: TicketRecord) => ({
        term,
        createdAt: found.createdAt,
        ticketId: found.ticketId,
      });

      it("lists a term's tickets newest first with a cursor, and no other term's", async () => {
        const term = `contact:${run}-${freshId()}@example.com`;
        const other = `${term}.org`;
        const tickets = [0, 1, 2].map((minute) => ticket({ createdAt: t0 + minute * 60_000 }));
        const elsewhere = ticket({ createdAt: t0 + 5 * 60_000 });
        await store.transaction(async (r) => {
          for (const created of [...tickets, elsewhere]) await r.tickets.create(created);
          await r.ticketSearch.add(tickets.map((created) => entry(term, created)));
          await r.ticketSearch.add([entry(other, elsewhere)]);
        });
        const first = await store.read((r) => r.ticketSearch.listTickets(term, { limit: 2 }));
        expect(first.tickets).toEqual([tickets[2], tickets[1]]);
        expect(first.nextCursor).toEqual({
          createdAt: tickets[1]!.createdAt,
          ticketId: tickets[1]!.ticketId,
        });
        const second = await store.read((r) =>
          r.ticketSearch.listTickets(term, { limit: 2, before: first.nextCursor! }),
        );
        expect(second).toEqual({ tickets: [tickets[0]], nextCursor: null });
        expect(await store.read((r) => r.ticketSearch.listTickets(`${term}x`, { limit: 2 }))).toEqual({
          tickets: [],
          nextCursor: null,
        });
      });

      it("adds an entry once, lists a ticket's entries and removes them by key", async () => {
        const found = ticket();
        const terms = [`name:${run}а`, `name:${run}ан`, `contact:+7900${freshId()}`];
        await store.transaction(async (r) => {
          await r.tickets.create(found);
          await r.ticketSearch.add(terms.map((term) => entry(term, found)));
          await r.ticketSearch.add([entry(terms[0]!, found)]); // again: kept once
        });
        const listed = await store.read((r) => r.ticketSearch.listByTicket(found.ticketId));
        expect(listed).toEqual([...terms].sort().map((term) => entry(term, found)));
        expect(
          (await store.read((r) => r.ticketSearch.listTickets(terms[0]!, { limit: 5 }))).tickets,
        ).toEqual([found]);

        await store.transaction((r) => r.ticketSearch.remove(listed.slice(0, 2)));
        expect(await store.read((r) => r.ticketSearch.listByTicket(found.ticketId))).toEqual(listed.slice(2));
        await store.transaction(async (r) => {
          await r.ticketSearch.remove(listed); // absent ones are ignored
          await r.ticketSearch.add([]);
          await r.ticketSearch.remove([]);
        });
        expect(await store.read((r) => r.ticketSearch.listByTicket(found.ticketId))).toEqual([]);
      });
    });

    describe('journey runs', () => {
      const journeyRun = (userId: number, runId: string, startedAt: number, status: 'active' | 'exited') => ({
        userId,
        journey: 'quiz-dropout',
        runId,
        startedAt,
        variant: 'a',
        goalAt: null as number | null,
        step: 0,
        status,
        nextAt: status === 'active' ? startedAt + 3_600_000 : null,
        outcomes:
          status === 'exited'
            ? [
                {
                  step: 0,
                  outcome: 'exited' as const,
                  channel: null,
                  detail: 'quiz_finish',
                  at: startedAt + 5,
                },
              ]
            : [],
        sending: null,
        updatedAt: startedAt,
      });

      it("finds a run by its trigger, a user's active one, and a journey's runs by start time, page by page", async () => {
        const user = 900_000 + Math.floor(Math.random() * 100_000);
        const journey = `j-${randomUUID().slice(0, 8)}`;
        const of = <T extends object>(run: T) => ({ ...run, journey });
        await store.transaction(async (r) => {
          await r.journeys.put(of(journeyRun(user, 'e-1', t0, 'exited')));
          await r.journeys.put(of(journeyRun(user, 'e-2', t0 + 10, 'active')));
          await r.journeys.put(of(journeyRun(user + 1, 'e-3', t0 + 10, 'active')));
          await r.journeys.put({ ...journeyRun(user, 'e-4', t0 + 20, 'active'), journey: `${journey}-x` });
        });
        expect(await store.read((r) => r.journeys.get(user, journey, 'e-1'))).toEqual(
          of(journeyRun(user, 'e-1', t0, 'exited')),
        );
        expect(await store.read((r) => r.journeys.get(user, journey, 'e-9'))).toBeNull();
        expect((await store.read((r) => r.journeys.findActive(user, journey)))?.runId).toBe('e-2');
        expect(await store.read((r) => r.journeys.findActive(user + 2, journey))).toBeNull();

        const sending = {
          step: 0,
          channel: 'message' as const,
          key: 'k',
          text: 'Привет',
          slot: null,
          claimedAt: t0 + 11,
        };
        await store.transaction((r) =>
          r.journeys.put({ ...of(journeyRun(user, 'e-2', t0 + 10, 'active')), sending }),
        );
        expect((await store.read((r) => r.journeys.get(user, journey, 'e-2')))?.sending).toEqual(sending);

        const range = { since: t0, until: t0 + 11, limit: 2 };
        const first = await store.read((r) => r.journeys.listByJourney(journey, range));
        expect(first.map((run) => [run.userId, run.runId])).toEqual([
          [user, 'e-1'],
          [user, 'e-2'],
        ]);
        const last = first[1]!;
        const next = await store.read((r) =>
          r.journeys.listByJourney(journey, {
            ...range,
            after: { startedAt: last.startedAt, userId: last.userId, runId: last.runId },
          }),
        );
        expect(next.map((run) => [run.userId, run.runId])).toEqual([[user + 1, 'e-3']]);

        await store.transaction((r) => r.journeys.deleteByUser(user));
        expect(await store.read((r) => r.journeys.get(user, journey, 'e-1'))).toBeNull();
        expect(await store.read((r) => r.journeys.get(user + 1, journey, 'e-3'))).not.toBeNull();
      });

      it("keeps a run's variant and goal, and lists a user's runs of a journey from a start on", async () => {
        const user = 900_000 + Math.floor(Math.random() * 100_000);
        const journey = `j-${randomUUID().slice(0, 8)}`;
        await store.transaction(async (r) => {
          await r.journeys.put({ ...journeyRun(user, 'e-1', t0, 'exited'), journey, variant: 'control' });
          await r.journeys.put({ ...journeyRun(user, 'e-2', t0 + 10, 'exited'), journey, goalAt: t0 + 15 });
          await r.journeys.put({ ...journeyRun(user, 'e-3', t0 + 20, 'active'), journey });
          await r.journeys.put({ ...journeyRun(user, 'e-4', t0 + 20, 'active'), journey: `${journey}-x` });
        });
        const got = await store.read((r) => r.journeys.get(user, journey, 'e-2'));
        expect(got).toMatchObject({ variant: 'a', goalAt: t0 + 15 });
        expect((await store.read((r) => r.journeys.get(user, journey, 'e-1')))?.variant).toBe('control');
        const since = await store.read((r) =>
          r.journeys.listByUser(user, journey, { since: t0 + 10, limit: 10 }),
        );
        expect(since.map((run) => run.runId)).toEqual(['e-2', 'e-3']);
        const all = await store.read((r) => r.journeys.listByUser(user, journey, { since: 0, limit: 10 }));
        expect(all.map((run) => run.runId)).toEqual(['e-1', 'e-2', 'e-3']);
      });
    });

    describe('operator shifts', () => {
      it("keeps each chat's operators on shift apart, by operator id, and forgets one who left", async () => {
        const chat = freshId();
        const other = freshId();
        const shift = (chatPeerId: number, operatorId: number, name: string | null) => ({
          chatPeerId,
          operatorId,
          name,
          onSince: t0,
          lastAssignedAt: null,
        });
        await store.transaction(async (r) => {
          await r.shifts.put(shift(chat, 30, 'Ира'));
          await r.shifts.put(shift(chat, 10, null));
          await r.shifts.put(shift(other, 20, 'Олег'));
        });
        expect(await store.read((r) => r.shifts.listByChat(chat, 10))).toEqual([
          shift(chat, 10, null),
          shift(chat, 30, 'Ира'),
        ]);
        expect(await store.read((r) => r.shifts.listByChat(chat, 1))).toHaveLength(1);
        expect(await store.read((r) => r.shifts.get(other, 20))).toEqual(shift(other, 20, 'Олег'));

        await store.transaction((r) => r.shifts.put({ ...shift(chat, 30, 'Ира'), lastAssignedAt: t0 + 5 }));
        expect((await store.read((r) => r.shifts.get(chat, 30)))?.lastAssignedAt).toBe(t0 + 5);
        await store.transaction((r) => r.shifts.delete(chat, 10));
        expect(await store.read((r) => r.shifts.get(chat, 10))).toBeNull();
        expect((await store.read((r) => r.shifts.listByChat(chat, 10))).map((s) => s.operatorId)).toEqual([
          30,
        ]);
      });

      it('gives tickets filed at once to different operators on shift: the rotation reads and writes in one transaction', async () => {
        const chat = freshId();
        await store.transaction(async (r) => {
          for (const operatorId of [1, 2, 3, 4])
            await startShift(r, { chatPeerId: chat, operatorId, name: null }, t0, DEFAULT_SHIFT_MS);
        });
        const picks = await Promise.all(
          Array.from({ length: 4 }, () =>
            store.transaction((r) => takeTurn(r, chat, t0 + 1, DEFAULT_SHIFT_MS)),
          ),
        );
        expect(picks.map((pick) => pick?.operatorId).sort()).toEqual([1, 2, 3, 4]);
      });
    });

    describe('broadcasts and message subscriptions', () => {
      it('creates a broadcast once, reads it back and keeps its updated counts', async () => {
        const broadcast = {
          broadcastId: `b-${run}-${freshId()}`,
          text: 'Оплата временно не работает',
          audience: { segment: { event: 'app_open', daysAgo: [0, 7] } },
          channel: 'auto' as const,
          status: 'sending' as const,
          counts: {},
          createdBy: 'operator:1',
          createdAt: t0,
          updatedAt: t0,
        };
        expect(await store.transaction((r) => r.broadcasts.create(broadcast))).toBe(true);
        expect(await store.transaction((r) => r.broadcasts.create({ ...broadcast, text: 'другой' }))).toBe(
          false,
        );
        expect(await store.read((r) => r.broadcasts.get(broadcast.broadcastId))).toEqual(broadcast);
        const done = {
          ...broadcast,
          status: 'done' as const,
          counts: { sent: 2, not_allowed: 1 },
          updatedAt: t0 + 1,
        };
        await store.transaction((r) => r.broadcasts.update(done));
        expect(await store.read((r) => r.broadcasts.get(broadcast.broadcastId))).toEqual(done);
        expect(await store.read((r) => r.broadcasts.get(`absent-${run}`))).toBeNull();
      });

      it("lists a key's subscribers by user id page by page, and forgets all of one user's keys", async () => {
        const key = `promo-${run}-${freshId()}`;
        const other = `news-${run}-${freshId()}`;
        const [a, b, c] = [freshId(), freshId(), freshId()];
        await store.transaction(async (r) => {
          for (const userId of [c, a, b]) await r.messageSubscriptions.put({ key, userId, at: t0 });
          await r.messageSubscriptions.put({ key: other, userId: a, at: t0 });
        });
        const first = await store.read((r) =>
          r.messageSubscriptions.listByKey(key, { afterUserId: 0, limit: 2 }),
        );
        expect(first).toEqual([
          { key, userId: a, at: t0 },
          { key, userId: b, at: t0 },
        ]);
        const rest = await store.read((r) =>
          r.messageSubscriptions.listByKey(key, { afterUserId: b, limit: 2 }),
        );
        expect(rest.map((row) => row.userId)).toEqual([c]);
        await store.transaction((r) => r.messageSubscriptions.deleteByUser(a));
        expect(
          (await store.read((r) => r.messageSubscriptions.listByKey(key, { afterUserId: 0, limit: 10 }))).map(
            (row) => row.userId,
          ),
        ).toEqual([b, c]);
        expect(
          await store.read((r) => r.messageSubscriptions.listByKey(other, { afterUserId: 0, limit: 10 })),
        ).toEqual([]);
      });

      it('pages through every user by id, whatever their consent', async () => {
        const [a, b] = [user({ messagesAllowed: true }), user({ notificationsAllowed: false })];
        await store.transaction(async (r) => {
          await r.users.put(a);
          await r.users.put(b);
        });
        const page = await store.read((r) => r.users.listPage({ afterUserId: a.userId - 1, limit: 2 }));
        expect(page.map((found) => found.userId)).toEqual([a.userId, b.userId]);
      });
    });
  });
}
