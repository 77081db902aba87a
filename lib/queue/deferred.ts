import type { Clock } from '../clock';
import { describeError } from '../errors';
import type { Logger } from '../log/logger';
import type { DeferredJobRecord, Repositories, Store } from '../storage/port';
import {
  createJob,
  type DeferredMessage,
  deferredMessageSchema,
  type JobHandler,
  type NewJob,
  queueForJob,
  retryDelaySeconds,
} from './jobs';
import { MAX_DELAY_SECONDS, type MessageQueue, type OutgoingMessage, type QueueName } from './port';

/** How many due jobs past the room `claimUnclaimedDue` looks at, for those `accept` passes over. */
const LOOK_PAST_PASSED_OVER = 10;

/** Message Queue's `SendMessageBatch` takes at most 10 entries. */
const MAX_BATCH = 10;

/**
 * Deferred jobs with any delay (a CSAT due in 30 min, a reminder in 24 h, a message next morning).
 *
 * Message Queue delays a message 900 s at most, so a job travels in hops: its row in the store
 * holds the truth (`dueAt`, `status`, `hop`), and a queue message `{jobId, hop}` carries it forward.
 *
 * Each arriving hop is first **claimed**: in one transaction, the row must be pending at that hop,
 * and moves to the next (`hop + 1`, `updatedAt` now). Only the copy that wins goes on; every other
 * copy (the queue's at-least-once delivery, a rescue during a backlog) is dropped, so copies neither
 * run a job twice nor multiply. The winner then either sends the next hop (not due yet) or runs the
 * job (due) and marks it done.
 *
 * - Durable: the row survives redeploys. A hop whose message never got out (a crash between claim
 *   and send, a send that failed) leaves a pending row nobody touches: `rescueStalledJobs`, run by a
 *   frequent timer, re-sends the hop of every job untouched for longer than a hop can take.
 * - Cancellable: `cancelJob` marks the row; the next hop finds it cancelled and stops.
 * - One message, one job: a handler that fails is recorded and its job re-queued alone with a
 *   backoff, so the rest of the trigger's batch is not returned with it. After `maxFailures`, or at
 *   once for a kind no handler knows, the job is given up: cancelled, and put once in the queue's
 *   dead-letter queue for ops.
 * - Exactly-once effects are the job handler's: it claims its own keys, as every effect does (a crash
 *   after a handler's effect but before "done" runs it again from the rescue).
 */

export interface DeferredOptions {
  store: Store;
  queue: MessageQueue;
  clock: Clock;
  logger: Logger;
  /** Longest single hop; 900 s in production (the platform's cap), smaller only in tests. */
  maxHopDelaySeconds?: number;
  /** Failures after which a job is given up: cancelled, and put in its dead-letter queue. */
  maxFailures?: number;
}

