import * as z from 'zod';
import type { DeferredJobRecord, Repositories } from '../storage/port';
import { MAX_DELAY_SECONDS, type QueueName } from './port';

/**
 * What a deferred job is, apart from how `DeferredJobs` (deferred.ts) carries it: the queue message
 * of a hop, which queue a job travels through, the job a transaction creates or cancels, the handler
 * that runs it, and how long a failed one waits.
 */

export const deferredMessageSchema = z.object({
  jobId: z.string().min(1).max(200),
  hop: z.number().int().min(0),
});
export type DeferredMessage = z.infer<typeof deferredMessageSchema>;

/**
 * The queue a trigger event came from, by its ARN (`yrn:yc:ymq:ru-central1:<folder>:<name>`): the
 * worker consumes the deferred queue and the CRM one (`<prefix>-crm`).
 */
export function deferredQueueOf(queueArn: string): QueueName {
  const name = queueArn.split(':').pop() ?? '';
  return name === 'crm' || name.endsWith('-crm') ? 'crm' : 'deferred';
}

/** The queue a job's hops travel through: CRM webhooks have their own (see lib/queue/port.ts). */
export function queueForJob(kind: string): QueueName {
  return kind === 'crm-webhook' ? 'crm' : 'deferred';
}

export type NewJob = Pick<DeferredJobRecord, 'jobId' | 'kind' | 'payload' | 'dueAt'>;

/**
 * Runs a due job. Throwing counts a failure: the job is tried again alone after a backoff, and given
 * up after `maxFailures`. Returning `postponeUntil` keeps the job pending and moves it there (a
 * survey due in the user's quiet hours waits for the morning) instead of marking it done.
 */
// biome-ignore lint/suspicious/noConfusingVoidType: most handlers return nothing, and say so with Promise<void>.
export type JobHandler = (job: DeferredJobRecord) => Promise<void | { postponeUntil: number }>;

/** Creates the job row inside the caller's transaction; false if the job exists already. */
export async function createJob(repositories: Repositories, job: NewJob, now: number): Promise<boolean> {
  return repositories.jobs.create({ ...job, status: 'pending', hop: 0, createdAt: now, updatedAt: now });
}

/**
 * Creates a **parked** job inside the caller's transaction: one due months away (a ticket's
 * anonymisation) that no hop carries, since hopping 900 s at a time would cost a queue message every
 * 15 minutes for its whole wait. A sweep takes it when due (`DeferredJobs.claimUnclaimedDue`, over the
 * `(kind, status, hop, due_at)` index). Its `updatedAt` is its due time, so the rescue, which re-sends
 * the hops of pending jobs untouched for too long, leaves it alone until then, and only sends it to the
 * queue if the sweep has not taken it by then. False if the job exists already.
 */
export async function createParkedJob(
  repositories: Repositories,
  job: NewJob,
  now: number,
): Promise<boolean> {
  return repositories.jobs.create({
    ...job,
    status: 'pending',
    hop: 0,
    createdAt: now,
    updatedAt: Math.max(now, job.dueAt),
  });
}

/** Cancels a pending job inside the caller's transaction; false if it was not pending. */
export async function cancelJob(repositories: Repositories, jobId: string, now: number): Promise<boolean> {
  const job = await repositories.jobs.get(jobId);
  if (job?.status !== 'pending') return false;
  await repositories.jobs.update({ ...job, status: 'cancelled', updatedAt: now });
  return true;
}

/** How long a job that failed waits before its next try: 30 s, doubling, at most one hop (900 s). */
export function retryDelaySeconds(failures: number): number {
  return Math.min(MAX_DELAY_SECONDS, 30 * 2 ** Math.max(0, failures - 1));
}
