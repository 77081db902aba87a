import { StatusIds_StatusCode as Code } from '@ydbjs/api/operation';
import { YDBError } from '@ydbjs/error';
import { UndeterminedCommitError } from '../../lib/storage/port';
import type { Params, Row } from '../../lib/storage/ydb/statement';
import {
  retryability,
  runSchemeStatement,
  runTransaction,
  type Session,
  type SessionSource,
  type TxControl,
} from '../../lib/storage/ydb/transaction';

/** A gRPC transport failure as nice-grpc raises it. */
class ClientError extends Error {
  constructor(readonly code: number) {
    super(`transport ${code}`);
    this.name = 'ClientError';
  }
}

type Failure = { at: 'statement' | 'commit'; error: unknown };

/**
 * A session that records what it is asked and fails where told: the n-th statement of the n-th
 * attempt, or its commit. "Committed" rows are what a real database would keep.
 */
class FakeSession implements Session {
  constructor(
    readonly id: number,
    readonly world: FakeWorld,
  ) {}
  async execute(
    text: string,
    _params: Params,
    tx: TxControl,
  ): Promise<{ resultSets: Row[][]; txId?: string }> {
    this.world.log.push(
      `s${this.id} ${tx === null ? 'none' : 'txId' in tx ? `tx ${tx.txId}` : `begin ${tx.begin}`}: ${text}`,
    );
    const failure = this.world.failures[0];
    if (failure?.at === 'statement') {
      this.world.failures.shift();
      throw failure.error;
    }
    if (tx && 'begin' in tx) {
      this.world.lastTx = `t${++this.world.txCount}`;
      return { resultSets: [[]], txId: this.world.lastTx };
    }
    return { resultSets: [[]] };
  }
  async commit(txId: string): Promise<void> {
    this.world.log.push(`s${this.id} commit ${txId}`);
    const failure = this.world.failures[0];
    if (failure?.at === 'commit') {
      this.world.failures.shift();
      // An unknown outcome may still have committed: here it did, the worst case for a re-run.
      if (failure.error instanceof YDBError && failure.error.code === Code.UNDETERMINED)
        this.world.committed++;
      throw failure.error;
    }
    this.world.committed++;
  }
  async rollback(txId: string): Promise<void> {
    this.world.log.push(`s${this.id} rollback ${txId}`);
  }
}

class FakeWorld implements SessionSource<FakeSession> {
  log: string[] = [];
  failures: Failure[] = [];
  committed = 0;
  txCount = 0;
  lastTx = '';
  opened = 0;
  discarded: number[] = [];
  #idle: FakeSession[] = [];
  async acquire(): Promise<FakeSession> {
    return this.#idle.pop() ?? new FakeSession(++this.opened, this);
  }
  async release(session: FakeSession, reusable: boolean): Promise<void> {
    if (reusable) this.#idle.push(session);
    else this.discarded.push(session.id);
  }
}

const ydb = (code: Code) => new YDBError(code, []);
const noSleep = async () => {};

function run(world: FakeWorld, idempotent: boolean, work = twoStatements) {
  return runTransaction(
    world,
    { mode: 'serializableReadWrite', idempotent, signal: AbortSignal.timeout(5000), sleep: noSleep },
    work,
  );
}
let runs = 0;
const twoStatements = async (sql: { query(text: string): Promise<Row[][]> }) => {
  runs++;
  await sql.query('SELECT 1');
  await sql.query('UPSERT 2');
  return 'result';
};

beforeEach(() => {
  runs = 0;
});

