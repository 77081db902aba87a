import { create } from '@bufbuild/protobuf';
import { StatusIds_StatusCode as Code } from '@ydbjs/api/operation';
import {
  ExecMode,
  QueryServiceDefinition,
  StatsMode,
  Syntax,
  TransactionControlSchema,
} from '@ydbjs/api/query';
import { TypedValueSchema } from '@ydbjs/api/value';
import type { Driver } from '@ydbjs/core';
import { YDBError } from '@ydbjs/error';
import { fromYdb, toJs } from '@ydbjs/value';
import { type Params, type Row, renderStatement } from './statement';
import type { Session, SessionSource, TxControl } from './transaction';

/** Counts of the calls made to YDB, by kind: what the README's round-trip figures come from. */
export interface RoundTrips {
  createSession: number;
  attachSession: number;
  executeQuery: number;
  commitTransaction: number;
  rollbackTransaction: number;
  deleteSession: number;
}

export const noRoundTrips = (): RoundTrips => ({
  createSession: 0,
  attachSession: 0,
  executeQuery: 0,
  commitTransaction: 0,
  rollbackTransaction: 0,
  deleteSession: 0,
});

/**
 * A Query-service session on the driver: created, attached (YDB keeps a session alive only while
 * its attach stream is open, and ends the stream when it drops the session), and deleted when let
 * go. The calls are the ones `@ydbjs/query` makes; what differs is that the session outlives one
 * transaction and that no statement retries by itself (see `runTransaction`).
 */
export class DriverSession implements Session {
  broken = false;
  readonly #client: ReturnType<typeof queryClient>;
  readonly #sessionId: string;
  readonly #attach: AbortController;
  readonly #trips: RoundTrips;

  private constructor(
    client: ReturnType<typeof queryClient>,
    sessionId: string,
    attach: AbortController,
    trips: RoundTrips,
  ) {
    this.#client = client;
    this.#sessionId = sessionId;
    this.#attach = attach;
    this.#trips = trips;
  }

  static async open(driver: Driver, signal: AbortSignal, trips: RoundTrips): Promise<DriverSession> {
    trips.createSession++;
    const created = await queryClient(driver).createSession({}, { signal });
    if (created.status !== Code.SUCCESS) throw new YDBError(created.status, created.issues);
    const client = queryClient(driver, created.nodeId);
    // The attach stream lives as long as the session, not as the call that opened it.
    const attach = new AbortController();
    const stopAttach = () => attach.abort(signal.reason);
    signal.addEventListener('abort', stopAttach, { once: true });
    trips.attachSession++;
    const states = client
      .attachSession({ sessionId: created.sessionId }, { signal: attach.signal })
      [Symbol.asyncIterator]();
    try {
      const first = await states.next();
      if (first.done || first.value.status !== Code.SUCCESS) {
        throw new YDBError(
          first.done ? Code.BAD_SESSION : first.value.status,
          first.done ? [] : first.value.issues,
        );
      }
    } catch (error) {
      attach.abort();
      throw error;
    } finally {
      signal.removeEventListener('abort', stopAttach);
    }
    const session = new DriverSession(client, created.sessionId, attach, trips);
    void (async () => {
      try {
        for (;;) {
          const state = await states.next();
          if (state.done || state.value.status !== Code.SUCCESS) break;
        }
      } catch {
        // The stream broke (network, driver closed): the session is gone with it.
      }
      session.broken = true;
    })();
    return session;
  }

