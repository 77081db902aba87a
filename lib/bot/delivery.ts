import * as z from 'zod';
import type { Clock } from '../clock';
import { describeError } from '../errors';
import type { Logger } from '../log/logger';
import type { DeferredJobs, JobHandler, NewJob } from '../queue/deferred';
import type { Repositories, Store } from '../storage/port';
import { recordNotAllowed } from '../users/account';
import type { CallOptions, OutgoingMessage, VkClient } from '../vk/client';
import { VkRecipientUnavailableError } from '../vk/errors';
import { type PressAnswer, VK_EDIT_JOB, VK_MESSAGE_JOB } from './turn';

const outgoingSchema = z.object({
  peerId: z.number().int(),
  text: z.string(),
  keyboard: z.record(z.string(), z.unknown()).optional(),
  attachment: z.string().optional(),
});

const editSchema = z.object({
  peerId: z.number().int(),
  conversationMessageId: z.number().int().positive(),
  text: z.string().min(1),
  keyboard: z.record(z.string(), z.unknown()).optional(),
});

/** What sends a message: the VK client itself, or an `ExecuteBatcher` packing sends into `execute`. */
export interface MessageSender {
  sendMessage(message: OutgoingMessage, options?: CallOptions): Promise<number>;
}

export interface DeliveryDependencies {
  store: Store;
  clock: Clock;
  logger: Logger;
  /** The community token's client (edits, press answers; and sends unless `sender` is given). */
  vk: VkClient;
  /** Sends messages; the client by default. */
  sender?: MessageSender;
  deferred: DeferredJobs;
  /**
   * How long `deliver` may take before it answers (the callback's fast ack): what is not sent by then
   * stays pending and goes to the deferred worker, sent under the same `random_id`. None: no limit.
   */
  budgetMs?: number;
}

type SendOutcome = 'sent' | 'not_allowed';

/**
 * The callback's budget for sending its replies before it answers `ok` (VK re-sends an event it sees
 * no `ok` for, and stops calling a server that keeps failing). One `execute` round trip fits; what
 * waits for the token's rate gate longer goes through the deferred worker.
 */
export const REPLY_BUDGET_MS = 400;

/**
 * A reply whose `execute` had left when the budget ran out is looked at again by the worker after
 * this long: by then it is marked sent (nothing to do) or its request failed (the worker sends it).
 */
const IN_FLIGHT_RECHECK_SECONDS = 30;

/**
 * Sends what a committed turn decided, within a budget, before the callback answers `ok` (a function
 * is frozen after its answer). The press answer first (VK gives it a minute), then the messages, all
 * at once: with an `ExecuteBatcher` they leave in one `execute`, in order. Each sent message's job is
 * marked done, its text dropped. A message that failed, or is not sent when the budget runs out,
 * stays pending and goes to the deferred queue with the rest of the turn's jobs, to be sent by the
 * worker under the same `random_id` (VK drops it if the first try did go). A user who can't be written
 * to (900–902) is recorded, never retried.
 */
export class Delivery {
  readonly #deps: DeliveryDependencies;

  constructor(deps: DeliveryDependencies) {
    this.#deps = deps;
  }

