import { describeError } from '../errors';
import type { JobHandler } from '../queue/jobs';
import type { DeferredJobRecord, Repositories } from '../storage/port';
import { MAX_CALLS_PER_EXECUTE } from '../vk/execute';
import { OPS_CARD_JOB } from './operators/card-sync';
import { type CardJobDependencies, CardJobs } from './operators/card-worker';
import { editReply, markSent, type ReplyDependencies, type SendOutcome, sendReply } from './reply-sending';
import { VK_EDIT_JOB, VK_MESSAGE_JOB } from './turn';

/** With an `ExecuteBatcher` as `sender`, the worker fills each request from the outbox. */
export type ReplyWorkerDependencies = ReplyDependencies & Pick<CardJobDependencies, 'cards'>;

interface Waiting {
  job: DeferredJobRecord;
  resolve(): void;
  reject(error: unknown): void;
}

type Sent = { job: DeferredJobRecord; outcome: SendOutcome } | { job: DeferredJobRecord; error: unknown };

/**
 * The deferred worker's side of the bot's replies: the `vk-message` and `vk-edit` jobs the callback
 * left to it, and the operators' cards (`ops-card`: posted here, where the answer tells where the
 * card is; a card's edit that a newer one replaced is not sent).
 *
 * A queue trigger brings at most 10 messages, but one `execute` carries 25 sends. So the reply hops
 * that arrive together are sent together, and the request's remaining room is filled from the
 * outbox: due replies whose hop nobody has claimed yet (`DeferredJobs.claimUnclaimedDue`), claimed in
 * one transaction so their own hops, when they come, are dropped. Under a burst every request the
 * token's rate allows then carries 25 messages. All of them are marked sent in one transaction;
 * one taken along that failed is retried alone with a backoff, as its own hop would be.
 *
 * A turn's messages go in order: a reply is taken along only once the one before it is sent or in
 * the same request.
 */
export class ReplyWorker {
  readonly #deps: ReplyWorkerDependencies;
  readonly #cards: CardJobs;
  #waiting: Waiting[] = [];
  #scheduled = false;

  constructor(deps: ReplyWorkerDependencies) {
    this.#deps = deps;
    this.#cards = new CardJobs(deps);
  }

  jobHandlers(): Record<string, JobHandler> {
    return {
      [VK_MESSAGE_JOB]: (job) =>
        new Promise<void>((resolve, reject) => {
          this.#waiting.push({ job, resolve, reject });
          this.#schedule();
        }),
      [VK_EDIT_JOB]: async (job) => {
        if (!(await this.#cards.editSuperseded(job))) {
          try {
            await editReply(this.#deps.vk, job.payload);
          } catch (error) {
            if (!this.#cards.editRefusedForGood(job, error)) throw error;
          }
        }
        await this.#deps.store.transaction((repositories) =>
          markSent(repositories, [job.jobId], [], this.#deps.clock.now()),
        );
      },
      [OPS_CARD_JOB]: (job) => this.#cards.run(job),
    };
  }

  /** The hops that arrive in one turn of the event loop (a trigger's batch) go out together. */
  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      const waiting = this.#waiting;
      this.#waiting = [];
      void this.#send(waiting);
    });
  }

  async #send(own: Waiting[]): Promise<void> {
    const { logger, store, clock } = this.#deps;
    const ownIds = new Set(own.map((waiting) => waiting.job.jobId));
    const takenAlong = await this.#takeAlong(MAX_CALLS_PER_EXECUTE - own.length, ownIds);
    // Oldest first, and a turn's messages in their order: they share one request, which VK runs in order.
    const jobs = [...own.map((waiting) => waiting.job), ...takenAlong].sort(
      (a, b) => a.createdAt - b.createdAt || compareJobIds(a.jobId, b.jobId),
    );
    const sender = this.#deps.sender ?? this.#deps.vk;
    const results = await Promise.all(
      jobs.map(
        (job): Promise<Sent> =>
          sendReply(sender, logger, job.jobId, job.payload).then(
            (outcome) => ({ job, outcome }),
            (error: unknown) => ({ job, error }),
          ),
      ),
    );
    const sent = results.filter((result) => 'outcome' in result);
    let marked: unknown;
    if (sent.length > 0) {
      try {
        await store.transaction((repositories) =>
          markSent(
            repositories,
            sent.map((result) => result.job.jobId),
            sent
              .filter((result) => result.outcome === 'not_allowed')
              .map((result) => Number(result.job.payload.peerId)),
            clock.now(),
          ),
        );
      } catch (error) {
        // Not marked: each is tried again (its `random_id` makes VK drop what already went).
        marked = error;
      }
    }
    const failedAlong = results.filter(
      (result) => !ownIds.has(result.job.jobId) && ('error' in result || marked !== undefined),
    );
    await Promise.all(
      failedAlong.map((result) =>
        this.#deps.deferred
          .failedClaimed(result.job, 'error' in result ? result.error : marked)
          .catch((error: unknown) => {
            // Claimed and not re-queued: the rescue timer finds it.
            logger.error('reply taken along not re-queued', {
              jobId: result.job.jobId,
              error: describeError(error),
            });
          }),
      ),
    );
    const byId = new Map(results.map((result) => [result.job.jobId, result]));
    for (const waiting of own) {
      const result = byId.get(waiting.job.jobId);
      if (result && 'error' in result) waiting.reject(result.error);
      else if (marked !== undefined) waiting.reject(marked);
      else waiting.resolve();
    }
  }

  /** Due replies nobody has claimed, claimed to fill the request; none without a batcher. */
  async #takeAlong(room: number, ownIds: ReadonlySet<string>): Promise<DeferredJobRecord[]> {
    if (room <= 0 || !this.#deps.sender) return [];
    try {
      return await this.#deps.deferred.claimUnclaimedDue(VK_MESSAGE_JOB, room, (job, repositories, taken) =>
        previousSent(job.jobId, repositories, (jobId) => ownIds.has(jobId) || taken.has(jobId)),
      );
    } catch (error) {
      // The request goes with the worker's own replies; the others keep their own hops.
      this.#deps.logger.warn('outbox replies not taken along', { error: describeError(error) });
      return [];
    }
  }
}

/** `vk:<key>:<n>`: the message before it (`n - 1`) is not pending, or goes in the same request. */
async function previousSent(
  jobId: string,
  repositories: Repositories,
  inThisRequest: (jobId: string) => boolean,
): Promise<boolean> {
  const match = /^(vk:.+):(\d+)$/.exec(jobId);
  const step = Number(match?.[2]);
  if (!match || !(step > 1)) return true;
  const previous = `${match[1]}:${step - 1}`;
  if (inThisRequest(previous)) return true;
  return (await repositories.jobs.get(previous))?.status !== 'pending';
}

/** Job ids in order, with a turn's numbered messages by number (`…:2` before `…:10`). */
function compareJobIds(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}
