import {
  newTransactionOwner,
  type Repositories,
  type TransactionOptions,
  UndeterminedCommitError,
} from '../../lib/storage/port';
import { SqliteStore } from '../../lib/storage/sqlite/store';

/** What an armed predicate sees of a committed transaction: its options and the keys it claimed. */
export interface CommittedTransaction {
  options: TransactionOptions;
  claimKeys: string[];
}

/**
 * A real SQLite store whose armed transactions commit and then look failed, as a YDB commit does when
 * its answer is lost (UNDETERMINED, a timeout, a dropped connection). It then does what the YDB
 * adapter's `runTransaction` does: runs idempotent work again under the same owner, and fails
 * anything else with `UndeterminedCommitError`. A predicate picks the transaction by what it did.
 */
export class UndeterminedCommitStore extends SqliteStore {
  /** Which committed transactions get the lost answer; each arming is used once. */
  readonly armed: Array<(committed: CommittedTransaction) => boolean> = [];
  /** How often the work of an armed transaction ran. */
  reruns = 0;

  override async transaction<T>(
    work: (repositories: Repositories) => Promise<T>,
    options: TransactionOptions = {},
  ): Promise<T> {
    if (this.armed.length === 0) return super.transaction(work, options);
    const owner = newTransactionOwner('undetermined');
    const claimKeys: string[] = [];
    const result = await this.attempt(
      (repositories) =>
        work({
          ...repositories,
          claims: {
            ...repositories.claims,
            take: (claim) => {
              claimKeys.push(claim.key);
              return repositories.claims.take(claim);
            },
          },
        }),
      owner,
    );
    const index = this.armed.findIndex((matches) => matches({ options, claimKeys }));
    if (index < 0) return result;
    this.armed.splice(index, 1);
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
