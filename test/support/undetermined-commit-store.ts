import {
  newTransactionOwner,
  type Repositories,
  type TransactionOptions,
  UndeterminedCommitError,
} from '../../lib/storage/port';
import { SqliteStore } from '../../lib/storage/sqlite/store';

/**
 * A real SQLite store whose armed transactions commit and then look failed, as a YDB commit does when
 * its answer is lost (UNDETERMINED, a timeout, a dropped connection). It then does what the YDB
 * adapter's `runTransaction` does: runs idempotent work again under the same owner, and fails
 * anything else with `UndeterminedCommitError`.
 */
export class UndeterminedCommitStore extends SqliteStore {
  /** Which transactions get the lost answer; each arming is used once. */
  readonly armed: Array<(options: TransactionOptions) => boolean> = [];
  /** How often the work of an armed transaction ran. */
  reruns = 0;

  override async transaction<T>(
    work: (repositories: Repositories) => Promise<T>,
    options: TransactionOptions = {},
  ): Promise<T> {
    const index = this.armed.findIndex((matches) => matches(options));
    if (index < 0) return super.transaction(work, options);
    this.armed.splice(index, 1);
    const owner = newTransactionOwner('undetermined');
    await this.attempt(work, owner);
    if (!options.idempotent) throw new UndeterminedCommitError(new Error('UNDETERMINED'));
    this.reruns++;
    return this.attempt(work, owner);
  }
}

class Aborted extends Error {}

/**
 * A real SQLite store whose transactions, while `conflicts` lasts, run their work once and roll it
 * back, as YDB does when a commit meets a conflict (ABORTED), then run it again: what the YDB
 * adapter's `runTransaction` does. Work that counts anything outside the store counts twice here.
 */
export class ConflictingStore extends SqliteStore {
  conflicts = 0;
  aborted = 0;

  override async transaction<T>(
    work: (repositories: Repositories) => Promise<T>,
    options: TransactionOptions = {},
  ): Promise<T> {
    if (this.conflicts <= 0) return super.transaction(work, options);
    this.conflicts--;
    const owner = newTransactionOwner('conflict');
    try {
      await this.attempt(async (repositories) => {
        await work(repositories);
        throw new Aborted('ABORTED');
      }, owner);
    } catch (error) {
      if (!(error instanceof Aborted)) throw error;
      this.aborted++;
    }
    return this.attempt(work, owner);
  }
}