describe('YDB transactions are retried whole', () => {
  it('begins the transaction with its first statement and commits it once: n statements, n + 1 calls', async () => {
    const world = new FakeWorld();
    expect(await run(world, false)).toBe('result');
    expect(world.log).toEqual([
      's1 begin serializableReadWrite: SELECT 1',
      's1 tx t1: UPSERT 2',
      's1 commit t1',
    ]);
  });

  it('reuses one session for the transactions that follow', async () => {
    const world = new FakeWorld();
    await run(world, false);
    await run(world, false);
    expect(world.opened).toBe(1);
  });

  for (const status of ['ABORTED', 'UNAVAILABLE', 'OVERLOADED', 'BAD_SESSION', 'SESSION_BUSY'] as const) {
    it(`re-runs the work from its start, in a new transaction, on ${status} from a statement`, async () => {
      const world = new FakeWorld();
      world.failures.push({ at: 'statement', error: ydb(Code[status]) });
      expect(await run(world, false)).toBe('result');
      expect(runs).toBe(2);
      // The failed attempt's statement is never sent again inside the transaction YDB gave up on.
      expect(world.log.filter((line) => line.includes('SELECT 1'))).toHaveLength(2);
      expect(world.log.filter((line) => line.includes('begin'))).toHaveLength(2);
      expect(world.committed).toBe(1);
    });

    it(`re-runs the work on ${status} from the commit, which YDB defines as not applied`, async () => {
      const world = new FakeWorld();
      world.failures.push({ at: 'commit', error: ydb(Code[status]) });
      expect(await run(world, false)).toBe('result');
      expect(runs).toBe(2);
      expect(world.committed).toBe(1);
    });
  }

  it('deletes a session YDB called bad and takes a new one', async () => {
    const world = new FakeWorld();
    world.failures.push({ at: 'statement', error: ydb(Code.BAD_SESSION) });
    await run(world, false);
    expect(world.discarded).toEqual([1]);
    expect(world.log.at(-1)).toBe('s2 commit t1');
  });

  it('rolls back the failed attempt when its session survives', async () => {
    const world = new FakeWorld();
    const work = async (sql: { query(text: string): Promise<Row[][]> }) => {
      await sql.query('SELECT 1');
      if (runs++ === 0) throw ydb(Code.ABORTED);
      return 'ok';
    };
    await run(world, false, work);
    expect(world.log).toContain('s1 rollback t1');
  });

  for (const status of ['UNDETERMINED', 'TIMEOUT', 'SESSION_EXPIRED'] as const) {
    it(`does not re-run non-idempotent work after ${status} at the commit: it may have committed`, async () => {
      const world = new FakeWorld();
      world.failures.push({ at: 'commit', error: ydb(Code[status]) });
      await expect(run(world, false)).rejects.toBeInstanceOf(UndeterminedCommitError);
      expect(runs).toBe(1);
    });

    it(`re-runs idempotent work (guarded by a claim) after ${status} at the commit`, async () => {
      const world = new FakeWorld();
      world.failures.push({ at: 'commit', error: ydb(Code[status]) });
      expect(await run(world, true)).toBe('result');
      expect(runs).toBe(2);
    });

    it(`re-runs any work after ${status} from a statement: nothing was committed yet`, async () => {
      const world = new FakeWorld();
      world.failures.push({ at: 'statement', error: ydb(Code[status]) });
      expect(await run(world, false)).toBe('result');
      expect(runs).toBe(2);
    });
  }

  it('treats a dropped connection during the commit as an unknown outcome, before it as a plain retry', async () => {
    const during = new FakeWorld();
    during.failures.push({ at: 'commit', error: new ClientError(14) });
    await expect(run(during, false)).rejects.toBeInstanceOf(UndeterminedCommitError);
    const before = new FakeWorld();
    before.failures.push({ at: 'statement', error: new ClientError(14) });
    expect(await run(before, false)).toBe('result');
    expect(before.discarded).toEqual([1]);
  });

  for (const status of [
    'BAD_REQUEST',
    'SCHEME_ERROR',
    'GENERIC_ERROR',
    'PRECONDITION_FAILED',
    'UNAUTHORIZED',
  ] as const) {
    it(`fails at once on ${status}, which would fail again`, async () => {
      const world = new FakeWorld();
      const error = ydb(Code[status]);
      world.failures.push({ at: 'statement', error });
      await expect(run(world, true)).rejects.toBe(error);
      expect(runs).toBe(1);
    });
  }

  it('fails at once when the work itself throws', async () => {
    const world = new FakeWorld();
    const work = async () => {
      runs++;
      throw new Error('not found');
    };
    await expect(run(world, true, work)).rejects.toThrow('not found');
    expect(runs).toBe(1);
  });

  it('gives up after its attempts and reports the last error', async () => {
    const world = new FakeWorld();
    for (let i = 0; i < 20; i++) world.failures.push({ at: 'statement', error: ydb(Code.ABORTED) });
    await expect(
      runTransaction(
        world,
        {
          mode: 'serializableReadWrite',
          idempotent: false,
          signal: AbortSignal.timeout(5000),
          sleep: noSleep,
          maxAttempts: 4,
        },
        twoStatements,
      ),
    ).rejects.toMatchObject({ code: Code.ABORTED });
    expect(runs).toBe(4);
  });

  it('stops retrying when its deadline passes', async () => {
    const world = new FakeWorld();
    for (let i = 0; i < 1000; i++) world.failures.push({ at: 'statement', error: ydb(Code.OVERLOADED) });
    const controller = new AbortController();
    const sleep = async () => {
      if (runs >= 3) controller.abort(new Error('deadline'));
    };
    await expect(
      runTransaction(
        world,
        { mode: 'serializableReadWrite', idempotent: false, signal: controller.signal, sleep },
        twoStatements,
      ),
    ).rejects.toThrow();
    expect(runs).toBe(3);
  });

  it('sends the statements of one attempt one at a time, even when the work races them', async () => {
    const world = new FakeWorld();
    await runTransaction(
      world,
      { mode: 'serializableReadWrite', idempotent: false, signal: AbortSignal.timeout(5000) },
      (sql) => Promise.all([sql.query('A'), sql.query('B'), sql.query('C')]),
    );
    expect(world.log.filter((line) => line.includes('begin'))).toHaveLength(1);
  });

  it('runs a schema statement outside any transaction and retries it while YDB says nothing happened', async () => {
    const world = new FakeWorld();
    world.failures.push({ at: 'statement', error: ydb(Code.OVERLOADED) });
    await runSchemeStatement(
      world,
      'CREATE TABLE IF NOT EXISTS x (a Utf8, PRIMARY KEY (a))',
      AbortSignal.timeout(5000),
      {
        sleep: noSleep,
      },
    );
    expect(world.log).toEqual([
      's1 none: CREATE TABLE IF NOT EXISTS x (a Utf8, PRIMARY KEY (a))',
      's1 none: CREATE TABLE IF NOT EXISTS x (a Utf8, PRIMARY KEY (a))',
    ]);
  });

  it('classifies by the statuses YDB documents', () => {
    expect(retryability(ydb(Code.ABORTED), 'commit')).toBe('always');
    expect(retryability(ydb(Code.UNDETERMINED), 'commit')).toBe('if-idempotent');
    expect(retryability(ydb(Code.UNDETERMINED), 'statement')).toBe('always');
    expect(retryability(ydb(Code.SCHEME_ERROR), 'statement')).toBe('never');
    expect(retryability(new Error('app'), 'statement')).toBe('never');
  });
});
