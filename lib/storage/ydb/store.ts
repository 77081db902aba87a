import type { CredentialsProvider } from '@ydbjs/auth';
import { Driver } from '@ydbjs/core';
import type { Repositories, Store, TransactionOptions } from '../port';
import { newTransactionOwner } from '../port';
import { ydbActivity, ydbNps } from './repositories/analytics';
import { ydbAudit } from './repositories/audit';
import { ydbBroadcasts, ydbMessageSubscriptions } from './repositories/broadcasts';
import { ydbClaims } from './repositories/claims';
import { ydbCounters } from './repositories/counters';
import { ydbDeliveries } from './repositories/deliveries';
import { ydbDialogs } from './repositories/dialogs';
import { ydbEvents } from './repositories/events';
import { ydbJobs } from './repositories/jobs';
import { ydbJourneys } from './repositories/journeys';
import { ydbNotifications } from './repositories/notifications';
import { ydbShifts } from './repositories/shifts';
import { ydbSurveys } from './repositories/surveys';
import { ydbTicketSearch } from './repositories/ticket-search';
import { ydbTickets } from './repositories/tickets';
import { ydbUsers } from './repositories/users';
import { DriverSessions } from './session';
import type { Sql } from './sql';
import type { Statements } from './statement';
import { runSchemeStatement, runTransaction } from './transaction';

export interface YdbStoreOptions {
  connectionString: string;
  credentialsProvider?: CredentialsProvider;
  /** Bounds every transaction, its retries included. */
  timeoutMs: number;
  /** How long the driver waits for a connection (default: `timeoutMs`). */
  connectTimeoutMs?: number;
  /**
   * Discovery is off by default: a function instance is frozen between calls, and a driver that
   * kept background discovery and pooled channels across a freeze hangs (YDB's serverless example).
   */
  enableDiscovery?: boolean;
  /** Prefixes the owner recorded on claims, e.g. the invocation's request id (for the log). */
  ownerPrefix?: string;
  /** Told of each transaction attempt that is run again. */
  onRetry?: (info: { attempt: number; error: unknown; delayMs: number }) => void;
}

/**
 * The production store on YDB. Every read-write transaction is serializable with optimistic locks:
 * a conflict aborts it and `runTransaction` runs the work again from its start, which is why `work`
 * must not call out. One session serves the transactions of the store's life, one after another.
 */
export class YdbStore implements Store {
  readonly driver: Driver;
  readonly sessions: DriverSessions;
  readonly #timeoutMs: number;
  readonly #ownerPrefix: string;
  readonly #onRetry: YdbStoreOptions['onRetry'];

  constructor(options: YdbStoreOptions) {
    this.driver = new Driver(options.connectionString, {
      ...(options.credentialsProvider ? { credentialsProvider: options.credentialsProvider } : {}),
      'ydb.sdk.enable_discovery': options.enableDiscovery ?? false,
      'ydb.sdk.ready_timeout_ms': options.connectTimeoutMs ?? options.timeoutMs,
      // No gRPC service config from DNS TXT records: one lookup less per connection, and no
      // weighted_round_robin balancer, which would need the @grpc/proto-loader the bundle leaves out.
      channelOptions: { 'grpc.service_config_disable_resolution': 1 },
    });
    this.sessions = new DriverSessions(this.driver);
    this.#timeoutMs = options.timeoutMs;
    this.#ownerPrefix = options.ownerPrefix ?? '';
    this.#onRetry = options.onRetry;
  }

  transaction<T>(
    work: (repositories: Repositories) => Promise<T>,
    options: TransactionOptions = {},
  ): Promise<T> {
    // One owner for every attempt of this call: a re-run after an unknown commit finds its own claims.
    const owner = newTransactionOwner(this.#ownerPrefix);
    return runTransaction(
      this.sessions,
      {
        mode: 'serializableReadWrite',
        idempotent: options.idempotent ?? false,
        signal: this.#signal(options),
        ...(this.#onRetry ? { onRetry: this.#onRetry } : {}),
      },
      (statements) => work(createRepositories(statements, owner)),
    );
  }

  read<T>(work: (repositories: Repositories) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    // A snapshot read changes nothing, so re-running it is always safe.
    const owner = newTransactionOwner(this.#ownerPrefix);
    return runTransaction(
      this.sessions,
      { mode: 'snapshotReadOnly', idempotent: true, signal: this.#signal(options) },
      (statements) => work(createRepositories(statements, owner)),
    );
  }

  async ping(options: TransactionOptions = {}): Promise<void> {
    await this.read((repositories) => repositories.users.get(0), options);
  }

  /** Runs raw statements in one read-write transaction (ops: the migrations' bookkeeping). */
  statements<T>(work: (sql: Statements) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    return runTransaction(
      this.sessions,
      {
        mode: 'serializableReadWrite',
        idempotent: options.idempotent ?? false,
        signal: this.#signal(options),
      },
      work,
    );
  }

  /** Runs a schema statement (DDL) outside any transaction, retried while YDB says nothing happened. */
  async scheme(text: string, options: { timeoutMs?: number } = {}): Promise<void> {
    await runSchemeStatement(this.sessions, text, AbortSignal.timeout(options.timeoutMs ?? this.#timeoutMs));
  }

  async close(): Promise<void> {
    await this.sessions.close(); // before the channel closes, or the delete never leaves
    this.driver.close();
  }

  #signal(options: TransactionOptions): AbortSignal {
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    return options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  }
}

/** The repositories over one transaction's statements; `owner` is recorded on the claims they take. */
export function createRepositories(sql: Sql, owner: string): Repositories {
  return {
    users: ydbUsers(sql),
    dialogs: ydbDialogs(sql),
    tickets: ydbTickets(sql),
    ticketSearch: ydbTicketSearch(sql),
    events: ydbEvents(sql),
    notifications: ydbNotifications(sql),
    deliveries: ydbDeliveries(sql),
    surveys: ydbSurveys(sql),
    claims: ydbClaims(sql, owner),
    jobs: ydbJobs(sql),
    audit: ydbAudit(sql),
    counters: ydbCounters(sql),
    shifts: ydbShifts(sql),
    journeys: ydbJourneys(sql),
    broadcasts: ydbBroadcasts(sql),
    messageSubscriptions: ydbMessageSubscriptions(sql),
    activity: ydbActivity(sql),
    nps: ydbNps(sql),
  };
}
