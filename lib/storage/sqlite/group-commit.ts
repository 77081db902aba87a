import type { AsyncLocalStorage } from 'node:async_hooks';
import type Database from 'better-sqlite3';

/** Most members one commit takes: bounds how long another process waits for the file's write lock. */
const MAX_GROUP = 64;
/** How long a write waits for another process's write lock before it fails (as `busy_timeout` did). */
export const LOCK_TIMEOUT_MS = 5000;

export type LaneMode = 'write' | 'read';

/** Members run under one `BEGIN … COMMIT`, all of one mode. */
interface Group {
  mode: LaneMode;
  members: Member[];
}

interface Member {
  run: () => Promise<unknown>;
  mode: LaneMode;
  urgent: boolean;
  owner: string;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * The connection's transactions, taking turns: while one is open (awaiting between statements) no
 * other work may touch the connection.
 *
 * Group commit: the transactions that queued up while one ran go together under one `BEGIN … COMMIT`,
 * each in a savepoint of its own. A member that throws is rolled back to its savepoint alone; the
 * others commit; each caller is answered only once the commit is done (or failed, for all of them).
 * Under a burst this turns hundreds of lock round trips with the file into a few. A caller sees its
 * own writes once it has awaited them; calls made together and not awaited may be answered in another
 * order (reads go first), as with any database with concurrent clients.
 */
export class GroupCommitLane {
  readonly #db: Database.Database;
  readonly #inTransaction: AsyncLocalStorage<true>;
  /** Told the owner of the member about to run (claims record it). */
  readonly #setOwner: (owner: string) => void;
  readonly #waiting: Member[] = [];
  #draining: Promise<void> | null = null;
  #scheduled = false;
  /** The mode of the last group taken: reads never go twice in a row while writes wait. */
  #lastMode: LaneMode | null = null;
  /** When this lane last found the file's write lock taken (another process writes too). */
  #lockContendedAt = 0;

  constructor(
    db: Database.Database,
    inTransaction: AsyncLocalStorage<true>,
    setOwner: (owner: string) => void,
  ) {
    this.#db = db;
    this.#inTransaction = inTransaction;
    this.#setOwner = setOwner;
  }

