import * as z from 'zod';
import type { Clock } from '../clock';
import type { Logger } from '../log/logger';
import type { DeferredJobRecord, Repositories, Store } from '../storage/port';
import { MAX_DELAY_SECONDS, type MessageQueue, type QueueName } from './port';

/**
 * Deferred jobs with any delay (a CSAT due in 30 min, a reminder in 24 h, a message next morning).
 *
 * Message Queue delays a message 900 s at most, so a job travels in hops: its row in the store
 * holds the truth (`dueAt`, `status`, `hop`), and a queue message `{jobId, hop}` carries it forward.
 * Each hop that arrives before `dueAt` sends the next one with the remaining delay (≤ 900 s) and
 * advances `hop`; the hop that arrives at `dueAt` runs the job. A message whose hop is not the row's
 * current one is a duplicate (queue redelivery) and is dropped, so redeliveries never multiply.
 *
 * - Durable: the row survives redeploys; a lost message (a send that failed after the row committed)
 *   is re-sent by `rescueStalledJobs`, which a frequent timer runs.
 * - Cancellable: `cancelJob` marks the row; the next hop finds it cancelled and stops.
 * - Exactly-once effects are the job handler's: it claims its own keys, as every effect does.
 */

export const deferredMessageSchema = z.object({
  jobId: z.string().min(1).max(200),
  hop: z.number().int().min(0),
});
export type DeferredMessage = z.infer<typeof deferredMessageSchema>;

/** The queue a job's hops travel through: CRM webhooks have their own (see lib/queue/port.ts). */
export function queueForJob(kind: string): QueueName {
  return kind === 'crm-webhook' ? 'crm' : 'deferred';
}

export type NewJob = Pick<DeferredJobRecord, 'jobId' | 'kind' | 'payload' | 'dueAt'>;

/**
 * Runs a due job. Throwing makes the queue redeliver the hop (and dead-letter it in the end).
 * Returning `postponeUntil` keeps the job pending and moves it there (a survey due in the user's
 * quiet hours waits for the morning) instead of marking it done.
 */
// biome-ignore lint/suspicious/noConfusingVoidType: most handlers return nothing, and say so with Promise<void>.
export type JobHandler = (job: DeferredJobRecord) => Promise<void | { postponeUntil: number }>;

export interface DeferredOptions {
  store: Store;
  queue: MessageQueue;
  clock: Clock;
  logger: Logger;
  /** Longest single hop; 900 s in production (the platform's cap), smaller only in tests. */
  maxHopDelaySeconds?: number;
  /**
   * Failures after which a job is given up (marked cancelled, so the rescue timer leaves it alone);
   * match the queue's maxReceiveCount so the message reaches the dead-letter queue at the same time.
   */
  maxFailures?: number;
}

/** Creates the job row inside the caller's transaction; false if the job exists already. */
export async function createJob(repositories: Repositories, job: NewJob, now: number): Promise<boolean> {
  return repositories.jobs.create({ ...job, status: 'pending', hop: 0, createdAt: now, updatedAt: now });
}

/** Cancels a pending job inside the caller's transaction; false if it was not pending. */
export async function cancelJob(repositories: Repositories, jobId: string, now: number): Promise<boolean> {
  const job = await repositories.jobs.get(jobId);
  if (job?.status !== 'pending') return false;
  await repositories.jobs.update({ ...job, status: 'cancelled', updatedAt: now });
  return true;
}

export class DeferredJobs {
  readonly #options: Required<DeferredOptions>;

  constructor(options: DeferredOptions) {
    this.#options = { maxHopDelaySeconds: MAX_DELAY_SECONDS, maxFailures: 5, ...options };
  }

  /**
   * Schedules a job in its own transaction and sends its first hop. Idempotent: scheduling the same
   * job id again re-sends the current hop (harmless: a duplicate hop is dropped).
   */
  async schedule(job: NewJob): Promise<void> {
    const { store, clock } = this.#options;
    await store.transaction((repositories) => createJob(repositories, job, clock.now()));
    await this.dispatch(job.jobId);
  }

  /** Sends the hop a committed job is waiting for. Call after the transaction that created it. */
  async dispatch(jobId: string): Promise<void> {
    const job = await this.#options.store.read((repositories) => repositories.jobs.get(jobId));
    if (job?.status === 'pending') await this.#sendHop(job, job.hop, job.dueAt);
  }

  /** `dispatch` for several jobs (the outbox of one transaction). */
  async dispatchAll(jobIds: readonly string[]): Promise<void> {
    for (const jobId of jobIds) await this.dispatch(jobId);
  }

