import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DeferredJobRecord } from '../../lib/storage/port';
import { SqliteStore } from '../../lib/storage/sqlite/store';

const t0 = Date.parse('2026-11-21T09:00:00Z');

const job = (jobId: string): DeferredJobRecord => ({
  jobId,
  kind: 'csat',
  payload: { jobId },
  dueAt: t0 + 60_000,
  status: 'pending',
  hop: 0,
  createdAt: t0,
  updatedAt: t0,
});

const sleep = (milliseconds: number) => new Promise<void>((resolve) => setTimeout(resolve, milliseconds));

/** How many deferred job rows the store's file holds, read in the store's own turn. */
const countJobs = (store: SqliteStore) =>
  store.withConnection(
    'read',
    (db) => (db.prepare('SELECT COUNT(*) AS n FROM deferred_jobs').get() as { n: number }).n,
  );

/** How many times the lane committed: each group commits once, however many members it has. */
const countCommits = (store: SqliteStore) => {
  const exec = jest.spyOn(store.db, 'exec');
  return () => exec.mock.calls.filter(([sql]) => sql === 'COMMIT').length;
};

let folder: string;
/** Every store a test opened: closed after it even when it fails, before its folder goes. */
let opened: SqliteStore[];

beforeEach(() => {
  folder = mkdtempSync(join(tmpdir(), 'group-commit-'));
  opened = [];
});

afterEach(async () => {
  for (const store of opened) if (store.db.open) await store.close();
  rmSync(folder, { recursive: true, force: true });
});

const open = (filename: string) => {
  const store = new SqliteStore(filename);
  opened.push(store);
  return store;
};

// What group commit promises a caller holds on a file (the local stack) and in memory (most tests).
describe.each([
  ['a file', () => join(folder, 'local.sqlite')],
  ['memory', () => ':memory:'],
])('group commit on %s', (_, filename) => {
  it('commits 50 transactions asked for in the same tick together, each caller getting its own result', async () => {
    const store = open(filename());
    const commits = countCommits(store);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, index) =>
        store.transaction(async (r) => ({ index, created: await r.jobs.create(job(`job:${index}`)) })),
      ),
    );
    // They woke up together, so they shared one BEGIN … COMMIT: the point of grouping.
    expect(commits()).toBe(1);
    expect(results).toEqual(Array.from({ length: 50 }, (_, index) => ({ index, created: true })));
    expect(await countJobs(store)).toBe(50);
    expect(await store.read((r) => r.jobs.get('job:17'))).toEqual(job('job:17'));
  });

  it('rolls back only the member that throws after writing; the rest of its group commits', async () => {
    const store = open(filename());
    const commits = countCommits(store);
    const failure = new Error('member 2 fails');
    // Started in the same tick, so they share a group; the failing one awaits before throwing, so
    // its savepoint is still open while the event loop turns.
    const outcomes = await Promise.allSettled(
      [0, 1, 2, 3, 4].map((index) =>
        store.transaction(async (r) => {
          await r.jobs.create(job(`job:${index}`));
          if (index === 2) {
            await sleep(5);
            throw failure;
          }
          return index;
        }),
      ),
    );
    expect(outcomes).toEqual([
      { status: 'fulfilled', value: 0 },
      { status: 'fulfilled', value: 1 },
      { status: 'rejected', reason: failure },
      { status: 'fulfilled', value: 3 },
      { status: 'fulfilled', value: 4 },
    ]);
    expect(commits()).toBe(1); // one group, so the failure was rolled back alone inside it
    const rows = await store.read(async (r) =>
      Promise.all([0, 1, 2, 3, 4].map(async (index) => (await r.jobs.get(`job:${index}`))?.jobId ?? null)),
    );
    expect(rows).toEqual(['job:0', 'job:1', null, 'job:3', 'job:4']);
  });

  it('refuses store.read inside a transaction with nested_transaction; the outer one still commits', async () => {
    const store = open(filename());
    const refusal = await store.transaction(async (r) => {
      await r.jobs.create(job('outer'));
      // Waiting for its own turn would deadlock: the read would queue behind this transaction.
      return store.read((inner) => inner.jobs.get('outer')).catch((error: unknown) => error);
    });
    expect(refusal).toMatchObject({ code: 'nested_transaction' });
    expect(await store.read((r) => r.jobs.get('outer'))).toEqual(job('outer'));
    // The same for a nested write, and for the connection itself (how the embedded queue writes).
    await expect(
      store.transaction(() => store.transaction((inner) => inner.jobs.create(job('inner')))),
    ).rejects.toMatchObject({ code: 'nested_transaction' });
    await expect(
      store.transaction(() => store.withConnection('write', () => 'never runs')),
    ).rejects.toMatchObject({ code: 'nested_transaction' });
    expect(await store.read((r) => r.jobs.get('inner'))).toBeNull();
  });
});

