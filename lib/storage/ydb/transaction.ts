import { StatusIds_StatusCode as Code } from '@ydbjs/api/operation';
import { YDBError } from '@ydbjs/error';
import { UndeterminedCommitError } from '../port';
import type { Params, Row, Statements } from './statement';

export type TxMode = 'serializableReadWrite' | 'snapshotReadOnly';

/** How a statement relates to a transaction: start one, continue one, or run outside any (DDL). */
export type TxControl = { begin: TxMode } | { txId: string } | null;

/** One attached YDB session, as the transaction loop uses it (a fake in the unit tests). */
export interface Session {
  execute(
    text: string,
    params: Params,
    tx: TxControl,
    signal: AbortSignal,
  ): Promise<{ resultSets: Row[][]; txId?: string }>;
  commit(txId: string, signal: AbortSignal): Promise<void>;
  rollback(txId: string): Promise<void>;
}

/** Where sessions come from: one kept warm and reused, a broken one thrown away. */
export interface SessionSource<S extends Session = Session> {
  acquire(signal: AbortSignal): Promise<S>;
  release(session: S, reusable: boolean): Promise<void>;
}

/**
 * Whether a failed attempt may be run again from its start:
 * - `always`: YDB says nothing was applied (or the commit was never sent);
 * - `if-idempotent`: the commit was sent and its outcome is unknown, so the first attempt may have
 *   committed; only work that recognises its own earlier commit (a claim with its owner) may re-run;
 * - `never`: the statement or the work itself is wrong, and would fail again.
 */
export type Retryability = 'always' | 'if-idempotent' | 'never';

const applyNothing = new Set<number>([
  Code.ABORTED,
  Code.UNAVAILABLE,
  Code.OVERLOADED,
  Code.BAD_SESSION,
  Code.SESSION_BUSY,
]);
const outcomeUnknown = new Set<number>([Code.UNDETERMINED, Code.TIMEOUT, Code.SESSION_EXPIRED]);
/** gRPC statuses of the transport (nice-grpc's ClientError): CANCELLED, UNKNOWN, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED, INTERNAL, UNAVAILABLE. */
const transientTransport = new Set<number>([1, 2, 4, 8, 10, 13, 14]);
/** Statuses after which the session itself is suspect: it is deleted, not reused. */
const sessionSuspect = new Set<number>([Code.BAD_SESSION, Code.SESSION_BUSY, Code.SESSION_EXPIRED]);

function isTransportError(error: unknown): error is Error & { code: number } {
  return (
    error instanceof Error &&
    error.name === 'ClientError' &&
    typeof (error as { code?: unknown }).code === 'number'
  );
}

/**
 * Classifies a failure by YDB's documented semantics and by where it happened. Before the commit is
 * sent nothing of the transaction is durable, so any transient failure allows a full re-run; at the
 * commit only the statuses YDB defines as "not applied" do.
 */
export function retryability(error: unknown, phase: 'statement' | 'commit'): Retryability {
  if (error instanceof YDBError) {
    if (applyNothing.has(error.code)) return 'always';
    if (outcomeUnknown.has(error.code)) return phase === 'statement' ? 'always' : 'if-idempotent';
    return 'never';
  }
  if (isTransportError(error) && transientTransport.has(error.code)) {
    return phase === 'statement' ? 'always' : 'if-idempotent';
  }
  return 'never';
}

/** Whether the session that saw `error` may serve the next transaction. */
export function sessionReusable(error: unknown): boolean {
  if (error instanceof YDBError) return !sessionSuspect.has(error.code);
  return !isTransportError(error);
}

/** Delay before attempt `attempt + 1`: conflicts retry at once, overload backs off (full jitter). */
export function backoffMs(error: unknown, attempt: number, random: () => number = Math.random): number {
  const slow =
    (error instanceof YDBError && (error.code === Code.OVERLOADED || error.code === Code.UNAVAILABLE)) ||
    (isTransportError(error) && (error.code === 8 || error.code === 14));
  const base = slow ? 50 : 5;
  const cap = slow ? 1000 : 100;
  if (!slow && attempt === 1) return 0;
  return Math.floor(random() * Math.min(cap, base * 2 ** (attempt - 1)));
}

export interface TransactionSettings {
  mode: TxMode;
  /**
   * True only where the work recognises its own earlier commit (it starts with a claim that records
   * its owner): then an unknown commit outcome is retried. Everything else fails instead, and the
   * platform's retry of the whole invocation meets the keys the first attempt committed.
   */
  idempotent: boolean;
  signal: AbortSignal;
  /** At most this many attempts; the signal bounds them too. */
  maxAttempts?: number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Told of each attempt that will be re-run (for the log). */
  onRetry?: (info: { attempt: number; error: unknown; delayMs: number }) => void;
}

