import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TicketRecord } from '../../lib/storage/port';
import { SqliteStore } from '../../lib/storage/sqlite/store';
import { backfillSearchIndex } from '../../lib/tickets/search-index';
import { newUserRecord } from '../../lib/users/account';

/** Tickets filed before the search index existed are indexed by `npm run db:backfill-search`. */

const t0 = Date.UTC(2026, 10, 1, 9, 0);

const ticket = (
  index: number,
  userId: number | null,
  details: Record<string, unknown> = {},
): TicketRecord => ({
  ticketId: `t-${index}`,
  number: `B-${1000 + index}`,
  userId,
  channel: 'app',
  category: 'bug',
  subject: 'Не открывается экран',
  status: 'new',
  assigneeId: null,
  details,
  createdAt: t0 + index * 1000,
  updatedAt: t0 + index * 1000,
});

/** A file as it was before the index: tickets and users, and no entries. */
async function seed(store: SqliteStore): Promise<void> {
  await store.transaction(async (r) => {
    await r.users.put(newUserRecord(7, t0, { firstName: 'Ольга' }));
    await r.users.put(newUserRecord(8, t0, { firstName: 'Олег' }));
    await r.tickets.create(ticket(1, 7, { contact: '8 900 111-22-33' }));
    await r.tickets.create(ticket(2, 8));
    await r.tickets.create(ticket(3, 7, { contact: { email: 'Olga@Example.com' } }));
    await r.tickets.create(ticket(4, null)); // an erased user's
    await r.tickets.create(ticket(5, 9)); // no name known
  });
}

const numbersUnder = (store: SqliteStore, term: string) =>
  store.read(async (r) =>
    (await r.ticketSearch.listTickets(term, { limit: 10 })).tickets.map((t) => t.number),
  );

describe('backfilling the search index', () => {
  it('indexes every ticket by contact and name in batches, nothing of an erased one, and can run again', async () => {
    const store = new SqliteStore(':memory:');
    await seed(store);
    const batches: number[] = [];
    const done = await backfillSearchIndex(store, {
      batch: 2,
      until: t0 + 60_000,
      onBatch: ({ indexed }) => batches.push(indexed),
    });
    expect(batches).toEqual([2, 4, 5]);
    expect(done.indexed).toBe(5);
    expect(await numbersUnder(store, 'name:ол')).toEqual(['B-1003', 'B-1002', 'B-1001']);
    expect(await numbersUnder(store, 'name:ольга')).toEqual(['B-1003', 'B-1001']);
    expect(await numbersUnder(store, 'contact:+79001112233')).toEqual(['B-1001']);
    expect(await numbersUnder(store, 'contact:olga@example.com')).toEqual(['B-1003']);
    expect(await store.read((r) => r.ticketSearch.listByTicket('t-4'))).toEqual([]);
    expect(await store.read((r) => r.ticketSearch.listByTicket('t-5'))).toEqual([]);

    const entries = store.db.prepare('SELECT COUNT(*) AS n FROM ticket_search').get() as { n: number };
    await backfillSearchIndex(store, { until: t0 + 60_000 });
    expect(store.db.prepare('SELECT COUNT(*) AS n FROM ticket_search').get()).toEqual(entries);
    await store.close();
  });

  it('resumes after a printed position', async () => {
    const store = new SqliteStore(':memory:');
    await seed(store);
    const done = await backfillSearchIndex(store, {
      until: t0 + 60_000,
      after: { createdAt: t0 + 2000, ticketId: 't-2' },
    });
    expect(done.indexed).toBe(3);
    expect(await numbersUnder(store, 'name:ол')).toEqual(['B-1003']);
    await store.close();
  });

  it('runs as `npm run db:backfill-search` on the local SQLite file', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'backfill-'));
    try {
      const store = new SqliteStore(join(dataDir, 'local.sqlite'));
      await seed(store);
      await store.close();
      const { YDB_CONNECTION_STRING: _ignored, ...environment } = process.env;
      const output = execFileSync(
        process.execPath,
        [
          join(__dirname, '..', '..', 'node_modules', 'tsx', 'dist', 'cli.mjs'),
          'scripts/db-backfill-search.ts',
          '--batch',
          '3',
        ],
        { cwd: join(__dirname, '..', '..'), env: { ...environment, DATA_DIR: dataDir }, encoding: 'utf8' },
      );
      expect(output).toContain('search index backfilled: 5 tickets');
      const reopened = new SqliteStore(join(dataDir, 'local.sqlite'));
      expect(await numbersUnder(reopened, 'name:олег')).toEqual(['B-1002']);
      await reopened.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 30_000);
});