  /** Handles one queue message of the deferred or the CRM queue. */
  async handleMessage(body: string, handlers: Readonly<Record<string, JobHandler>>): Promise<void> {
    const { store, clock, logger } = this.#options;
    const parsed = deferredMessageSchema.safeParse(safeJson(body));
    if (!parsed.success) {
      logger.warn('deferred message rejected', { reason: 'malformed', issues: parsed.error.issues.length });
      return;
    }
    const { jobId, hop } = parsed.data;
    const job = await store.read((repositories) => repositories.jobs.get(jobId));
    if (job?.status !== 'pending' || job.hop !== hop) {
      logger.debug('deferred hop dropped', {
        jobId,
        hop,
        status: job?.status ?? 'missing',
        currentHop: job?.hop,
      });
      return;
    }
    const now = clock.now();
    if (now < job.dueAt) {
      // Send first, then advance: a crash in between leaves a duplicate hop, never a lost one.
      await this.#sendHop(job, hop + 1, job.dueAt);
      await store.transaction(async (repositories) => {
        const current = await repositories.jobs.get(jobId);
        if (current?.status === 'pending' && current.hop === hop) {
          await repositories.jobs.update({ ...current, hop: hop + 1, updatedAt: now });
        }
      });
      return;
    }
    const handler = handlers[job.kind];
    if (!handler) {
      logger.error('deferred job has no handler', { jobId, kind: job.kind });
      throw new Error(`no handler for deferred job kind ${job.kind}`);
    }
    let outcome: Awaited<ReturnType<JobHandler>>;
    try {
      outcome = await handler(job);
    } catch (error) {
      await this.#recordFailure(job, error);
      throw error;
    }
    if (outcome && outcome.postponeUntil > now) {
      const dueAt = outcome.postponeUntil;
      // As for an early hop: send the next one first, so a crash leaves a duplicate, never a loss.
      await this.#sendHop(job, hop + 1, dueAt);
      await store.transaction(async (repositories) => {
        const current = await repositories.jobs.get(jobId);
        if (current?.status === 'pending' && current.hop === hop) {
          await repositories.jobs.update({ ...current, dueAt, hop: hop + 1, updatedAt: clock.now() });
        }
      });
      logger.info('deferred job postponed', { jobId, kind: job.kind, until: new Date(dueAt).toISOString() });
      return;
    }
    await store.transaction(async (repositories) => {
      const current = await repositories.jobs.get(jobId);
      if (current?.status === 'pending')
        await repositories.jobs.update({ ...current, status: 'done', updatedAt: clock.now() });
    });
    logger.info('deferred job done', { jobId, kind: job.kind, hops: hop, lateMs: now - job.dueAt });
  }

  /**
   * Re-sends the hop of pending jobs that are overdue by more than `graceMs` (their message was
   * lost: a send that failed after commit, or a message past the queue's retention). Safe to run
   * as often as wanted and concurrently: a duplicate hop is dropped.
   */
  async rescueStalledJobs(graceMs: number, limit = 500): Promise<number> {
    const { store, clock, logger } = this.#options;
    const stalledBefore = clock.now() - graceMs;
    let rescued = 0;
    let after: { dueAt: number; jobId: string } | undefined;
    while (rescued < limit) {
      const page = await store.read((repositories) =>
        repositories.jobs.listPendingDue(stalledBefore, {
          limit: Math.min(100, limit - rescued),
          ...(after ? { after } : {}),
        }),
      );
      for (const job of page) {
        if (job.updatedAt > stalledBefore) continue;
        await this.#sendHop(job, job.hop, job.dueAt);
        rescued++;
      }
      const last = page[page.length - 1];
      if (!last || page.length < 100) break;
      after = { dueAt: last.dueAt, jobId: last.jobId };
    }
    if (rescued > 0) logger.warn('stalled deferred jobs re-sent', { rescued });
    return rescued;
  }

  /** Counts a handler failure; at `maxFailures` the job is given up and logged as dead-lettered. */
  async #recordFailure(job: DeferredJobRecord, error: unknown): Promise<void> {
    const { store, clock, logger, maxFailures } = this.#options;
    const now = clock.now();
    const failures = await store.transaction(async (repositories) => {
      const key = `job-failures:${job.jobId}`;
      const previous = await repositories.claims.get(key, now);
      const count = Number(previous?.value.failures ?? 0) + 1;
      const claim = { key, value: { failures: count }, createdAt: now, expiresAt: now + 14 * 86_400_000 };
      if (previous) await repositories.claims.put(claim);
      else await repositories.claims.take(claim);
      if (count >= maxFailures) await cancelJob(repositories, job.jobId, now);
      return count;
    });
    const reason = error instanceof Error ? error.message : String(error);
    if (failures >= maxFailures) {
      logger.error('deferred job dead-lettered', { jobId: job.jobId, kind: job.kind, failures, reason });
    } else {
      logger.warn('deferred job failed; the queue will redeliver it', {
        jobId: job.jobId,
        kind: job.kind,
        failures,
        reason,
      });
    }
  }

  async #sendHop(job: Pick<DeferredJobRecord, 'jobId' | 'kind'>, hop: number, dueAt: number): Promise<void> {
    const remainingSeconds = Math.ceil((dueAt - this.#options.clock.now()) / 1000);
    const delaySeconds = Math.max(0, Math.min(this.#options.maxHopDelaySeconds, remainingSeconds));
    const message: DeferredMessage = { jobId: job.jobId, hop };
    await this.#options.queue.send(queueForJob(job.kind), { body: JSON.stringify(message), delaySeconds });
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
