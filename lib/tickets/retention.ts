import type { Clock } from '../clock';
import { describeError } from '../errors';
import type { Logger } from '../log/logger';
import type { DeferredJobs } from '../queue/deferred';
import type { JobHandler } from '../queue/jobs';
import type { DeferredJobRecord, Store } from '../storage/port';
import {
  type AnonymisationOutcome,
  anonymiseClosedTicket,
  parkAnonymisation,
  TICKET_ANONYMISATION_JOB,
} from './anonymise';

/**
 * The retention of closed tickets' personal data (FZ-152), run by the deferred worker: a sweep on its
 * timer anonymises the tickets whose parked job is due, and a handler runs such a job when it comes
 * through the queue instead (the rescue sent it: the sweep had not taken it in time, or a claimed one
 * failed and is retried).
 */

export interface RetentionDependencies {
  store: Store;
  clock: Clock;
  logger: Logger;
}

/** How many due jobs one claim takes: each is anonymised in its own transaction. */
const CLAIM_BATCH = 50;

/**
 * Anonymises the tickets whose retention ran out, at most `limit` a call: some 20 round trips each,
 * so 200 stay well inside the worker's 60 s, and the timer comes again in ten minutes (28 800 a day;
 * ~550 tickets close a day at 100 000 in six months). Each due job is claimed first
 * (`DeferredJobs.claimUnclaimedDue`, a bounded range of the `(kind, status, hop, due_at)` index), so
 * two sweeps at once never take the same one; then anonymised with its job marked done in one
 * transaction. A job that fails goes to the queue alone with a backoff, where the handler retries it.
 */
export async function anonymiseDueTickets(
  deps: RetentionDependencies & { deferred: DeferredJobs },
  limit = 200,
): Promise<{ anonymised: number; taken: number }> {
  const { logger, deferred } = deps;
  let anonymised = 0;
  let taken = 0;
  while (taken < limit) {
    const room = Math.min(CLAIM_BATCH, limit - taken);
    const claimed = await deferred.claimUnclaimedDue(TICKET_ANONYMISATION_JOB, room, async () => true);
    taken += claimed.length;
    for (const job of claimed) {
      try {
        if ((await runClaimed(deps, job)) === 'anonymised') anonymised++;
      } catch (error) {
        await deferred.failedClaimed(job, error).catch((sendError: unknown) => {
          // Claimed and not re-queued: the rescue timer finds it.
          logger.error('anonymisation not re-queued', { jobId: job.jobId, error: describeError(sendError) });
        });
      }
    }
    if (claimed.length < room) break;
  }
  await afterAnonymising(deps, anonymised);
  return { anonymised, taken };
}

/** The handler of an anonymisation job that came through the queue; `DeferredJobs` marks it done. */
export function retentionJobHandlers(deps: RetentionDependencies): Record<string, JobHandler> {
  return {
    [TICKET_ANONYMISATION_JOB]: async (job) => {
      const outcome = await deps.store.transaction(
        (repositories) => anonymiseClosedTicket(repositories, job, deps.clock.now()),
        { idempotent: true },
      );
      await afterAnonymising(deps, outcome === 'anonymised' ? 1 : 0);
    },
  };
}

/** A claimed job: anonymised and marked done in one commit, unless someone settled it meanwhile. */
async function runClaimed(
  deps: RetentionDependencies,
  job: DeferredJobRecord,
): Promise<AnonymisationOutcome | null> {
  const { store, clock } = deps;
  return store.transaction(
    async (repositories) => {
      const current = await repositories.jobs.get(job.jobId);
      if (current?.status !== 'pending' || current.hop !== job.hop) return null;
      const now = clock.now();
      const outcome = await anonymiseClosedTicket(repositories, job, now);
      await repositories.jobs.update({ ...current, status: 'done', updatedAt: now });
      return outcome;
    },
    // A re-run after an unknown commit finds the job done (or the ticket anonymised): no repeat.
    { idempotent: true },
  );
}

/** The erased texts must not linger in the SQLite file's free pages or its log (see `Store.afterErasure`). */
async function afterAnonymising(deps: RetentionDependencies, anonymised: number): Promise<void> {
  if (anonymised === 0) return;
  await deps.store.afterErasure?.();
  deps.logger.info('closed tickets anonymised', { anonymised });
}

/**
 * Parks the anonymisation of tickets closed before closing parked one (`npm run
 * db:backfill-retention`): closed tickets newest first, `batch` a transaction, each not yet anonymised
 * given the job its closing would have parked (due `retentionMs` after it; one already past due is
 * taken by the next sweep). Creating a job is idempotent, so a run that stopped is run again, or
 * resumed from `before`, the last position it printed.
 */
export async function parkMissingAnonymisations(
  store: Store,
  options: {
    retentionMs: number;
    batch?: number;
    before?: { createdAt: number; ticketId: string };
    onBatch?: (progress: {
      seen: number;
      parked: number;
      last: { createdAt: number; ticketId: string };
    }) => void;
  },
): Promise<{ seen: number; parked: number }> {
  const batch = options.batch ?? 200;
  let before = options.before;
  let seen = 0;
  let parked = 0;
  for (;;) {
    const page = await store.transaction(async (repositories) => {
      const { tickets, nextCursor } = await repositories.tickets.listByStatus('closed', {
        limit: batch,
        ...(before ? { before } : {}),
      });
      let parkedHere = 0;
      for (const ticket of tickets) {
        if (ticket.details.anonymisedAt !== undefined) continue;
        const history = await repositories.tickets.listStatusChanges(ticket.ticketId);
        const closing = history.reduce<(typeof history)[number] | undefined>(
          (latest, change) => (latest === undefined || change.seq > latest.seq ? change : latest),
          undefined,
        );
        if (closing?.to !== 'closed') continue;
        if (await parkAnonymisation(repositories, closing, options.retentionMs)) parkedHere++;
      }
      return { tickets: tickets.length, parked: parkedHere, nextCursor };
    });
    seen += page.tickets;
    parked += page.parked;
    if (!page.nextCursor) return { seen, parked };
    before = page.nextCursor;
    options.onBatch?.({ seen, parked, last: before });
  }
}