  run<T>(work: () => Promise<T>, mode: LaneMode, owner: string, urgent = false): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#waiting.push({
        run: work,
        mode,
        urgent,
        owner,
        resolve: resolve as (value: unknown) => void,
        reject,
      });
      this.#drainSoon();
    });
  }

  /** Resolves once everything asked for so far is done. */
  async idle(): Promise<void> {
    while (this.#draining || this.#scheduled || this.#waiting.length > 0)
      await (this.#draining ?? new Promise((resolve) => setImmediate(resolve)));
  }

  /**
   * Starts the next group once this turn of the event loop is over, so that the transactions asked
   * for by everything that woke up together (a burst of requests read at once) share one commit.
   */
  #drainSoon(): void {
    if (this.#draining || this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#drain();
    });
  }

  /** Runs the waiting members group by group; whoever arrives while a group runs joins the next. */
  #drain(): void {
    if (this.#draining) return;
    this.#draining = (async () => {
      let wrote = false;
      while (this.#waiting.length > 0) {
        const group = this.#nextGroup();
        // Between two write groups, while another process wants the lock too (it asks every
        // millisecond), a moment for it: otherwise a busy process could hold the file for a whole burst.
        const writes = group.mode === 'write';
        if (wrote && writes && Date.now() - this.#lockContendedAt < 1000)
          await new Promise((resolve) => setTimeout(resolve, 1));
        wrote = writes;
        await this.#commitGroup(group);
      }
    })().finally(() => {
      this.#draining = null;
      // Whoever queued between the loop's last look and now would otherwise wait forever.
      if (this.#waiting.length > 0) this.#drainSoon();
    });
  }

  /**
   * The members of the next group: up to `MAX_GROUP` of one mode. Reads go apart from writes: with
   * WAL they need no lock, so they run while another process writes, and they are short. They go
   * first, but never twice in a row while writes wait: a stream of reads can't hold writes off.
   */
  #nextGroup(): Group {
    // A short transaction others wait on (a rate gate's slot) goes ahead of everything.
    if (this.#waiting.some((member) => member.urgent)) return this.#take((member) => member.urgent, 'write');
    const readsWait = this.#waiting.some((member) => member.mode === 'read');
    const writesWait = this.#waiting.some((member) => member.mode === 'write');
    const mode: LaneMode = readsWait && !(writesWait && this.#lastMode === 'read') ? 'read' : 'write';
    return this.#take((member) => member.mode === mode, mode);
  }

  /** Up to `MAX_GROUP` waiting members that `matches` picks, run as one group of `mode`. */
  #take(matches: (member: Member) => boolean, mode: LaneMode): Group {
    this.#lastMode = mode;
    const group: Member[] = [];
    const rest: Member[] = [];
    for (const member of this.#waiting) {
      if (matches(member) && group.length < MAX_GROUP) group.push(member);
      else rest.push(member);
    }
    this.#waiting.splice(0, this.#waiting.length, ...rest);
    return { mode, members: group };
  }

  async #commitGroup({ mode, members: group }: Group): Promise<void> {
    const db = this.#db;
    try {
      if (mode === 'write') await this.#beginImmediate();
      else db.exec('BEGIN DEFERRED');
    } catch (error) {
      for (const member of group) member.reject(error);
      return;
    }
    const committed: Array<{ member: Member; value: unknown }> = [];
    // Savepoints only where a member's failure must leave others' writes: reads write nothing, and a
    // lone writer that fails takes the whole transaction back with it.
    // The group's own mode: `#beginImmediate` may run a read group meanwhile, which moves `#lastMode`.
    const isolate = mode === 'write' && group.length > 1;
    const alone = mode === 'write' && !isolate;
    for (const [index, member] of group.entries()) {
      if (isolate) db.exec('SAVEPOINT member');
      this.#setOwner(member.owner);
      try {
        const value = await this.#inTransaction.run(true, member.run);
        if (isolate) db.exec('RELEASE member');
        committed.push({ member, value });
      } catch (error) {
        member.reject(error);
        if (alone) {
          if (db.inTransaction) db.exec('ROLLBACK');
          return;
        }
        if (!isolate) continue; // a read: nothing to undo
        if (db.inTransaction) {
          db.exec('ROLLBACK TO member');
          db.exec('RELEASE member');
          continue;
        }
        // SQLite rolled the whole transaction back (a full disk, an I/O error): what the members
        // before this one did is gone too. The rest wait for the next group.
        for (const done of committed) done.member.reject(error);
        this.#waiting.unshift(...group.slice(index + 1));
        return;
      }
    }
    try {
      db.exec('COMMIT');
    } catch (error) {
      if (db.inTransaction) db.exec('ROLLBACK');
      for (const done of committed) done.member.reject(error);
      return;
    }
    for (const done of committed) done.member.resolve(done.value);
  }

  /**
   * `BEGIN IMMEDIATE`, waiting for another process's write lock without blocking the event loop:
   * SQLite's own busy handler sleeps in the thread, and this process would serve nothing meanwhile.
   */
  async #beginImmediate(): Promise<void> {
    const db = this.#db;
    const giveUpAt = Date.now() + LOCK_TIMEOUT_MS;
    for (let attempt = 0; ; attempt++) {
      // No busy timeout for this one statement only: reads and commits keep SQLite's own.
      db.pragma('busy_timeout = 0');
      try {
        db.exec('BEGIN IMMEDIATE');
        return;
      } catch (error) {
        if ((error as { code?: unknown }).code !== 'SQLITE_BUSY' || Date.now() >= giveUpAt) throw error;
        this.#lockContendedAt = Date.now();
      } finally {
        db.pragma(`busy_timeout = ${LOCK_TIMEOUT_MS}`);
      }
      // While the lock is someone else's, the reads that came meanwhile need not wait for it.
      if (this.#waiting.some((member) => member.mode === 'read')) {
        await this.#commitGroup(this.#nextGroup());
        continue;
      }
      await new Promise((resolve) => setTimeout(resolve, attempt < 1000 ? 1 : 5));
    }
  }
}