  async execute(
    text: string,
    params: Params,
    tx: TxControl,
    signal: AbortSignal,
  ): Promise<{ resultSets: Row[][]; txId?: string }> {
    const parameters: Record<string, ReturnType<typeof typedValue>> = {};
    for (const [name, value] of Object.entries(params)) parameters[name] = typedValue(value);
    const txControl =
      tx === null
        ? undefined
        : 'txId' in tx
          ? create(TransactionControlSchema, { txSelector: { case: 'txId', value: tx.txId } })
          : create(TransactionControlSchema, {
              commitTx: false,
              txSelector: { case: 'beginTx', value: { txMode: { case: tx.begin, value: {} } } },
            });
    this.#trips.executeQuery++;
    const parts = this.#client.executeQuery(
      {
        sessionId: this.#sessionId,
        execMode: ExecMode.EXECUTE,
        query: {
          case: 'queryContent',
          value: { syntax: Syntax.YQL_V1, text: renderStatement(text, params) },
        },
        parameters,
        statsMode: StatsMode.UNSPECIFIED,
        ...(txControl ? { txControl } : {}),
      },
      { signal },
    );
    const resultSets: Row[][] = [];
    let txId: string | undefined;
    for await (const part of parts) {
      if (part.status !== Code.SUCCESS) throw new YDBError(part.status, part.issues);
      if (part.txMeta?.id) txId = part.txMeta.id;
      const set = part.resultSet;
      if (!set) continue;
      const index = Number(part.resultSetIndex);
      while (resultSets.length <= index) resultSets.push([]);
      const target = resultSets[index] as Row[];
      for (const row of set.rows) {
        const converted: Row = {};
        set.columns.forEach((column, i) => {
          const cell = row.items[i];
          if (cell && column.type) converted[column.name] = toJs(fromYdb(cell, column.type));
        });
        target.push(converted);
      }
    }
    return txId === undefined ? { resultSets } : { resultSets, txId };
  }

  async commit(txId: string, signal: AbortSignal): Promise<void> {
    this.#trips.commitTransaction++;
    const result = await this.#client.commitTransaction({ sessionId: this.#sessionId, txId }, { signal });
    if (result.status !== Code.SUCCESS) throw new YDBError(result.status, result.issues);
  }

  async rollback(txId: string): Promise<void> {
    this.#trips.rollbackTransaction++;
    const result = await this.#client.rollbackTransaction(
      { sessionId: this.#sessionId, txId },
      { signal: AbortSignal.timeout(2000) },
    );
    if (result.status !== Code.SUCCESS) throw new YDBError(result.status, result.issues);
  }

  /**
   * Deletes the session (waiting at most a second for YDB's answer), then ends its attach stream.
   * The delete goes first: the driver's channel closes right after the store's, and a session left
   * to the attach stream's end alone may linger on the server until its idle timeout.
   */
  async close(): Promise<void> {
    if (this.broken) return this.#attach.abort();
    this.broken = true;
    this.#trips.deleteSession++;
    try {
      await this.#client.deleteSession({ sessionId: this.#sessionId }, { signal: AbortSignal.timeout(1000) });
    } catch {
      // YDB drops it with its attach stream, ended below.
    }
    this.#attach.abort();
  }
}

function queryClient(driver: Driver, nodeId?: bigint) {
  return driver.createClient(QueryServiceDefinition, nodeId);
}

function typedValue(value: Params[string]) {
  return create(TypedValueSchema, { type: value.type.encode(), value: value.encode() });
}

/**
 * Sessions of one driver: one kept idle for the next transaction (an invocation runs several, one
 * after another), a suspect one deleted. Closing deletes the idle session.
 */
export class DriverSessions implements SessionSource<DriverSession> {
  readonly trips: RoundTrips = noRoundTrips();
  readonly #driver: Driver;
  readonly #idle: DriverSession[] = [];
  readonly #maxIdle: number;

  constructor(driver: Driver, options: { maxIdle?: number } = {}) {
    this.#driver = driver;
    this.#maxIdle = options.maxIdle ?? 2;
  }

  async acquire(signal: AbortSignal): Promise<DriverSession> {
    for (let session = this.#idle.pop(); session; session = this.#idle.pop()) {
      if (!session.broken) return session;
    }
    await this.#driver.ready(signal);
    return DriverSession.open(this.#driver, signal, this.trips);
  }

  async release(session: DriverSession, reusable: boolean): Promise<void> {
    if (reusable && !session.broken && this.#idle.length < this.#maxIdle) this.#idle.push(session);
    else void session.close(); // a retry need not wait for the old session's delete
  }

  async close(): Promise<void> {
    await Promise.all(this.#idle.splice(0).map((session) => session.close()));
  }
}
