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
