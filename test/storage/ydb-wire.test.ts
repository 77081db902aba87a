import { StatusIds_StatusCode as Code } from '@ydbjs/api/operation';
import { AnonymousCredentialsProvider } from '@ydbjs/auth/anonymous';
import { YDBError } from '@ydbjs/error';
import { type ClaimRecord, UndeterminedCommitError } from '../../lib/storage/port';
import type { DriverSession, RoundTrips } from '../../lib/storage/ydb/session';
import { YdbStore } from '../../lib/storage/ydb/store';
import { yv } from '../../lib/storage/ydb/values';
import { FakeYdb, type Method } from '../support/fake-ydb';

/**
 * The adapter's own Query-service client (`DriverSession`, `DriverSessions`, driven by
 * `runTransaction` and `YdbStore`) against a fake YDB on a real gRPC server: the requests go over
 * the wire as YDB's protobuf, and the fake holds them to YDB's rules and to the adapter's promises
 * (see `test/support/fake-ydb.ts`). No YDB can run on these machines; this is the closest to one.
 */

const NOW = 1_700_000_000_000;
const claim = (key: string): ClaimRecord => ({
  key,
  value: { ticketId: 't-1' },
  createdAt: NOW,
  expiresAt: NOW + 3_600_000,
});

let fake: FakeYdb;
let store: YdbStore;

beforeEach(async () => {
  fake = await new FakeYdb().start();
  store = new YdbStore({
    connectionString: fake.connectionString,
    credentialsProvider: new AnonymousCredentialsProvider(),
    timeoutMs: 5000,
  });
});

afterEach(async () => {
  await store.close();
  fake.stop();
  expect(fake.violations).toEqual([]);
});

