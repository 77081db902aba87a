import { AsyncLocalStorage } from 'node:async_hooks';
import Database from 'better-sqlite3';
import { AppError } from '../../errors';
import type { Repositories, Store, TransactionOptions } from '../port';
import { newTransactionOwner } from '../port';
import { GroupCommitLane, LOCK_TIMEOUT_MS } from './group-commit';
import { migrateSqlite } from './migrations';
import { sqliteActivity, sqliteNps } from './repositories/analytics';
import { sqliteAudit } from './repositories/audit';
import { sqliteBroadcasts, sqliteMessageSubscriptions } from './repositories/broadcasts';
import { sqliteClaims } from './repositories/claims';
import { sqliteCounters } from './repositories/counters';
import { sqliteDeliveries } from './repositories/deliveries';
import { sqliteDialogs } from './repositories/dialogs';
import { sqliteEvents } from './repositories/events';
import { sqliteJobs } from './repositories/jobs';
import { sqliteJourneys } from './repositories/journeys';
import { sqliteNotifications } from './repositories/notifications';
import { sqliteShifts } from './repositories/shifts';
import { sqliteSurveys } from './repositories/surveys';
import { sqliteTicketSearch } from './repositories/ticket-search';
import { sqliteTickets } from './repositories/tickets';
import { sqliteUsers } from './repositories/users';
import { sqliteStatements } from './sql';

/**
 * The embedded store: a real SQLite file (or `:memory:` in tests) behind the same port as YDB.
 *
 * better-sqlite3 is synchronous and this process has one connection, so its transactions take
 * turns, committed in groups (`GroupCommitLane`).
 */
export class SqliteStore implements Store {
  readonly db: Database.Database;
  readonly #lane: GroupCommitLane;
  readonly #repositories: Repositories;
  /** The owner claims are recorded with: the running member's. */
  #owner = '';
  readonly #inTransaction = new AsyncLocalStorage<true>();

  constructor(filename = ':memory:') {
    this.db = new Database(filename);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma(`busy_timeout = ${LOCK_TIMEOUT_MS}`);
    // Deleted rows are overwritten with zeros, not left in free pages: an erased user's data can't
    // be read back from the file (`afterErasure` clears the write-ahead log too).
    this.db.pragma('secure_delete = ON');
    migrateSqlite(this.db);
    this.#repositories = createRepositories(this.db, () => this.#owner);
    this.#lane = new GroupCommitLane(this.db, this.#inTransaction, (owner) => {
      this.#owner = owner;
    });
  }

  /** SQLite commits locally or not at all, so no attempt is ever re-run: `idempotent` changes nothing. */
  transaction<T>(
    work: (repositories: Repositories) => Promise<T>,
    options: TransactionOptions = {},
  ): Promise<T> {
    return this.attempt(work, newTransactionOwner(), 'write', options.urgent === true);
  }

  /**
   * One attempt of a transaction under a given owner. `transaction` uses a fresh owner per call;
   * tests that replay what YDB does after an unknown commit run the same work twice under one owner.
   */
  attempt<T>(
    work: (repositories: Repositories) => Promise<T>,
    owner: string,
    mode: 'write' | 'read' = 'write',
    urgent = false,
  ): Promise<T> {
    const nested = this.#refuseNested<T>();
    if (nested) return nested;
    return this.#lane.run(() => work(this.#repositories), mode, owner, urgent);
  }

  read<T>(work: (repositories: Repositories) => Promise<T>): Promise<T> {
    return this.attempt(work, newTransactionOwner(), 'read');
  }

  /**
   * Synchronous work on the connection itself, in its turn and committed with the group it joins:
   * the embedded queue's rows go through here, so they never land inside another caller's transaction.
   */
  withConnection<T>(mode: 'write' | 'read', work: (db: Database.Database) => T): Promise<T> {
    const nested = this.#refuseNested<T>();
    if (nested) return nested;
    return this.#lane.run(async () => work(this.db), mode, '');
  }

  /**
   * After an erasure has committed: the write-ahead log still holds the pages as they were before
   * it, so they are checkpointed into the (zeroed) file and the log truncated. Best effort while
   * another process reads the file: what it holds back is truncated at the next erasure's call.
   */
  async afterErasure(): Promise<void> {
    await this.#lane.idle();
    this.db.pragma('wal_checkpoint(TRUNCATE)');
  }

  async ping(): Promise<void> {
    await this.withConnection('read', (db) => db.prepare('SELECT 1').get());
  }

  async close(): Promise<void> {
    // What was asked for before the close is done first.
    await this.#lane.idle();
    this.db.close();
  }

  /** A nested call would wait for itself forever; it fails loudly instead. */
  #refuseNested<T>(): Promise<T> | null {
    if (!this.#inTransaction.getStore()) return null;
    return Promise.reject(
      new AppError('nested_transaction', 'a store call inside a transaction: use its repositories'),
    );
  }
}

/** The repositories over the store's connection; `owner` gives the owner recorded on the claims they take. */
function createRepositories(db: Database.Database, owner: () => string): Repositories {
  const sql = sqliteStatements(db);
  return {
    users: sqliteUsers(sql),
    dialogs: sqliteDialogs(sql),
    tickets: sqliteTickets(sql),
    ticketSearch: sqliteTicketSearch(sql),
    events: sqliteEvents(sql),
    notifications: sqliteNotifications(sql),
    deliveries: sqliteDeliveries(sql),
    surveys: sqliteSurveys(sql),
    claims: sqliteClaims(sql, owner),
    jobs: sqliteJobs(sql),
    audit: sqliteAudit(sql),
    counters: sqliteCounters(sql),
    shifts: sqliteShifts(sql),
    journeys: sqliteJourneys(sql),
    broadcasts: sqliteBroadcasts(sql),
    messageSubscriptions: sqliteMessageSubscriptions(sql),
    activity: sqliteActivity(sql),
    nps: sqliteNps(sql),
  };
}