/** What became of one queue message of a deferred job. */
export type HopOutcome =
  | 'malformed'
  | 'dropped'
  | 'forwarded'
  | 'done'
  | 'postponed'
  | 'retrying'
  | 'dead-lettered';

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

  /**
   * Sends the hop a committed job is waiting for. Call after the transaction that created it.
   * `delaySeconds` holds a due job back (a reply whose send may still be in flight).
   */
  async dispatch(jobId: string, options: { delaySeconds?: number } = {}): Promise<void> {
    const job = await this.#options.store.read((repositories) => repositories.jobs.get(jobId));
    if (job?.status !== 'pending') return;
    const heldUntil = this.#options.clock.now() + (options.delaySeconds ?? 0) * 1000;
    await this.#sendHop(job, job.hop, Math.max(job.dueAt, heldUntil));
  }

  /** `dispatch` for several jobs (the outbox of one transaction). */
  async dispatchAll(jobIds: readonly string[], options: { delaySeconds?: number } = {}): Promise<void> {
    for (const jobId of jobIds) await this.dispatch(jobId, options);
  }

  /**
   * Sends the hops of jobs the caller has just committed (or read) and holds: no read of their rows
   * first, and ten to a queue request. A job someone claimed meanwhile just has its hop dropped.
   */
  async dispatchCommitted(
    jobs: ReadonlyArray<Pick<DeferredJobRecord, 'jobId' | 'kind' | 'dueAt'> & { hop?: number }>,
    options: { delaySeconds?: number } = {},
  ): Promise<void> {
    const now = this.#options.clock.now();
    const heldUntil = now + (options.delaySeconds ?? 0) * 1000;
    const byQueue = new Map<QueueName, OutgoingMessage[]>();
    for (const job of jobs) {
      const queue = queueForJob(job.kind);
      const hops = byQueue.get(queue) ?? [];
      byQueue.set(queue, hops);
      hops.push(this.#hop(job, job.hop ?? 0, Math.max(job.dueAt, heldUntil), now));
    }
    for (const [queue, hops] of byQueue) {
      for (let start = 0; start < hops.length; start += MAX_BATCH)
        await this.#options.queue.sendBatch(queue, hops.slice(start, start + MAX_BATCH));
    }
  }

  /**
   * Claims, in one transaction, up to `limit` due jobs of `kind` whose first hop nobody has claimed
   * (`listUnclaimedDue`), as a hop's arrival would: each moves to hop 1, so its message, when it
   * comes, is dropped. `accept` may pass a job over (it must wait for another). The caller runs
   * them and then settles each: `complete`, or `failedClaimed` for one that failed.
   */
  async claimUnclaimedDue(
    kind: string,
    limit: number,
    accept: (
      job: DeferredJobRecord,
      repositories: Repositories,
      taken: ReadonlySet<string>,
    ) => Promise<boolean>,
  ): Promise<DeferredJobRecord[]> {
    if (limit <= 0) return [];
    const { store, clock } = this.#options;
    return store.transaction(async (repositories) => {
      const now = clock.now();
      const taken = new Set<string>();
      const claimed: DeferredJobRecord[] = [];
      // A few more than asked for: `accept` may pass some over, and the room is worth filling.
      const due = await repositories.jobs.listUnclaimedDue(kind, now, limit + LOOK_PAST_PASSED_OVER);
      // Numbered ids by number (`…:9` before `…:10`), so an `accept` that looks at a job's
      // predecessor sees it taken first.
      due.sort((a, b) => a.dueAt - b.dueAt || a.jobId.localeCompare(b.jobId, 'en', { numeric: true }));
      for (const job of due) {
        if (claimed.length >= limit) break;
        if (!(await accept(job, repositories, taken))) continue;
        const mine = { ...job, hop: 1, updatedAt: now };
        await repositories.jobs.update(mine);
        taken.add(job.jobId);
        claimed.push(mine);
      }
      return claimed;
    });
  }

  /** A claimed job (`claimUnclaimedDue`) that failed: retried alone with a backoff, or given up. */
  async failedClaimed(job: DeferredJobRecord, error: unknown): Promise<HopOutcome> {
    return this.#failed(job, error);
  }

  /**
   * Handles the messages of one trigger call, each on its own and all at once: a job that fails is re-queued alone
   * (see `handleMessage`), so the call succeeds and the platform deletes the batch. Only when the
   * store or the queue itself fails for a message is it sent back alone; if even that fails, the
   * call throws and the platform returns the batch (the hops already handled are then dropped).
   */
  async handleBatch(
    bodies: readonly string[],
    handlers: Readonly<Record<string, JobHandler>>,
    queue: QueueName,
  ): Promise<HopOutcome[]> {
    let unhandled: unknown;
    // All at once: the jobs are independent (each claims its own hop), and their sends can then leave
    // together (an `ExecuteBatcher` packs a batch's replies into one request).
    const outcomes = await Promise.all(
      bodies.map(async (body): Promise<HopOutcome> => {
        try {
          return await this.handleMessage(body, handlers);
        } catch (error) {
          this.#options.logger.error('deferred hop failed; sent back alone', { error: describeError(error) });
          try {
            await this.#options.queue.send(queue, { body, delaySeconds: retryDelaySeconds(1) });
          } catch (sendError) {
            unhandled ??= sendError;
          }
          return 'retrying';
        }
      }),
    );
    if (unhandled) throw unhandled;
    return outcomes;
  }

  /**
   * Handles one queue message of the deferred or the CRM queue: claims its hop, then forwards,
   * runs, postpones, retries or gives up the job. Throws only when the store or the queue fails.
   */
  async handleMessage(body: string, handlers: Readonly<Record<string, JobHandler>>): Promise<HopOutcome> {
    const { store, clock, logger } = this.#options;
    const parsed = deferredMessageSchema.safeParse(safeJson(body));
    if (!parsed.success) {
      logger.warn('deferred message rejected', { reason: 'malformed', issues: parsed.error.issues.length });
      return 'malformed';
    }
    const { jobId, hop } = parsed.data;
    const now = clock.now();
    // A look first, without a write: most copies that lose (a hop whose job ran, or was taken along
    // by an outbox worker) are told apart by a read.
    const seen = await store.read((repositories) => repositories.jobs.get(jobId));
    if (seen?.status !== 'pending' || seen.hop !== hop) {
      logger.debug('deferred hop dropped', { jobId, hop });
      return 'dropped';
    }
    const job = await store.transaction(async (repositories) => {
      const current = await repositories.jobs.get(jobId);
      if (current?.status !== 'pending' || current.hop !== hop) return null;
      const claimed = { ...current, hop: hop + 1, updatedAt: now };
      await repositories.jobs.update(claimed);
      return claimed;
    });
    if (!job) {
      logger.debug('deferred hop dropped', { jobId, hop });
      return 'dropped';
    }
    try {
      return await this.#afterClaim(job, hop, now, handlers);
    } catch (error) {
      // The hop is claimed: the message that came is spent, so the claimed hop is what must come
      // back (the original would be dropped). If even this send fails, the rescue finds the job.
      logger.error('deferred hop failed after its claim; its next hop sent back', {
        jobId,
        error: describeError(error),
      });
      await this.#sendHop(job, job.hop, now + retryDelaySeconds(1) * 1000);
      return 'retrying';
    }
  }

  /** What the copy of a hop that won the claim does: forward, run, postpone, retry or give up. */
  async #afterClaim(
    job: DeferredJobRecord,
    hop: number,
    now: number,
    handlers: Readonly<Record<string, JobHandler>>,
  ): Promise<HopOutcome> {
    const { logger } = this.#options;
    const { jobId } = job;
    if (now < job.dueAt) {
      await this.#sendHop(job, job.hop, job.dueAt);
      return 'forwarded';
    }
    const handler = handlers[job.kind];
    if (!handler) return this.#giveUp(job, `no handler for kind ${job.kind}`, 1);
    let outcome: Awaited<ReturnType<JobHandler>>;
    try {
      outcome = await handler(job);
    } catch (error) {
      return this.#failed(job, error);
    }
    if (outcome && outcome.postponeUntil > now) {
      const dueAt = outcome.postponeUntil;
      const moved = await this.#settle(job, { dueAt });
      if (moved) await this.#sendHop(job, job.hop, dueAt);
      logger.info('deferred job postponed', { jobId, kind: job.kind, until: new Date(dueAt).toISOString() });
      return 'postponed';
    }
    await this.#settle(job, { status: 'done' });
    logger.info('deferred job done', { jobId, kind: job.kind, hops: hop, lateMs: now - job.dueAt });
    return 'done';
  }

  /**
   * Re-sends the hop of pending jobs nobody touched for longer than a hop can take plus `graceMs`
   * (their message was lost), due or not. Each re-send is claimed first (the row's `updatedAt`
   * moves), so the next rescue leaves it alone and two rescues at once send it once.
   */
  async rescueStalledJobs(graceMs: number, limit = 500): Promise<number> {
    const { store, clock, logger, maxHopDelaySeconds } = this.#options;
    const now = clock.now();
    const stalledBefore = now - maxHopDelaySeconds * 1000 - graceMs;
    let rescued = 0;
    let after: { updatedAt: number; jobId: string } | undefined;
    while (rescued < limit) {
      const page = await store.read((repositories) =>
        repositories.jobs.listPendingStale(stalledBefore, {
          limit: Math.min(100, limit - rescued),
          ...(after ? { after } : {}),
        }),
      );
      for (const stalled of page) {
        const claimed = await store.transaction(async (repositories) => {
          const current = await repositories.jobs.get(stalled.jobId);
          if (current?.status !== 'pending' || current.updatedAt !== stalled.updatedAt) return null;
          const touched = { ...current, updatedAt: now };
          await repositories.jobs.update(touched);
          return touched;
        });
        if (!claimed) continue;
        await this.#sendHop(claimed, claimed.hop, claimed.dueAt);
        rescued++;
      }
      const last = page[page.length - 1];
      if (!last || page.length < 100) break;
      after = { updatedAt: last.updatedAt, jobId: last.jobId };
    }
    if (rescued > 0) logger.warn('stalled deferred jobs re-sent', { rescued });
    return rescued;
  }

  /** Writes a claimed job's result, if nothing moved it meanwhile (a cancel, a rescue's re-run). */
  async #settle(job: DeferredJobRecord, change: Partial<Pick<DeferredJobRecord, 'dueAt' | 'status'>>) {
    const { store, clock } = this.#options;
    const moved = (current: DeferredJobRecord | null) =>
      current?.status !== 'pending' || current.hop !== job.hop;
    // A look first: a handler that finished its job itself (a reply marked sent) needs no write here.
    if (moved(await store.read((repositories) => repositories.jobs.get(job.jobId)))) return false;
    return store.transaction(async (repositories) => {
      const current = await repositories.jobs.get(job.jobId);
      if (!current || moved(current)) return false;
      await repositories.jobs.update({ ...current, ...change, updatedAt: clock.now() });
      return true;
    });
  }

  /** Counts a handler's failure: re-queues the job alone with a backoff, or gives it up at the limit. */
  async #failed(job: DeferredJobRecord, error: unknown): Promise<HopOutcome> {
    const { store, clock, logger, maxFailures } = this.#options;
    const now = clock.now();
    const reason = error instanceof Error ? error.message : String(error);
    const failures = await store.transaction(async (repositories) => {
      const key = `job-failures:${job.jobId}`;
      const previous = await repositories.claims.get(key, now);
      const count = Number(previous?.value.failures ?? 0) + 1;
      await repositories.claims.put({
        key,
        value: { failures: count },
        createdAt: now,
        expiresAt: now + 14 * 86_400_000,
      });
      return count;
    });
    if (failures >= maxFailures) return this.#giveUp(job, reason, failures);
    const delaySeconds = retryDelaySeconds(failures);
    await this.#sendHop(job, job.hop, now + delaySeconds * 1000);
    logger.warn('deferred job failed; it is retried alone', {
      jobId: job.jobId,
      kind: job.kind,
      failures,
      retryInSeconds: delaySeconds,
      reason,
    });
    return 'retrying';
  }

  /** Gives a job up once: cancelled, and one message in its queue's dead-letter queue for ops. */
  async #giveUp(job: DeferredJobRecord, reason: string, failures: number): Promise<HopOutcome> {
    const { queue, logger } = this.#options;
    // The dead letter first: if the cancel then fails, the hop comes again and a second dead letter
    // is harmless; the other way round, a failed send would lose the job without a trace.
    const deadLetter = { jobId: job.jobId, hop: job.hop, kind: job.kind, failures, reason };
    await queue.send(`${queueForJob(job.kind)}-dlq`, { body: JSON.stringify(deadLetter) });
    if (!(await this.#settle(job, { status: 'cancelled' }))) return 'dropped';
    logger.error('deferred job dead-lettered', { jobId: job.jobId, kind: job.kind, failures, reason });
    return 'dead-lettered';
  }

  async #sendHop(job: Pick<DeferredJobRecord, 'jobId' | 'kind'>, hop: number, dueAt: number): Promise<void> {
    await this.#options.queue.send(
      queueForJob(job.kind),
      this.#hop(job, hop, dueAt, this.#options.clock.now()),
    );
  }

  /** The queue message of a hop: `{jobId, hop}`, delayed until `dueAt` or by one hop at most. */
  #hop(job: Pick<DeferredJobRecord, 'jobId'>, hop: number, dueAt: number, now: number): OutgoingMessage {
    const remainingSeconds = Math.ceil((dueAt - now) / 1000);
    const delaySeconds = Math.max(0, Math.min(this.#options.maxHopDelaySeconds, remainingSeconds));
    const message: DeferredMessage = { jobId: job.jobId, hop };
    return { body: JSON.stringify(message), delaySeconds };
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
