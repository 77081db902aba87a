import { describeError } from '../errors';
import type { NewJob } from '../queue/jobs';
import type { DeferredJobRecord } from '../storage/port';
import { editReply, markSent, type ReplyDependencies, sendReply } from './reply-sending';
import { type PressAnswer, VK_EDIT_JOB, VK_MESSAGE_JOB } from './turn';

export type { MessageSender } from './reply-sending';

export interface DeliveryDependencies extends ReplyDependencies {
  /**
   * How long `deliver` may take before it answers (the callback's fast ack): what is not sent by then
   * stays pending and goes to the deferred worker, sent under the same `random_id`. None: no limit.
   */
  budgetMs?: number;
}

/**
 * The callback's budget for sending its replies before it answers `ok` (VK re-sends an event it sees
 * no `ok` for, and stops calling a server that keeps failing). One `execute` round trip fits; what
 * would wait for the token's rate gate longer goes through the deferred worker.
 */
export const REPLY_BUDGET_MS = 400;

/**
 * How long the replies of a callback that tries them itself stay its own: they are due for the
 * worker's outbox only after this, so no worker takes along a reply the callback is still sending.
 * It covers the commit, the budget and the request.
 */
export const REPLY_HOLD_MS = 1000;

/**
 * A reply whose `execute` had left when the budget ran out is looked at again by the worker after
 * this long: by then it is marked sent (nothing to do) or its request failed (the worker sends it).
 */
const IN_FLIGHT_RECHECK_SECONDS = 30;

/** Whether a callback sends its replies itself; decided before its turn commits (see `plan`). */
export interface DeliveryPlan {
  /** True: the callback tries within its budget; false: straight to the deferred worker. */
  attempt: boolean;
  /** How long the turn's replies are held for the callback (their `dueAt` for the worker). */
  holdMs: number;
  /** Gives back the place reserved in the sender's estimate. */
  release(): void;
}

const noRelease = () => {};

/**
 * Sends what a committed turn decided, within a budget, before the callback answers `ok` (a function
 * is frozen after its answer). The press answer first (VK gives it a minute), then the messages, all
 * at once: with an `ExecuteBatcher` they leave in one `execute`, in order. Each sent message's job is
 * marked done, its text dropped. A message that failed, or is not sent when the budget runs out,
 * stays pending and goes to the deferred queue with the rest of the turn's jobs, to be sent by the
 * worker under the same `random_id` (VK drops it if the first try did go). A user who can't be written
 * to (900–902) is recorded, never retried.
 *
 * Under a burst the callback doesn't try at all: when the sender's backlog means a reply would not
 * leave within the budget (`plan`), its jobs are due for the worker at once and the callback answers
 * right after the commit; the worker sends them 25 to a request (`ReplyWorker`).
 */
export class Delivery {
  readonly #deps: DeliveryDependencies;

  constructor(deps: DeliveryDependencies) {
    this.#deps = deps;
  }

  /** Decides, before the turn, whether its replies can leave within the budget. */
  plan(): DeliveryPlan {
    const { budgetMs, sender } = this.#deps;
    if (budgetMs === undefined) return { attempt: true, holdMs: 0, release: noRelease };
    // A quarter of the budget for the wait: the estimate doesn't know how many instances share the
    // gate, and a callback that waits its whole budget in vain has only delayed its own ack.
    if ((sender?.estimatedWaitMs?.() ?? 0) > budgetMs / 4)
      return { attempt: false, holdMs: 0, release: noRelease };
    return { attempt: true, holdMs: REPLY_HOLD_MS, release: sender?.reserve?.() ?? noRelease };
  }