const sleepWithSignal = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (ms <= 0) return resolve();
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });

/**
 * Runs `work` as one YDB transaction and commits it, re-running the whole of it — a new
 * transaction, from the first statement — on the failures `retryability` allows. A statement never
 * retries by itself: inside a transaction that YDB aborted it would only fail again (or, with the
 * SDK's per-query retry, spin until the deadline), and outside it would run unguarded.
 *
 * The transaction begins with its first statement (`beginTx` in its control) and ends with an
 * explicit commit: one round trip per statement plus the commit, on a session that is reused.
 */
export async function runTransaction<T, S extends Session>(
  sessions: SessionSource<S>,
  settings: TransactionSettings,
  work: (statements: Statements) => Promise<T>,
): Promise<T> {
  const maxAttempts = settings.maxAttempts ?? 10;
  const sleep = settings.sleep ?? sleepWithSignal;
  for (let attempt = 1; ; attempt++) {
    settings.signal.throwIfAborted();
    const session = await sessions.acquire(settings.signal);
    const attemptRun = new Attempt(session, settings.mode, settings.signal);
    let phase: 'statement' | 'commit' = 'statement';
    try {
      const result = await work(attemptRun);
      phase = 'commit';
      await attemptRun.commit();
      await sessions.release(session, true);
      return result;
    } catch (error) {
      if (phase === 'statement') await attemptRun.rollbackQuietly();
      await sessions.release(session, sessionReusable(error));
      const verdict = retryability(error, phase);
      if (verdict === 'if-idempotent' && !settings.idempotent) throw new UndeterminedCommitError(error);
      if (verdict === 'never' || attempt >= maxAttempts || settings.signal.aborted) throw error;
      const delayMs = backoffMs(error, attempt);
      settings.onRetry?.({ attempt, error, delayMs });
      await sleep(delayMs, settings.signal);
    }
  }
}

/** One attempt's transaction: begun by its first statement, statements strictly one at a time. */
class Attempt implements Statements {
  #txId: string | undefined;
  #tail: Promise<unknown> = Promise.resolve();
  readonly #session: Session;
  readonly #mode: TxMode;
  readonly #signal: AbortSignal;

  constructor(session: Session, mode: TxMode, signal: AbortSignal) {
    this.#session = session;
    this.#mode = mode;
    this.#signal = signal;
  }

  query(text: string, params: Params = {}): Promise<Row[][]> {
    // Serialised: two statements racing to be "first" would begin two transactions.
    const run = this.#tail.then(async () => {
      const tx: TxControl = this.#txId ? { txId: this.#txId } : { begin: this.#mode };
      const result = await this.#session.execute(text, params, tx, this.#signal);
      if (!this.#txId) {
        if (!result.txId) throw new Error('YDB began no transaction for the first statement');
        this.#txId = result.txId;
      }
      return result.resultSets;
    });
    this.#tail = run.catch(() => {});
    return run;
  }

  async commit(): Promise<void> {
    await this.#tail;
    if (this.#txId) await this.#session.commit(this.#txId, this.#signal);
  }

  async rollbackQuietly(): Promise<void> {
    await this.#tail;
    if (!this.#txId) return;
    try {
      await this.#session.rollback(this.#txId);
    } catch {
      // The transaction dies with its session or by YDB's own timeout; nothing was committed.
    }
  }
}

/**
 * Runs one schema statement (DDL) outside any transaction. Every statement the migrations send is
 * safe to repeat (`IF NOT EXISTS`, or an ALTER whose "already exists" counts as done), so any
 * transient failure is retried.
 */
export async function runSchemeStatement<S extends Session>(
  sessions: SessionSource<S>,
  text: string,
  signal: AbortSignal,
  options: { maxAttempts?: number; sleep?: TransactionSettings['sleep'] } = {},
): Promise<void> {
  const sleep = options.sleep ?? sleepWithSignal;
  for (let attempt = 1; ; attempt++) {
    const session = await sessions.acquire(signal);
    try {
      await session.execute(text, {}, null, signal);
      await sessions.release(session, true);
      return;
    } catch (error) {
      await sessions.release(session, sessionReusable(error));
      if (retryability(error, 'statement') === 'never' || attempt >= (options.maxAttempts ?? 5)) throw error;
      await sleep(backoffMs(error, attempt), signal);
    }
  }
}
