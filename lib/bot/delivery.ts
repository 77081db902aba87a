import * as z from 'zod';
import type { Clock } from '../clock';
import { describeError } from '../errors';
import type { Logger } from '../log/logger';
import type { DeferredJobs, JobHandler, NewJob } from '../queue/deferred';
import type { Repositories, Store } from '../storage/port';
import { recordNotAllowed } from '../users/account';
import type { VkClient } from '../vk/client';
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

export interface DeliveryDependencies {
  store: Store;
  clock: Clock;
  logger: Logger;
  /** The community token's client. */
  vk: VkClient;
  deferred: DeferredJobs;
}

type SendOutcome = 'sent' | 'not_allowed';

/**
 * Sends what a committed turn decided, before the callback answers `ok` (a function is frozen after
 * its answer). The press answer first (VK gives it a minute), then the messages in order. Each sent
 * message's job is marked done, its text dropped; a message VK keeps failing stays pending and goes
 * to the deferred queue with the rest of the turn's jobs, to be sent by the worker under the same
 * `random_id`. A user who can't be written to (900–902) is recorded, never retried.
 */
export class Delivery {
  readonly #deps: DeliveryDependencies;

  constructor(deps: DeliveryDependencies) {
    this.#deps = deps;
  }

  async deliver(jobs: readonly NewJob[], pressAnswer: PressAnswer | null): Promise<void> {
    const { logger } = this.#deps;
    if (pressAnswer) {
      await this.#deps.vk.answerMessageEvent(pressAnswer).catch((error: unknown) => {
        // An unanswered press only spins a while on the user's screen; nothing to retry later.
        logger.warn('press answer failed', { error: describeError(error) });
      });
    }
    const done: string[] = [];
    const notAllowed = new Set<number>();
    const queued: string[] = [];
    let messageHeldBack = false;
    for (const job of jobs) {
      if (job.kind === VK_EDIT_JOB) {
        // An edit stands alone (the user already sees the message): it never holds the replies back.
        try {
          await this.#edit(job.payload);
          done.push(job.jobId);
        } catch (error) {
          logger.warn('edit not made now; the deferred worker retries it', {
            jobId: job.jobId,
            error: describeError(error),
          });
          queued.push(job.jobId);
        }
        continue;
      }
      if (job.kind !== VK_MESSAGE_JOB) {
        queued.push(job.jobId);
        continue;
      }
      // Once one message failed, the rest of the turn waits behind it: the user reads them in order.
      if (messageHeldBack) {
        queued.push(job.jobId);
        continue;
      }
      try {
        const outcome = await this.#send(job.jobId, job.payload);
        done.push(job.jobId);
        if (outcome === 'not_allowed') notAllowed.add(Number(job.payload.peerId));
      } catch (error) {
        logger.warn('reply not delivered now; the deferred worker retries it', {
          jobId: job.jobId,
          error: describeError(error),
        });
        queued.push(job.jobId);
        messageHeldBack = true;
      }
    }
    if (done.length > 0) {
      await this.#deps.store.transaction(async (repositories) => {
        const now = this.#deps.clock.now();
        for (const jobId of done) await markSent(repositories, jobId, now);
        for (const userId of notAllowed) await recordNotAllowed(repositories, userId, now);
      });
    }
    if (queued.length > 0) {
      await this.#deps.deferred.dispatchAll(queued).catch((error: unknown) => {
        logger.warn('deferred dispatch failed; the rescue timer will retry', { error: describeError(error) });
      });
    }
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

  async #edit(payload: Record<string, unknown>): Promise<void> {
    const edit = editSchema.parse(payload);
    await this.#deps.vk.editMessage({
      peerId: edit.peerId,
      conversationMessageId: edit.conversationMessageId,
      text: edit.text,
      ...(edit.keyboard ? { keyboard: edit.keyboard } : {}),
    });
  }

  async #send(jobId: string, payload: Record<string, unknown>): Promise<SendOutcome> {
    const message = outgoingSchema.parse(payload);
    try {
      await this.#deps.vk.sendMessage({
        peerId: message.peerId,
        messageKey: jobId,
        text: message.text,
        ...(message.keyboard ? { keyboard: message.keyboard } : {}),
        ...(message.attachment ? { attachment: message.attachment } : {}),
      });
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
