import { AsyncLocalStorage } from 'node:async_hooks';
import Database from 'better-sqlite3';
import { AppError } from '../../errors';
import type { Repositories, Store, TransactionOptions } from '../port';
import { newTransactionOwner } from '../port';
import { migrateSqlite } from './migrations';
import { sqliteAudit } from './repositories/audit';
import { sqliteClaims } from './repositories/claims';
import { sqliteCounters } from './repositories/counters';
import { sqliteDeliveries } from './repositories/deliveries';
import { sqliteDialogs } from './repositories/dialogs';
import { sqliteEvents } from './repositories/events';
import { sqliteJobs } from './repositories/jobs';
import { sqliteNotifications } from './repositories/notifications';
import { sqliteSurveys } from './repositories/surveys';
import { sqliteTickets } from './repositories/tickets';
import { sqliteUsers } from './repositories/users';
import { sqliteStatements } from './sql';

/**
 * The embedded store: a real SQLite file (or `:memory:` in tests) behind the same port as YDB.
 *
 * better-sqlite3 is synchronous and this process has one connection, so transactions are serialized
 * by an async mutex: while one is open (awaiting between statements) no other work may touch the
 * connection, or it would see uncommitted rows. Reads go through the same mutex.
 */
export class SqliteStore implements Store {
  readonly db: Database.Database;
  readonly #repositories: Repositories;
  #tail: Promise<unknown> = Promise.resolve();
  /** The owner claims are recorded with: the running transaction call's. */
  #owner = '';
  readonly #inTransaction = new AsyncLocalStorage<true>();

  constructor(filename = ':memory:') {
    this.db = new Database(filename);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    migrateSqlite(this.db);
    this.#repositories = createRepositories(this.db, () => this.#owner);
  }

  /** SQLite commits locally or not at all, so no attempt is ever re-run: `idempotent` changes nothing. */
  transaction<T>(
    work: (repositories: Repositories) => Promise<T>,
    _options?: TransactionOptions,
  ): Promise<T> {
    return this.attempt(work, newTransactionOwner());
  }

  /**
   * One attempt of a transaction under a given owner. `transaction` uses a fresh owner per call;
   * tests that replay what YDB does after an unknown commit run the same work twice under one owner.
   */
  attempt<T>(
    work: (repositories: Repositories) => Promise<T>,
    owner: string,
    mode: 'write' | 'read' = 'write',
  ): Promise<T> {
    return this.#exclusive(async () => {
      this.#owner = owner;
      // A read takes no write lock: with WAL it reads a snapshot while other processes write.
      this.db.exec(mode === 'write' ? 'BEGIN IMMEDIATE' : 'BEGIN DEFERRED');
      try {
        const result = await work(this.#repositories);
        this.db.exec('COMMIT');
        return result;
      } catch (error) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw error;
      }
    });
  }

  read<T>(work: (repositories: Repositories) => Promise<T>): Promise<T> {
    return this.attempt(work, newTransactionOwner(), 'read');
  }

  async ping(): Promise<void> {
    await this.#exclusive(async () => this.db.prepare('SELECT 1').get());
  }

  async close(): Promise<void> {
    await this.#exclusive(async () => this.db.close());
  }

  #exclusive<T>(work: () => Promise<T>): Promise<T> {
    if (this.#inTransaction.getStore()) {
      // A nested call would wait for itself forever; fail loudly instead.
      return Promise.reject(
        new AppError('nested_transaction', 'a store call inside a transaction: use its repositories'),
      );
    }
    const run = this.#tail.then(() => this.#inTransaction.run(true, work));
    this.#tail = run.catch(() => {});
    return run;
  }
}

/** The repositories over the store's connection; `owner` gives the owner recorded on the claims they take. */
function createRepositories(db: Database.Database, owner: () => string): Repositories {
  const sql = sqliteStatements(db);
  return {
    users: sqliteUsers(sql),
    dialogs: sqliteDialogs(sql),
    tickets: sqliteTickets(sql),
    events: sqliteEvents(sql),
    notifications: sqliteNotifications(sql),
    deliveries: sqliteDeliveries(sql),
    surveys: sqliteSurveys(sql),
    claims: sqliteClaims(sql, owner),
    jobs: sqliteJobs(sql),
    audit: sqliteAudit(sql),
    counters: sqliteCounters(sql),
  };
}