  async deliver(
    jobs: ReadonlyArray<NewJob & { hop?: number }>,
    pressAnswer: PressAnswer | null,
    plan: Pick<DeliveryPlan, 'attempt' | 'release'> = { attempt: true, release: noRelease },
  ): Promise<void> {
    const { logger, budgetMs } = this.#deps;
    if (!plan.attempt) {
      plan.release();
      await this.#dispatch(jobs);
      if (pressAnswer) await this.#withinBudget((deadline) => this.#answerPress(pressAnswer, deadline));
      return;
    }
    const deadline = budgetMs === undefined ? undefined : AbortSignal.timeout(budgetMs);
    const expired = deadline
      ? new Promise<'expired'>((resolve) => deadline.addEventListener('abort', () => resolve('expired')))
      : new Promise<'expired'>(() => {});
    if (pressAnswer) await Promise.race([this.#answerPress(pressAnswer, deadline), expired]);
    const done: string[] = [];
    const notAllowed = new Set<number>();
    /** Jobs whose attempt ended without sending: failed, or withdrawn from the batcher at the deadline. */
    const unsent = new Set<string>();
    /** Of those, the ones that ended because the budget ran out: they never met VK's answer. */
    const withdrawn = new Set<string>();
    const attempts: Array<Promise<void>> = [];
    // Without a batcher, messages go one after another (separate requests could arrive out of order),
    // and once one fails the rest wait behind it. With one, they leave together in one `execute`,
    // whose calls VK runs in order.
    const sender = this.#deps.sender ?? this.#deps.vk;
    const oneByOne = !this.#deps.sender;
    const options = deadline ? { signal: deadline } : {};
    let previous: Promise<unknown> = Promise.resolve();
    for (const job of jobs) {
      const send = () =>
        sendReply(sender, logger, job.jobId, job.payload, options).then((outcome) => {
          done.push(job.jobId);
          if (outcome === 'not_allowed') notAllowed.add(Number(job.payload.peerId));
        });
      let attempt: Promise<void> | null = null;
      if (job.kind === VK_EDIT_JOB) {
        // An edit stands alone (the user already sees the message): it never holds the replies back.
        attempt = editReply(this.#deps.vk, job.payload, options).then(() => void done.push(job.jobId));
      } else if (job.kind === VK_MESSAGE_JOB) {
        attempt = oneByOne ? previous.then(send) : send();
        previous = attempt;
      }
      if (!attempt) continue;
      attempts.push(
        attempt.catch((error: unknown) => {
          unsent.add(job.jobId);
          if (deadline?.aborted) withdrawn.add(job.jobId);
          logger.warn('reply not delivered now; the deferred worker sends it', {
            jobId: job.jobId,
            error: describeError(error),
          });
        }),
      );
    }
    plan.release(); // the messages are in the sender's backlog now
    const allSettled = Promise.all(attempts); // each attempt catches its own failure
    const finished = (await Promise.race([allSettled, expired])) !== 'expired';
    // Let the batcher's withdrawals (messages that had not left at the deadline) settle first.
    if (!finished) await new Promise((resolve) => setImmediate(resolve));
    const sent = new Set(done);
    const queueNow: Array<NewJob & { hop?: number }> = [];
    const inFlight: Array<NewJob & { hop?: number }> = [];
    for (const job of jobs) {
      if (sent.has(job.jobId)) continue;
      if (finished || unsent.has(job.jobId) || (job.kind !== VK_MESSAGE_JOB && job.kind !== VK_EDIT_JOB))
        queueNow.push(job);
      else inFlight.push(job);
    }
    if (!finished) {
      logger.info('reply budget spent; the rest goes through the deferred worker', {
        budgetMs,
        inFlight: inFlight.length,
        queued: queueNow.length,
      });
    }
    if (done.length > 0) await this.#markSent(done, notAllowed);
    // Replies withdrawn before they left (the budget ran out) are the worker's at once: their hold was
    // only for the callback's own try. One VK refused keeps it, a short pause before the worker's retry.
    const givenUp = queueNow.filter((job) => withdrawn.has(job.jobId));
    // Those whose request already left: the worker looks again later, and finds them sent unless it
    // failed. Due only then, so no worker takes them along meanwhile either.
    await this.#reschedule([
      ...givenUp.map((job) => ({ jobId: job.jobId, dueAt: this.#deps.clock.now() })),
      ...inFlight.map((job) => ({
        jobId: job.jobId,
        dueAt: this.#deps.clock.now() + IN_FLIGHT_RECHECK_SECONDS * 1000,
      })),
    ]);
    if (queueNow.length > 0)
      await this.#dispatch(queueNow.map((job) => (givenUp.includes(job) ? { ...job, dueAt: 0 } : job)));
    if (inFlight.length > 0) {
      await this.#dispatch(inFlight, IN_FLIGHT_RECHECK_SECONDS);
      void allSettled.then(async () => {
        const late = done.filter((jobId) => inFlight.some((job) => job.jobId === jobId));
        if (late.length > 0) await this.#markSent(late, notAllowed).catch(() => {});
      });
    }
  }

  /** Runs `work` until it ends or the budget is spent, whichever comes first. */
  async #withinBudget(work: (deadline: AbortSignal | undefined) => Promise<void>): Promise<void> {
    const { budgetMs } = this.#deps;
    if (budgetMs === undefined) return work(undefined);
    const deadline = AbortSignal.timeout(budgetMs);
    const expired = new Promise<void>((resolve) => deadline.addEventListener('abort', () => resolve()));
    await Promise.race([work(deadline), expired]);
  }

  async #answerPress(pressAnswer: PressAnswer, deadline: AbortSignal | undefined): Promise<void> {
    await this.#deps.vk
      .answerMessageEvent(pressAnswer, deadline ? { signal: deadline } : {})
      .catch((error: unknown) => {
        // An unanswered press only spins a while on the user's screen; nothing to retry later.
        this.#deps.logger.warn('press answer failed', { error: describeError(error) });
      });
  }

  /**
   * Sets pending jobs' `dueAt` (a failure here leaves them due at their hold's end, which the worker
   * then waits for).
   */
  async #reschedule(jobs: ReadonlyArray<{ jobId: string; dueAt: number }>): Promise<void> {
    if (jobs.length === 0) return;
    const { store, clock, logger } = this.#deps;
    await store
      .transaction(async (repositories) => {
        for (const { jobId, dueAt } of jobs) {
          const job = await repositories.jobs.get(jobId);
          if (job?.status === 'pending' && job.dueAt !== dueAt)
            await repositories.jobs.update({ ...job, dueAt, updatedAt: clock.now() });
        }
      })
      .catch((error: unknown) => logger.warn('replies not rescheduled', { error: describeError(error) }));
  }

  async #markSent(jobIds: readonly string[], notAllowed: ReadonlySet<number>): Promise<void> {
    await this.#deps.store.transaction((repositories) =>
      markSent(repositories, jobIds, notAllowed, this.#deps.clock.now()),
    );
  }

  /** The jobs' hops to the deferred queue, from the rows in hand (the turn just committed them). */
  async #dispatch(
    jobs: ReadonlyArray<Pick<DeferredJobRecord, 'jobId' | 'kind' | 'dueAt'> & { hop?: number }>,
    delaySeconds = 0,
  ): Promise<void> {
    await this.#deps.deferred.dispatchCommitted(jobs, { delaySeconds }).catch((error: unknown) => {
      this.#deps.logger.warn('deferred dispatch failed; the rescue timer will retry', {
        error: describeError(error),
      });
    });
  }
}