async function waitFor(condition: () => boolean, what: string, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** The client's own count of its calls, by the server's method names. */
function clientCalls(trips: RoundTrips): Record<Method, number> {
  return {
    CreateSession: trips.createSession,
    AttachSession: trips.attachSession,
    ExecuteQuery: trips.executeQuery,
    CommitTransaction: trips.commitTransaction,
    RollbackTransaction: trips.rollbackTransaction,
    DeleteSession: trips.deleteSession,
  };
}

const calls = (counts: Partial<Record<Method, number>>): Record<Method, number> => ({
  CreateSession: 0,
  AttachSession: 0,
  ExecuteQuery: 0,
  CommitTransaction: 0,
  RollbackTransaction: 0,
  DeleteSession: 0,
  ...counts,
});

describe('YDB Query service over the wire', () => {
  it('a read-write transaction begins with its first statement, continues it, commits it on one session, and returns converted rows', async () => {
    fake.answer = (call) =>
      call.body.startsWith('SELECT id, name, seen_at FROM things')
        ? [
            {
              columns: [
                ['id', 'Int64'],
                ['name', 'Utf8'],
                ['seen_at', 'Optional<Timestamp>'],
              ],
              rows: [
                [1, 'первый', NOW + 123],
                [2, 'second', null],
                [3, 'third', NOW],
              ],
            },
            { columns: [['total', 'Int64']], rows: [[3]] },
          ]
        : undefined;

    const sets = await store.statements(async (sql) => {
      const found = await sql.query(
        'SELECT id, name, seen_at FROM things WHERE id > $after;\nSELECT COUNT(*) AS total FROM things;',
        { $after: yv.int64(0) },
      );
      await sql.query('UPSERT INTO things (id, name, seen_at) VALUES ($id, $name, $seen_at)', {
        $id: yv.int64(4),
        $name: yv.text('fourth'),
        $seen_at: yv.optTime(null),
      });
      return found;
    });

    expect(sets).toEqual([
      [
        { id: 1n, name: 'первый', seen_at: new Date(NOW + 123) },
        { id: 2n, name: 'second', seen_at: null },
        { id: 3n, name: 'third', seen_at: new Date(NOW) },
      ],
      [{ total: 3n }],
    ]);
    expect(fake.log).toEqual([
      'CreateSession → s1',
      'AttachSession s1',
      'ExecuteQuery s1 begin serializableReadWrite → t1: SELECT id, name, seen_at FROM things WHERE id > $after; SELECT COUNT(*) AS total FROM things;',
      'ExecuteQuery s1 t1: UPSERT INTO things (id, name, seen_at) VALUES ($id, $name, $seen_at)',
      'CommitTransaction s1 t1',
    ]);
    // The parameters arrive typed as declared (the fake checks the DECLAREs against them).
    expect(fake.executed[0]?.params).toEqual({ $after: { type: 'Int64', value: 0n } });
    expect(fake.executed[1]?.params).toEqual({
      $id: { type: 'Int64', value: 4n },
      $name: { type: 'Utf8', value: 'fourth' },
      $seen_at: { type: 'Optional<Timestamp>', value: null },
    });
    expect(fake.calls).toEqual(
      calls({ CreateSession: 1, AttachSession: 1, ExecuteQuery: 2, CommitTransaction: 1 }),
    );
  });

  it('repositories read back what they wrote: claims.take stores the claim, and another owner finds it held', async () => {
    expect(await store.transaction((r) => r.claims.take(claim('vk-event:1')))).toBe('taken');
    expect(fake.claims.get('vk-event:1')).toEqual({
      key: 'vk-event:1',
      value: JSON.stringify({ ticketId: 't-1' }),
      owner: expect.any(String),
      createdAt: NOW,
      expiresAt: NOW + 3_600_000,
    });
    // A Timestamp and an Optional<Utf8> come back and are compared: a different owner holds it.
    expect(await store.transaction((r) => r.claims.take(claim('vk-event:1')))).toBe('held');
    expect(fake.executed.map((call) => call.params.$key?.value)).toEqual([
      'vk-event:1',
      'vk-event:1',
      'vk-event:1',
    ]);
  });

  it('later transactions reuse the session: CreateSession and AttachSession once, then n + 1 calls per transaction', async () => {
    await store.transaction((r) => r.claims.take(claim('a'))); // 2 statements
    await store.transaction((r) => r.claims.take(claim('b'))); // 2 statements
    await store.read((r) => r.users.get(1)); // 1 statement, snapshot

    expect(fake.statementTrail).toEqual([
      's1 begin serializableReadWrite',
      's1 t1',
      's1 begin serializableReadWrite',
      's1 t2',
      's1 begin snapshotReadOnly',
    ]);
    const expected = calls({ CreateSession: 1, AttachSession: 1, ExecuteQuery: 5, CommitTransaction: 3 });
    expect(fake.calls).toEqual(expected);
    // n statements + 1 commit per transaction, plus the session once: 5 + 3 + 2.
    expect(Object.values(fake.calls).reduce((a, b) => a + b)).toBe(5 + 3 + 2);
    expect(clientCalls(store.sessions.trips)).toEqual(expected);
  });

  it('ABORTED on a statement rolls back and re-runs the whole transaction in a new transaction, on the same session', async () => {
    fake.faults.push({
      method: 'ExecuteQuery',
      status: Code.ABORTED,
      when: (call) => call.body.startsWith('UPSERT INTO claims'),
    });
    let runs = 0;
    const outcome = await store.transaction((r) => {
      runs++;
      return r.claims.take(claim('k'));
    });

    expect(outcome).toBe('taken');
    expect(runs).toBe(2);
    expect(fake.log.slice(2)).toEqual([
      'ExecuteQuery s1 begin serializableReadWrite → t1: SELECT expires_at, owner FROM claims WHERE key = $key',
      'ExecuteQuery s1 t1: UPSERT INTO claims (key, value, owner, created_at, expires_at) VALUES ($key, $value, $owner, $created_at, $expires_at) ✗ ABORTED',
      'RollbackTransaction s1 t1',
      'ExecuteQuery s1 begin serializableReadWrite → t2: SELECT expires_at, owner FROM claims WHERE key = $key',
      'ExecuteQuery s1 t2: UPSERT INTO claims (key, value, owner, created_at, expires_at) VALUES ($key, $value, $owner, $created_at, $expires_at)',
      'CommitTransaction s1 t2',
    ]);
    expect(fake.claims.has('k')).toBe(true);
    expect(fake.calls).toEqual(
      calls({
        CreateSession: 1,
        AttachSession: 1,
        ExecuteQuery: 4,
        CommitTransaction: 1,
        RollbackTransaction: 1,
      }),
    );
  });

  it('ABORTED at the commit re-runs the transaction too (nothing was applied)', async () => {
    fake.faults.push({ method: 'CommitTransaction', status: Code.ABORTED });
    let runs = 0;
    const outcome = await store.transaction((r) => {
      runs++;
      return r.claims.take(claim('k'));
    });
    expect([outcome, runs]).toEqual(['taken', 2]);
    expect(fake.log.filter((line) => line.startsWith('Commit'))).toEqual([
      'CommitTransaction s1 t1 ✗ ABORTED',
      'CommitTransaction s1 t2',
    ]);
    expect(fake.calls.RollbackTransaction).toBe(0);
    expect(fake.calls.CreateSession).toBe(1);
  });

  it('BAD_SESSION discards the session (deleted, attach cancelled) and re-runs on a new one', async () => {
    fake.faults.push({ method: 'ExecuteQuery', status: Code.BAD_SESSION });
    expect(await store.transaction((r) => r.claims.take(claim('k')))).toBe('taken');

    expect(fake.statementTrail).toEqual([
      's1 begin serializableReadWrite',
      's2 begin serializableReadWrite',
      's2 t1',
    ]);
    expect(fake.log).toContain('CommitTransaction s2 t1');
    await waitFor(() => fake.log.includes('DeleteSession s1'), 'DeleteSession s1');
    await waitFor(() => fake.attachEnd('s1') !== null, 'the end of s1');
    expect(fake.calls.CreateSession).toBe(2);
    expect(fake.calls.AttachSession).toBe(2);

    // The new session is the one kept.
    await store.transaction((r) => r.claims.take(claim('k2')));
    expect(fake.statementTrail.slice(3)).toEqual(['s2 begin serializableReadWrite', 's2 t2']);
    expect(fake.calls.CreateSession).toBe(2);
  });

  it('a session whose attach stream the server ends is not reused', async () => {
    const acquire = jest.spyOn(store.sessions, 'acquire');
    await store.transaction((r) => r.claims.take(claim('a')));
    const first = (await acquire.mock.results[0]?.value) as DriverSession;
    fake.endAttach('s1');
    await waitFor(() => first.broken, 'the client to see s1 end');

    await store.transaction((r) => r.claims.take(claim('b')));
    expect(fake.statementTrail).toEqual([
      's1 begin serializableReadWrite',
      's1 t1',
      's2 begin serializableReadWrite',
      's2 t2',
    ]);
    expect(fake.calls.CreateSession).toBe(2);
    // YDB already dropped it: nothing to delete.
    expect(fake.calls.DeleteSession).toBe(0);
  });

  it('UNDETERMINED at the commit of non-idempotent work throws UndeterminedCommitError and does not re-run it', async () => {
    fake.faults.push({ method: 'CommitTransaction', status: Code.UNDETERMINED });
    let runs = 0;
    const failure = await store
      .transaction((r) => {
        runs++;
        return r.claims.take(claim('op-reply'));
      })
      .then(
        () => undefined,
        (error: unknown) => error,
      );

    expect(failure).toBeInstanceOf(UndeterminedCommitError);
    expect((failure as Error).cause).toBeInstanceOf(YDBError);
    expect(((failure as Error).cause as YDBError).code).toBe(Code.UNDETERMINED);
    expect(runs).toBe(1);
    // The fake's worst case: the commit did apply.
    expect(fake.claims.has('op-reply')).toBe(true);
    expect(fake.calls).toEqual(
      calls({ CreateSession: 1, AttachSession: 1, ExecuteQuery: 2, CommitTransaction: 1 }),
    );

    // The session is still fine for the next transaction.
    await store.transaction((r) => r.claims.take(claim('next')));
    expect(fake.calls.CreateSession).toBe(1);
  });

  it('UNDETERMINED at the commit of idempotent work re-runs it, and the re-run recognises its own claim', async () => {
    fake.faults.push({ method: 'CommitTransaction', status: Code.UNDETERMINED });
    let runs = 0;
    const outcome = await store.transaction(
      (r) => {
        runs++;
        return r.claims.take(claim('vk-event:9'));
      },
      { idempotent: true },
    );

    expect(outcome).toBe('mine');
    expect(runs).toBe(2);
    expect(fake.log.slice(2)).toEqual([
      'ExecuteQuery s1 begin serializableReadWrite → t1: SELECT expires_at, owner FROM claims WHERE key = $key',
      'ExecuteQuery s1 t1: UPSERT INTO claims (key, value, owner, created_at, expires_at) VALUES ($key, $value, $owner, $created_at, $expires_at)',
      'CommitTransaction s1 t1 ✗ UNDETERMINED',
      'ExecuteQuery s1 begin serializableReadWrite → t2: SELECT expires_at, owner FROM claims WHERE key = $key',
      'CommitTransaction s1 t2',
    ]);
  });

  it('work that throws rolls its transaction back and keeps the session', async () => {
    const failure = new Error('the work changed its mind');
    await expect(
      store.transaction(async (r) => {
        await r.claims.take(claim('k'));
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(fake.log.slice(-1)).toEqual(['RollbackTransaction s1 t1']);
    expect(fake.claims.has('k')).toBe(false);

    await store.transaction((r) => r.claims.take(claim('k')));
    expect(fake.claims.has('k')).toBe(true);
    expect(fake.calls.CreateSession).toBe(1);
  });

  it('DDL through store.scheme runs outside any transaction, and the session serves the next transaction', async () => {
    await store.scheme('CREATE TABLE IF NOT EXISTS things (id Int64 NOT NULL, PRIMARY KEY (id))');
    await store.transaction((r) => r.claims.take(claim('k')));

    expect(fake.statementTrail).toEqual(['s1 none', 's1 begin serializableReadWrite', 's1 t1']);
    expect(fake.executed[0]?.params).toEqual({});
    expect(fake.calls).toEqual(
      calls({ CreateSession: 1, AttachSession: 1, ExecuteQuery: 3, CommitTransaction: 1 }),
    );
  });

  it('the fake refuses DDL inside a transaction, as YDB does, and the error is not retried', async () => {
    const failure = await store
      .statements((sql) => sql.query('CREATE TABLE things (id Int64 NOT NULL, PRIMARY KEY (id))'))
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(failure).toBeInstanceOf(YDBError);
    expect((failure as YDBError).code).toBe(Code.BAD_REQUEST);
    expect(fake.calls.ExecuteQuery).toBe(1);
    expect(fake.violations).toEqual([
      'DDL with a transaction control: CREATE TABLE things (id Int64 NOT NULL, PRIMARY KEY (id))',
    ]);
    fake.violations.length = 0;
  });

  it("the fake catches a statement that continues a transaction not its session's, or runs outside any", async () => {
    const session = await store.sessions.acquire(AbortSignal.timeout(5000));
    const signal = AbortSignal.timeout(5000);
    await expect(session.execute('SELECT 1', {}, { txId: 'not-a-tx' }, signal)).rejects.toMatchObject({
      code: Code.BAD_REQUEST,
    });
    await expect(session.execute('SELECT 1', {}, null, signal)).rejects.toMatchObject({
      code: Code.BAD_REQUEST,
    });
    await store.sessions.release(session, true);
    expect(fake.violations).toEqual([
      's1 continues not-a-tx, not its open transaction (none)',
      'a statement outside any transaction: SELECT 1',
    ]);
    fake.violations.length = 0;
  });

  it('close() deletes the idle session before the channel closes, and ends its attach stream', async () => {
    await store.transaction((r) => r.claims.take(claim('k')));
    await store.close();

    expect(fake.log).toContain('DeleteSession s1');
    expect(fake.calls.DeleteSession).toBe(1);
    await waitFor(() => fake.attachEnd('s1') !== null, 'the end of s1');
    expect(fake.calls.CreateSession).toBe(1);
  });

  it('DriverSessions.close() with the driver still open deletes the idle session and cancels its attach stream', async () => {
    await store.transaction((r) => r.claims.take(claim('k')));
    await store.sessions.close();

    await waitFor(() => fake.calls.DeleteSession === 1, 'DeleteSession s1');
    // The delete and the attach stream's cancel race; YDB ends the stream itself on a delete.
    await waitFor(() => fake.attachEnd('s1') !== null, 'the end of s1');
    expect(fake.log).toContain('DeleteSession s1');
    expect(store.sessions.trips.deleteSession).toBe(1);

    // The next transaction needs a new session.
    await store.transaction((r) => r.claims.take(claim('k2')));
    expect(fake.statementTrail.slice(2)).toEqual(['s2 begin serializableReadWrite', 's2 t2']);
  });
});