  async deliver(jobs: readonly NewJob[], pressAnswer: PressAnswer | null): Promise<void> {
    const { logger, budgetMs } = this.#deps;
    const deadline = budgetMs === undefined ? undefined : AbortSignal.timeout(budgetMs);
    const expired = deadline
      ? new Promise<'expired'>((resolve) => deadline.addEventListener('abort', () => resolve('expired')))
      : new Promise<'expired'>(() => {});
    if (pressAnswer) {
      const answered = this.#deps.vk
        .answerMessageEvent(pressAnswer, deadline ? { signal: deadline } : {})
        .catch((error: unknown) => {
          // An unanswered press only spins a while on the user's screen; nothing to retry later.
          logger.warn('press answer failed', { error: describeError(error) });
        });
      await Promise.race([answered, expired]);
    }
    const done: string[] = [];
    const notAllowed = new Set<number>();
    /** Jobs whose attempt ended without sending: failed, or withdrawn from the batcher at the deadline. */
    const unsent = new Set<string>();
    const attempts: Array<Promise<void>> = [];
    // Without a batcher, messages go one after another (separate requests could arrive out of order),
    // and once one fails the rest wait behind it. With one, they leave together in one `execute`,
    // whose calls VK runs in order.
    const oneByOne = !this.#deps.sender;
    let previous: Promise<unknown> = Promise.resolve();
    for (const job of jobs) {
      const send = () =>
        this.#send(job.jobId, job.payload, deadline).then((outcome) => {
          done.push(job.jobId);
          if (outcome === 'not_allowed') notAllowed.add(Number(job.payload.peerId));
        });
      let attempt: Promise<void> | null = null;
      if (job.kind === VK_EDIT_JOB) {
        // An edit stands alone (the user already sees the message): it never holds the replies back.
        attempt = this.#edit(job.payload, deadline).then(() => void done.push(job.jobId));
      } else if (job.kind === VK_MESSAGE_JOB) {
        attempt = oneByOne ? previous.then(send) : send();
        previous = attempt;
      }
      if (!attempt) continue;
      attempts.push(
        attempt.catch((error: unknown) => {
          unsent.add(job.jobId);
          logger.warn('reply not delivered now; the deferred worker sends it', {
            jobId: job.jobId,
            error: describeError(error),
          });
        }),
      );
    }
    const allSettled = Promise.all(attempts); // each attempt catches its own failure
    const finished = (await Promise.race([allSettled, expired])) !== 'expired';
    // Let the batcher's withdrawals (messages that had not left at the deadline) settle first.
    if (!finished) await new Promise((resolve) => setImmediate(resolve));
    const sent = new Set(done);
    const queueNow: string[] = [];
    const inFlight: string[] = [];
    for (const job of jobs) {
      if (sent.has(job.jobId)) continue;
      if (finished || unsent.has(job.jobId) || (job.kind !== VK_MESSAGE_JOB && job.kind !== VK_EDIT_JOB))
        queueNow.push(job.jobId);
      else inFlight.push(job.jobId);
    }
    if (!finished) {
      logger.info('reply budget spent; the rest goes through the deferred worker', {
        budgetMs,
        inFlight: inFlight.length,
        queued: queueNow.length,
      });
    }
    if (done.length > 0) await this.#markSent(done, notAllowed);
    if (queueNow.length > 0) await this.#dispatch(queueNow);
    if (inFlight.length > 0) {
      // Their request already left: the worker looks again later, and finds them sent unless it failed.
      await this.#dispatch(inFlight, IN_FLIGHT_RECHECK_SECONDS);
      void allSettled.then(async () => {
        const late = done.filter((jobId) => inFlight.includes(jobId));
        if (late.length > 0) await this.#markSent(late, notAllowed).catch(() => {});
      });
    }
  }

  async #markSent(jobIds: readonly string[], notAllowed: ReadonlySet<number>): Promise<void> {
    await this.#deps.store.transaction(async (repositories) => {
      const now = this.#deps.clock.now();
      for (const jobId of jobIds) await markSent(repositories, jobId, now);
      for (const userId of notAllowed) await recordNotAllowed(repositories, userId, now);
    });
  }

  async #dispatch(jobIds: readonly string[], delaySeconds = 0): Promise<void> {
    await this.#deps.deferred.dispatchAll(jobIds, { delaySeconds }).catch((error: unknown) => {
      this.#deps.logger.warn('deferred dispatch failed; the rescue timer will retry', {
        error: describeError(error),
      });
    });
  }

  /** The deferred worker's handler for a message the callback could not deliver. */
  jobHandlers(): Record<string, JobHandler> {
    return {
      [VK_MESSAGE_JOB]: async (job) => {
        const outcome = await this.#send(job.jobId, job.payload);
        await this.#deps.store.transaction(async (repositories) => {
          const now = this.#deps.clock.now();
          await markSent(repositories, job.jobId, now);
          if (outcome === 'not_allowed')
            await recordNotAllowed(repositories, Number(job.payload.peerId), now);
        });
      },
      [VK_EDIT_JOB]: async (job) => {
        await this.#edit(job.payload);
        await this.#deps.store.transaction((repositories) =>
          markSent(repositories, job.jobId, this.#deps.clock.now()),
        );
      },
    };
  }

  async #edit(payload: Record<string, unknown>, signal?: AbortSignal): Promise<void> {
    const edit = editSchema.parse(payload);
    await this.#deps.vk.editMessage(
      {
        peerId: edit.peerId,
        conversationMessageId: edit.conversationMessageId,
        text: edit.text,
        ...(edit.keyboard ? { keyboard: edit.keyboard } : {}),
      },
      signal ? { signal } : {},
    );
  }

  async #send(jobId: string, payload: Record<string, unknown>, signal?: AbortSignal): Promise<SendOutcome> {
    const message = outgoingSchema.parse(payload);
    try {
      await (this.#deps.sender ?? this.#deps.vk).sendMessage(
        {
          peerId: message.peerId,
          messageKey: jobId,
          text: message.text,
          ...(message.keyboard ? { keyboard: message.keyboard } : {}),
          ...(message.attachment ? { attachment: message.attachment } : {}),
        },
        signal ? { signal } : {},
      );
      return 'sent';
    } catch (error) {
      if (!(error instanceof VkRecipientUnavailableError)) throw error;
      this.#deps.logger.info('recipient does not accept messages; recorded', {
        jobId,
        errorCode: error.errorCode,
      });
      return 'not_allowed';
    }
  }
}

/** Done, and the text dropped: a sent message need not be kept (the dialog in VK holds it). */
async function markSent(repositories: Repositories, jobId: string, now: number): Promise<void> {
  const job = await repositories.jobs.get(jobId);
  if (job?.status === 'pending')
    await repositories.jobs.update({ ...job, status: 'done', payload: {}, updatedAt: now });
}
