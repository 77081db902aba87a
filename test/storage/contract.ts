import { randomUUID } from 'node:crypto';
import type { AuditPosition, DeferredJobRecord, Store } from '../../lib/storage/port';
import { contractFixtures } from './contract-fixtures';

/**
 * The storage port's contract, run against every adapter: SQLite always, YDB when
 * YDB_CONNECTION_STRING is set. Ids are unique per run so the suite can run against a shared
 * database that already holds data.
 */
export function describeStoreContract(adapterName: string, openStore: () => Promise<Store>): void {
  describe(`storage contract: ${adapterName}`, () => {
    let store: Store;
    beforeAll(async () => {
      store = await openStore();
    });
    afterAll(async () => {
      await store.close();
    });

    const { run, freshId, t0, user, ticket } = contractFixtures();

    describe('users', () => {
      it('stores, reads back and replaces a user', async () => {
        const original = user({
          quietHours: { from: '22:00', to: '09:00' },
          timezone: 'Asia/Vladivostok',
          messagesAllowed: true,
        });
        await store.transaction((r) => r.users.put(original));
        expect(await store.read((r) => r.users.get(original.userId))).toEqual(original);

        const changed = { ...original, language: 'en' as const, messagesAllowed: false, updatedAt: t0 + 1 };
        await store.transaction((r) => r.users.put(changed));
        expect(await store.read((r) => r.users.get(original.userId))).toEqual(changed);
      });

      it('answers null for an unknown user and forgets a deleted one', async () => {
        const someone = user();
        expect(await store.read((r) => r.users.get(someone.userId))).toBeNull();
        await store.transaction((r) => r.users.put(someone));
        await store.transaction((r) => r.users.delete(someone.userId));
        expect(await store.read((r) => r.users.get(someone.userId))).toBeNull();
      });

      it('pages through notifiable users by id, skipping those without consent', async () => {
        const first = user({ notificationsAllowed: true });
        const off = user({ notificationsAllowed: false });
        const second = user({ notificationsAllowed: true });
        const third = user({ notificationsAllowed: true });
        await store.transaction(async (r) => {
          for (const u of [first, off, second, third]) await r.users.put(u);
        });
        const pageOne = await store.read((r) =>
          r.users.listNotifiable({ afterUserId: first.userId - 1, limit: 2 }),
        );
        expect(pageOne.map((u) => u.userId)).toEqual([first.userId, second.userId]);
        const pageTwo = await store.read((r) =>
          r.users.listNotifiable({ afterUserId: second.userId, limit: 2 }),
        );
        expect(pageTwo[0]?.userId).toBe(third.userId);
        expect(pageTwo.every((u) => u.notificationsAllowed)).toBe(true);
      });
    });

    describe('dialogs', () => {
      it('keeps a dialog per peer with its state and data, and deletes it', async () => {
        const peerId = freshId();
        const dialog = {
          peerId,
          userId: peerId,
          state: 'describing',
          data: { category: 'bug', photos: ['photo1_2_abc'] },
          operatorSilentUntil: t0 + 30 * 60_000,
          updatedAt: t0,
        };
        await store.transaction((r) => r.dialogs.put(dialog));
        expect(await store.read((r) => r.dialogs.get(peerId))).toEqual(dialog);
        await store.transaction((r) =>
          r.dialogs.put({ ...dialog, state: 'idle', data: {}, operatorSilentUntil: null }),
        );
        expect(await store.read((r) => r.dialogs.get(peerId))).toMatchObject({
          state: 'idle',
          operatorSilentUntil: null,
        });
        await store.transaction((r) => r.dialogs.delete(peerId));
        expect(await store.read((r) => r.dialogs.get(peerId))).toBeNull();
      });
    });

    describe('tickets', () => {
      it('lists the tickets of a range of users updated since a time, by user', async () => {
        const [first, second, outside] = [freshId(), freshId(), freshId()];
        const recent = ticket({ userId: second, status: 'resolved', updatedAt: t0 + 5000 });
        const older = ticket({ userId: first, updatedAt: t0 + 1000, createdAt: t0 - 1000 });
        const newer = ticket({ userId: first, updatedAt: t0 + 2000 });
        const stale = ticket({ userId: first, updatedAt: t0 - 1 });
        await store.transaction(async (r) => {
          for (const t of [recent, older, newer, stale, ticket({ userId: outside })])
            await r.tickets.create(t);
        });
        const found = await store.read((r) =>
          r.tickets.listForUsers({ fromUserId: first, toUserId: second, updatedSince: t0 }),
        );
        expect(found.map((t) => t.ticketId)).toEqual([older.ticketId, newer.ticketId, recent.ticketId]);
      });

      it('creates a ticket once, readable by id and by number', async () => {
        const created = ticket();
        expect(await store.transaction((r) => r.tickets.create(created))).toBe(true);
        expect(await store.transaction((r) => r.tickets.create(created))).toBe(false);
        expect(
          await store.transaction((r) => r.tickets.create({ ...ticket(), number: created.number })),
        ).toBe(false);
        expect(await store.read((r) => r.tickets.get(created.ticketId))).toEqual(created);
        expect(await store.read((r) => r.tickets.getByNumber(created.number))).toEqual(created);
        expect(await store.read((r) => r.tickets.getByNumber(`${created.number}-none`))).toBeNull();
      });

      it('updates status, assignee and details', async () => {
        const created = ticket();
        await store.transaction((r) => r.tickets.create(created));
        const updated = {
          ...created,
          status: 'in_progress' as const,
          assigneeId: 77,
          details: { sla: 'ok' },
          updatedAt: t0 + 5,
        };
        await store.transaction((r) => r.tickets.update(updated));
        expect(await store.read((r) => r.tickets.get(created.ticketId))).toEqual(updated);
      });

      it("lists a user's tickets newest first with a cursor, and no one else's", async () => {
        const owner = freshId();
        const mine = [0, 1, 2, 3, 4].map((i) => ticket({ userId: owner, createdAt: t0 + i * 1000 }));
        const sameTime = ticket({ userId: owner, createdAt: t0 + 4000 });
        await store.transaction(async (r) => {
          for (const t of [...mine, sameTime, ticket()]) await r.tickets.create(t);
        });
        const expectedOrder = [...mine, sameTime]
          .sort((a, b) => b.createdAt - a.createdAt || (a.ticketId < b.ticketId ? 1 : -1))
          .map((t) => t.ticketId);

        const seen: string[] = [];
        let cursor: { createdAt: number; ticketId: string } | undefined;
        for (let pages = 0; pages < 10; pages++) {
          const page = await store.read((r) =>
            r.tickets.listByUser(owner, { limit: 4, ...(cursor ? { before: cursor } : {}) }),
          );
          seen.push(...page.tickets.map((t) => t.ticketId));
          if (!page.nextCursor) break;
          cursor = page.nextCursor;
        }
        expect(seen).toEqual(expectedOrder);
      });

      it('lists one status newest first with a cursor, leaving other statuses out', async () => {
        // Far from other tests' times, so a shared database's rows stay out of the window looked at.
        const base = t0 + 400 * 86_400_000 + Math.floor(Math.random() * 1e6);
        const waiting = [0, 1, 2, 3, 4].map((i) =>
          ticket({ status: 'waiting_for_user', createdAt: base + i * 1000 }),
        );
        const other = ticket({ status: 'resolved', createdAt: base + 2500 });
        await store.transaction(async (r) => {
          for (const t of [...waiting, other]) await r.tickets.create(t);
        });
        const seen: string[] = [];
        let cursor: { createdAt: number; ticketId: string } | undefined = {
          createdAt: base + 5000,
          ticketId: '',
        };
        for (let pages = 0; pages < 10 && cursor; pages++) {
          const page = await store.read((r) =>
            r.tickets.listByStatus('waiting_for_user', { limit: 2, ...(cursor ? { before: cursor } : {}) }),
          );
          seen.push(...page.tickets.filter((t) => t.createdAt >= base).map((t) => t.ticketId));
          if (page.tickets.some((t) => t.createdAt < base)) break;
          cursor = page.nextCursor ?? undefined;
        }
        expect(seen).toEqual([...waiting].reverse().map((t) => t.ticketId));
      });

      it('pages through tickets created in a time window, oldest first', async () => {
        const base = t0 + 800 * 86_400_000 + Math.floor(Math.random() * 1e6);
        const inside = [0, 1, 2, 3, 4].map((i) => ticket({ createdAt: base + i * 1000 }));
        const before = ticket({ createdAt: base - 1 });
        const after = ticket({ createdAt: base + 5000 });
        await store.transaction(async (r) => {
          for (const t of [...inside, before, after]) await r.tickets.create(t);
        });
        const seen: string[] = [];
        let cursor: { createdAt: number; ticketId: string } | undefined;
        for (let pages = 0; pages < 10; pages++) {
          const page = await store.read((r) =>
            r.tickets.listCreatedBetween({
              since: base,
              until: base + 5000,
              limit: 2,
              ...(cursor ? { after: cursor } : {}),
            }),
          );
          seen.push(...page.map((t) => t.ticketId));
          const last = page[page.length - 1];
          if (!last || page.length < 2) break;
          cursor = { createdAt: last.createdAt, ticketId: last.ticketId };
        }
        expect(seen).toEqual(inside.map((t) => t.ticketId));
      });

      it('replaces a message in place (erasure blanks its text)', async () => {
        const created = ticket();
        const message = {
          ticketId: created.ticketId,
          seq: 1,
          author: 'user' as const,
          authorId: 7,
          text: 'мой телефон +7 900 000-00-00',
          attachments: ['photo1_2_abc'],
          internal: false,
          createdAt: t0,
        };
        await store.transaction(async (r) => {
          await r.tickets.create(created);
          await r.tickets.addMessage(message);
          await r.tickets.updateMessage({ ...message, text: '', attachments: [], authorId: null });
        });
        expect(await store.read((r) => r.tickets.listMessages(created.ticketId))).toEqual([
          { ...message, text: '', attachments: [], authorId: null },
        ]);
      });

      it('keeps the thread and the status history in order', async () => {
        const created = ticket();
        await store.transaction(async (r) => {
          await r.tickets.create(created);
          await r.tickets.addMessage({
            ticketId: created.ticketId,
            seq: 1,
            author: 'user',
            authorId: created.userId,
            text: 'Экран белый',
            attachments: ['photo1_2_abc'],
            internal: false,
            createdAt: t0,
          });
          await r.tickets.addMessage({
            ticketId: created.ticketId,
            seq: 2,
            author: 'operator',
            authorId: 5,
            text: 'Смотрим',
            attachments: [],
            internal: true,
            createdAt: t0 + 1,
          });
          await r.tickets.addStatusChange({
            ticketId: created.ticketId,
            seq: 1,
            from: null,
            to: 'new',
            changedBy: 'user:1',
            changedAt: t0,
          });
          await r.tickets.addStatusChange({
            ticketId: created.ticketId,
            seq: 2,
            from: 'new',
            to: 'in_progress',
            changedBy: 'operator:5',
            changedAt: t0 + 1,
          });
        });
        const messages = await store.read((r) => r.tickets.listMessages(created.ticketId));
        expect(messages.map((m) => [m.seq, m.author, m.text, m.attachments, m.internal])).toEqual([
          [1, 'user', 'Экран белый', ['photo1_2_abc'], false],
          [2, 'operator', 'Смотрим', [], true],
        ]);
        const history = await store.read((r) => r.tickets.listStatusChanges(created.ticketId));
        expect(history.map((h) => [h.from, h.to, h.changedBy])).toEqual([
          [null, 'new', 'user:1'],
          ['new', 'in_progress', 'operator:5'],
        ]);
      });

      it('rejects a second message with the same position in the thread, writing nothing', async () => {
        const created = ticket();
        const message = {
          ticketId: created.ticketId,
          seq: 1,
          author: 'user' as const,
          authorId: 1,
          text: 'a',
          attachments: [],
          internal: false,
          createdAt: t0,
        };
        await store.transaction(async (r) => {
          await r.tickets.create(created);
          await r.tickets.addMessage(message);
        });
        await expect(
          store.transaction(async (r) => {
            await r.tickets.update({ ...created, status: 'closed' });
            await r.tickets.addMessage({ ...message, text: 'b' });
          }),
        ).rejects.toThrow();
        expect((await store.read((r) => r.tickets.get(created.ticketId)))?.status).toBe('new');
        expect(
          (await store.read((r) => r.tickets.listMessages(created.ticketId))).map((m) => m.text),
        ).toEqual(['a']);
      });
    });

    describe('events', () => {
      it('appends events once per event id and lists a time window oldest first', async () => {
        const userId = freshId();
        const event = (i: number) => ({
          userId,
          eventId: `e${i}`,
          name: i % 2 ? 'quiz_start' : 'screen_view',
          occurredAt: t0 + i * 60_000,
          screen: i === 0 ? null : 'home',
          props: { step: i, ok: true, label: 'x' },
        });
        expect(await store.transaction((r) => r.events.append([event(0), event(1), event(2)]))).toBe(3);
        expect(await store.transaction((r) => r.events.append([event(2), event(3)]))).toBe(1);
        const window = await store.read((r) =>
          r.events.listByUser(userId, { since: t0 + 60_000, until: t0 + 3 * 60_000, limit: 10 }),
        );
        expect(window).toEqual([event(1), event(2)]);
        const limited = await store.read((r) =>
          r.events.listByUser(userId, { since: 0, until: t0 * 2, limit: 2 }),
        );
        expect(limited.map((e) => e.eventId)).toEqual(['e0', 'e1']);
        await store.transaction((r) => r.events.deleteByUser(userId));
        expect(
          await store.read((r) => r.events.listByUser(userId, { since: 0, until: t0 * 2, limit: 10 })),
        ).toEqual([]);
      });

      it('lists the events of a range of users in a time window, by user then time', async () => {
        const [first, second, outside] = [freshId(), freshId(), freshId()];
        const event = (userId: number, minute: number) => ({
          userId,
          eventId: `${userId}-${minute}`,
          name: 'quiz_start',
          occurredAt: t0 + minute * 60_000,
          screen: null,
          props: {},
        });
        await store.transaction((r) =>
          r.events.append([
            event(second, 1),
            event(first, 3),
            event(first, 2),
            event(outside, 2),
            event(first, 9),
          ]),
        );
        const range = { fromUserId: first, toUserId: second, since: t0, until: t0 + 5 * 60_000 };
        const found = await store.read((r) => r.events.listForUsers({ ...range, limit: 100 }));
        expect(found.map((e) => e.eventId)).toEqual([`${first}-2`, `${first}-3`, `${second}-1`]);
        // At most `limit` a read, and the cursor goes on from the last row, across users.
        const pages: string[][] = [];
        let after: { userId: number; occurredAt: number; eventId: string } | undefined;
        for (;;) {
          const page = await store.read((r) =>
            r.events.listForUsers({ ...range, limit: 2, ...(after ? { after } : {}) }),
          );
          pages.push(page.map((e) => e.eventId));
          const last = page.at(-1);
          if (!last || page.length < 2) break;
          after = { userId: last.userId, occurredAt: last.occurredAt, eventId: last.eventId };
        }
        expect(pages).toEqual([[`${first}-2`, `${first}-3`], [`${second}-1`]]);
      });
    });

    describe('claims', () => {
      it('lets the first claim of a key win until it expires', async () => {
        const key = `test:${run}:${freshId()}`;
        const claim = { key, value: { ticket: 'A-1' }, createdAt: t0, expiresAt: t0 + 1000 };
        expect(await store.transaction((r) => r.claims.take(claim))).toBe('taken');
        expect(await store.transaction((r) => r.claims.take({ ...claim, value: { ticket: 'A-2' } }))).toBe(
          'held',
        );
        expect(await store.read((r) => r.claims.get(key, t0 + 999))).toEqual({ ...claim, mine: false });
        expect(await store.read((r) => r.claims.get(key, t0 + 1000))).toBeNull();
        expect(
          await store.transaction((r) =>
            r.claims.take({ ...claim, createdAt: t0 + 1000, expiresAt: t0 + 5000 }),
          ),
        ).toBe('taken');
      });

      it('knows its owner: the transaction that took a key finds it again as mine, others as held', async () => {
        const key = `test:${run}:${freshId()}`;
        const claim = { key, value: {}, createdAt: t0, expiresAt: t0 + 60_000 };
        const seen = await store.transaction(async (r) => [
          await r.claims.take(claim),
          await r.claims.take(claim),
          (await r.claims.get(key, t0))?.mine,
        ]);
        expect(seen).toEqual(['taken', 'mine', true]);
        expect(await store.transaction((r) => r.claims.take(claim))).toBe('held');
        expect((await store.read((r) => r.claims.get(key, t0)))?.mine).toBe(false);
      });

      it('replaces the value of a claim', async () => {
        const key = `test:${run}:${freshId()}`;
        await store.transaction((r) =>
          r.claims.take({ key, value: { failures: 1 }, createdAt: t0, expiresAt: t0 + 10_000 }),
        );
        await store.transaction((r) =>
          r.claims.put({ key, value: { failures: 2 }, createdAt: t0, expiresAt: t0 + 10_000 }),
        );
        expect((await store.read((r) => r.claims.get(key, t0)))?.value).toEqual({ failures: 2 });
      });

      it('lets exactly one of two concurrent claims of one key win', async () => {
        for (let round = 0; round < 5; round++) {
          const key = `test:${run}:race:${freshId()}`;
          const results = await Promise.all(
            [1, 2].map((contender) =>
              store.transaction((r) =>
                r.claims.take({ key, value: { contender }, createdAt: t0, expiresAt: t0 + 60_000 }),
              ),
            ),
          );
          expect(results.sort()).toEqual(['held', 'taken']);
        }
      });

      it('rolls a claim back with the effect it guards when the transaction fails', async () => {
        const key = `test:${run}:${freshId()}`;
        const someone = user();
        await expect(
          store.transaction(async (r) => {
            await r.claims.take({ key, value: {}, createdAt: t0, expiresAt: t0 + 60_000 });
            await r.users.put(someone);
            throw new Error('effect failed');
          }),
        ).rejects.toThrow('effect failed');
        expect(await store.read((r) => r.claims.get(key, t0))).toBeNull();
        expect(await store.read((r) => r.users.get(someone.userId))).toBeNull();
      });
    });

    describe('deferred jobs', () => {
      const job = (overrides: Partial<DeferredJobRecord> = {}): DeferredJobRecord => ({
        jobId: `test:${run}:${freshId()}`,
        kind: 'csat',
        payload: { ticketId: 'x' },
        dueAt: t0 + 86_400_000,
        status: 'pending',
        hop: 0,
        createdAt: t0,
        updatedAt: t0,
        ...overrides,
      });

      it('creates a job once and updates its hop and status', async () => {
        const created = job();
        expect(await store.transaction((r) => r.jobs.create(created))).toBe(true);
        expect(await store.transaction((r) => r.jobs.create({ ...created, kind: 'other' }))).toBe(false);
        const advanced = { ...created, hop: 3, status: 'cancelled' as const, updatedAt: t0 + 1 };
        await store.transaction((r) => r.jobs.update(advanced));
        expect(await store.read((r) => r.jobs.get(created.jobId))).toEqual(advanced);
      });

      it('pages through pending jobs untouched since a time, least recently touched first', async () => {
        // Far in the past, so rows other runs left behind in a shared database sort after these.
        const base = 1_000_000 + (freshId() % 1_000_000) * 10;
        const stale = [
          job({ updatedAt: base + 1, dueAt: t0 + 5_000_000 }), // not due yet: its early hop was lost
          job({ updatedAt: base + 2 }),
          job({ updatedAt: base + 2 }),
          job({ updatedAt: base + 3 }),
        ];
        const done = job({ updatedAt: base + 1, status: 'done' });
        const touched = job({ updatedAt: base + 9 });
        await store.transaction(async (r) => {
          for (const j of [...stale, done, touched]) await r.jobs.create(j);
        });
        const expected = [...stale]
          .sort((a, b) => a.updatedAt - b.updatedAt || (a.jobId < b.jobId ? -1 : 1))
          .map((j) => j.jobId);
        const first = await store.read((r) =>
          r.jobs.listPendingStale(base + 5, { limit: 2, after: { updatedAt: base, jobId: '' } }),
        );
        const lastOfFirst = first[first.length - 1]!;
        const second = await store.read((r) =>
          r.jobs.listPendingStale(base + 5, {
            limit: 10,
            after: { updatedAt: lastOfFirst.updatedAt, jobId: lastOfFirst.jobId },
          }),
        );
        const seen = [...first, ...second].filter((j) => j.updatedAt <= base + 5).map((j) => j.jobId);
        expect(seen).toEqual(expected);
      });

      it('lists due jobs of a kind nobody has claimed yet, earliest due first', async () => {
        // A kind of this run's own, so rows other runs left behind in a shared database stay out.
        const kind = `outbox-${freshId()}`;
        const due = [
          job({ kind, dueAt: t0 - 30 }),
          job({ kind, dueAt: t0 - 20 }),
          job({ kind, dueAt: t0 - 10 }),
        ];
        const others = [
          job({ kind, dueAt: t0 + 60_000 }), // not due yet
          job({ kind, dueAt: t0 - 40, hop: 1 }), // its hop was claimed: someone runs it
          job({ kind, dueAt: t0 - 50, status: 'done' }),
          job({ dueAt: t0 - 60 }), // another kind
        ];
        await store.transaction(async (r) => {
          for (const j of [...due, ...others]) await r.jobs.create(j);
        });
        const listed = await store.read((r) => r.jobs.listUnclaimedDue(kind, t0, 2));
        expect(listed.map((j) => j.jobId)).toEqual(due.slice(0, 2).map((j) => j.jobId));
        const all = await store.read((r) => r.jobs.listUnclaimedDue(kind, t0, 10));
        expect(all.map((j) => j.jobId)).toEqual(due.map((j) => j.jobId));
      });

      it('updates a ticket, a message or a survey only while it exists: an update never brings one back', async () => {
        const gone = ticket();
        await store.transaction(async (r) => {
          await r.tickets.update({ ...gone, status: 'closed' });
          await r.tickets.updateMessage({
            ticketId: gone.ticketId,
            seq: 1,
            author: 'user',
            authorId: gone.userId,
            text: 'x',
            attachments: [],
            internal: false,
            createdAt: t0,
          });
        });
        expect(await store.read((r) => r.tickets.get(gone.ticketId))).toBeNull();
        expect(await store.read((r) => r.tickets.listMessages(gone.ticketId))).toEqual([]);
      });

      it('updates a job only while its row exists: an update never brings a deleted job back', async () => {
        const gone = job();
        await store.transaction((r) => r.jobs.update({ ...gone, status: 'done' }));
        expect(await store.read((r) => r.jobs.get(gone.jobId))).toBeNull();
      });
    });

    describe('audit log', () => {
      it("keeps a subject's entries in time order, apart from other subjects", async () => {
        const subject = `ticket:${randomUUID()}`;
        const entry = (at: number, action: string) => ({
          subject,
          at,
          entryId: randomUUID(),
          actor: 'operator:5',
          role: 'operator',
          action,
          details: { to: 'in_progress' },
        });
        await store.transaction(async (r) => {
          await r.audit.append(entry(t0 + 2, 'ticket.status'));
          await r.audit.append(entry(t0 + 1, 'ticket.assign'));
          await r.audit.append({ ...entry(t0, 'ticket.note'), subject: `ticket:${randomUUID()}` });
        });
        const entries = await store.read((r) => r.audit.listBySubject(subject, 10));
        expect(entries.map((e) => [e.action, e.at, e.actor, e.role, e.details])).toEqual([
          ['ticket.assign', t0 + 1, 'operator:5', 'operator', { to: 'in_progress' }],
          ['ticket.status', t0 + 2, 'operator:5', 'operator', { to: 'in_progress' }],
        ]);
      });

      it("pages every subject's entries in [since, until) newest first, each once, ties by subject and id", async () => {
        // A second of its own in the next 30 years (YDB's Timestamp ends in 2105): a shared database
        // holds other runs' entries.
        const base = t0 + Math.floor(Math.random() * 1_000_000_000) * 1000;
        const entry = (at: number, subject: string, entryId: string) => ({
          subject,
          at,
          entryId,
          actor: 'operator:7',
          role: 'admin',
          action: 'user.erase',
          details: { anonymisedTickets: 1 },
        });
        const [ticketSubject, userSubject] = [`ticket:${run}`, `user:${run}`];
        const written = [
          entry(base - 1, userSubject, 'a'), // before `since`
          entry(base, ticketSubject, 'a'),
          entry(base, userSubject, 'a'),
          entry(base, userSubject, 'b'),
          entry(base + 1, ticketSubject, 'c'),
          entry(base + 2, userSubject, 'd'),
          entry(base + 5, ticketSubject, 'e'), // at `until`
        ];
        await store.transaction(async (r) => {
          for (const record of written) await r.audit.append(record);
        });
        const range = { since: base, until: base + 5 };
        const seen: string[] = [];
        let before: AuditPosition | undefined;
        for (let pages = 0; pages < 10; pages++) {
          const page = await store.read((r) =>
            r.audit.listBetween({ ...range, limit: 2, ...(before ? { before } : {}) }),
          );
          seen.push(...page.entries.map((e) => `${e.at - base} ${e.subject} ${e.entryId}`));
          expect(page.entries.length).toBeLessThanOrEqual(2);
          if (!page.nextCursor) break;
          before = page.nextCursor;
        }
        expect(seen).toEqual([
          `2 ${userSubject} d`,
          `1 ${ticketSubject} c`,
          `0 ${userSubject} b`,
          `0 ${userSubject} a`,
          `0 ${ticketSubject} a`,
        ]);
        const [newest] = (await store.read((r) => r.audit.listBetween({ ...range, limit: 1 }))).entries;
        expect(newest).toEqual(written[5]);
        const last = await store.read((r) => r.audit.listBetween({ ...range, limit: 5 }));
        expect(last.entries).toHaveLength(5);
        expect(last.nextCursor).toBeNull();
      });
    });

    describe('counters and transactions', () => {
      it('counts from 1 and never hands out a value twice under concurrency', async () => {
        const name = `test:${run}:${freshId()}`;
        expect(await store.transaction((r) => r.counters.next(name))).toBe(1);
        const values = await Promise.all(
          Array.from({ length: 10 }, () => store.transaction((r) => r.counters.next(name))),
        );
        expect(new Set(values).size).toBe(10);
        expect(Math.max(...values)).toBe(11);
      });

      it('loses no update when concurrent transactions read, modify and write one record', async () => {
        const peerId = freshId();
        await store.transaction((r) =>
          r.dialogs.put({
            peerId,
            userId: peerId,
            state: 'idle',
            data: { count: 0 },
            operatorSilentUntil: null,
            updatedAt: t0,
          }),
        );
        await Promise.all(
          Array.from({ length: 8 }, () =>
            store.transaction(async (r) => {
              const dialog = await r.dialogs.get(peerId);
              if (!dialog) throw new Error('dialog vanished');
              await new Promise((resolve) => setTimeout(resolve, 1));
              await r.dialogs.put({ ...dialog, data: { count: Number(dialog.data.count) + 1 } });
            }),
          ),
        );
        expect((await store.read((r) => r.dialogs.get(peerId)))?.data).toEqual({ count: 8 });
      });

      it('answers a ping', async () => {
        await expect(store.ping()).resolves.toBeUndefined();
      });
    });
  });
}