describe('group commit on a file shared with another process', () => {
  it('answers a caller only once its group committed: another connection sees the row right away', async () => {
    const file = join(folder, 'local.sqlite');
    const writer = open(file);
    const other = open(file);
    let slowMemberDone = false;
    const seenByOther = writer
      .transaction((r) => r.jobs.create(job('first')))
      .then(() => other.read((r) => r.jobs.get('first')));
    // Same tick, same group: were the first caller answered at its RELEASE rather than at COMMIT, it
    // would look while this member still holds the transaction open, and the other would see nothing.
    const slow = writer.transaction(async (r) => {
      await r.jobs.create(job('second'));
      await sleep(30);
      slowMemberDone = true;
    });
    const seen = await seenByOther;
    expect(slowMemberDone).toBe(true);
    expect(seen).toEqual(job('first'));
    await slow;
    expect(await other.read((r) => r.jobs.get('second'))).toEqual(job('second'));
  });

  it('lets two stores on one file write 100 rows each concurrently, waiting for the lock without blocking', async () => {
    const file = join(folder, 'local.sqlite');
    const first = open(file);
    const second = open(file);
    // Each member holds the write lock across a turn of the event loop. Both stores live in this one
    // process, so a store that waited for the lock in SQLite's busy handler would stop the event loop,
    // the other could never finish its transaction, and the wait would end in SQLITE_BUSY.
    const writeAll = (store: SqliteStore, name: string) =>
      Array.from({ length: 100 }, (_, index) =>
        store.transaction(async (r) => {
          const created = await r.jobs.create(job(`${name}:${index}`));
          await new Promise((resolve) => setImmediate(resolve));
          return created;
        }),
      );
    const created = await Promise.all([...writeAll(first, 'first'), ...writeAll(second, 'second')]);
    expect(created.every((value) => value === true)).toBe(true);
    expect(await countJobs(first)).toBe(200);
    expect(await countJobs(second)).toBe(200);
  });

  it('rolls back a failing member of a write group even when reads ran while the group waited for the lock', async () => {
    const file = join(folder, 'local.sqlite');
    const holder = open(file);
    const store = open(file);
    // Another process holds the file's write lock for a while.
    let release!: () => void;
    const held = holder.transaction(async (r) => {
      await r.jobs.create(job('holder'));
      await new Promise<void>((resolve) => {
        release = resolve;
      });
    });
    await sleep(20);
    // A write group waits for it; a read that comes meanwhile runs in between.
    const writes = [
      store.transaction((r) => r.jobs.create(job('kept'))),
      store.transaction(async (r) => {
        await r.jobs.create(job('undone'));
        throw new Error('fails after writing');
      }),
    ];
    await sleep(10);
    const read = store.read((r) => r.jobs.get('holder'));
    await sleep(10);
    release();
    await held;
    await expect(read).resolves.toBeNull(); // read while the holder's row was not yet committed
    await expect(writes[0]).resolves.toBe(true);
    await expect(writes[1]).rejects.toThrow('fails after writing');
    const rows = await store.read(async (r) => [await r.jobs.get('kept'), await r.jobs.get('undone')]);
    expect(rows.map((row) => row?.jobId ?? null)).toEqual(['kept', null]);
  });

  it('finishes on close() a transaction asked for in the same tick, before its group has started', async () => {
    const file = join(folder, 'local.sqlite');
    const store = open(file);
    // The lane starts groups on the next turn of the event loop: nothing runs yet when close() is called.
    const asked = store.transaction((r) => r.jobs.create(job('asked')));
    await store.close();
    await expect(asked).resolves.toBe(true);
    expect(await countJobs(open(file))).toBe(1);
  });

  it('finishes on close() the transactions asked for before it: the running one and those queued behind it', async () => {
    const file = join(folder, 'local.sqlite');
    const store = open(file);
    const order: string[] = [];
    let running!: () => void;
    const started = new Promise<void>((resolve) => {
      running = resolve;
    });
    const slow = store.transaction(async (r) => {
      running();
      await sleep(20);
      await r.jobs.create(job('slow'));
      order.push('slow');
    });
    await started;
    // Asked for while the first group is open: it waits for the next group.
    const queued = store.transaction(async (r) => {
      await r.jobs.create(job('queued'));
      order.push('queued');
    });
    await store.close();
    order.push('closed');
    await expect(Promise.all([slow, queued])).resolves.toEqual([undefined, undefined]);
    expect(order).toEqual(['slow', 'queued', 'closed']);
    const reopened = open(file);
    expect(await countJobs(reopened)).toBe(2);
  });
});
