import { HOUR } from '../clock';
import { cancelJob } from '../queue/jobs';
import type { EventRecord, JourneyRunRecord, Repositories } from '../storage/port';
import type { Outbox } from '../tickets/service';
import { type Journey, journeyStepJob, journeySteps, shippedJourneys } from './definition';
import { firstGoal, isJourneyClick } from './goals';
import { assignJourneyVariant } from './variant';

/**
 * A trigger that reaches us this long after it happened starts nothing: an app that sends its events
 * a day late would otherwise nudge about a quiz long finished or forgotten.
 */
const STALE_TRIGGER = 24 * HOUR;

/** A run whose step is this overdue has lost its job: a new trigger replaces it (status `stalled`). */
const STALLED_AFTER = 24 * HOUR;

/**
 * Takes newly logged events to their journeys, inside the transaction that stores them: a trigger
 * event starts a run (unless its user has one of that journey running, or this very event started
 * one already: the run's id is the event's), in the user's group (control or treated, a stable hash
 * of user and journey: lib/journeys/variant.ts), with its first step as a deferred job in the outbox; an
 * exit event ends the user's running one and cancels its waiting step. Only events whose name some
 * journey names cost a read, so the common event costs nothing here.
 */
export async function enterJourneys(
  scope: { repositories: Repositories; outbox: Outbox },
  userId: number,
  events: ReadonlyArray<Pick<EventRecord, 'eventId' | 'name' | 'occurredAt' | 'props'>>,
  now: number,
  journeys: readonly Journey[] = shippedJourneys(),
  /** Runs this transaction changed already (their goals: lib/journeys/goals.ts), newest version. */
  changed: readonly JourneyRunRecord[] = [],
): Promise<void> {
  const { repositories, outbox } = scope;
  const live = journeys.filter((journey) => journey.enabled);
  const named = new Set(live.flatMap((journey) => [journey.trigger, ...journey.exitOn]));
  const relevant = events.filter((event) => named.has(event.name));
  if (relevant.length === 0) return;
  // This call's own changes, read back from here: one batch may start and end a run, and a run it
  // started has its job still in the outbox (written after this returns), not in the store.
  const written = new Map<string, JourneyRunRecord | null>();
  for (const run of changed) if (run.status === 'active') written.set(run.journey, run);
  const activeRun = async (journey: string) =>
    written.has(journey) ? written.get(journey)! : repositories.journeys.findActive(userId, journey);

  for (const event of [...relevant].sort((a, b) => a.occurredAt - b.occurredAt)) {
    for (const journey of live) {
      if (journey.exitOn.includes(event.name)) {
        const run = await activeRun(journey.id);
        if (run && event.occurredAt >= run.startedAt) {
          const exited: JourneyRunRecord = {
            ...run,
            status: 'exited',
            nextAt: null,
            outcomes: [
              ...run.outcomes,
              { step: run.step, outcome: 'exited', channel: null, detail: event.name, at: now },
            ],
            updatedAt: now,
          };
          await repositories.journeys.put(exited);
          written.set(journey.id, null);
          const job = journeyStepJob({ userId, journey: journey.id, runId: run.runId, step: run.step }, 0);
          const queued = outbox.jobs.findIndex((candidate) => candidate.jobId === job.jobId);
          if (queued >= 0) outbox.jobs.splice(queued, 1);
          else await cancelJob(repositories, job.jobId, now);
        }
      }
      if (event.name !== journey.trigger || now - event.occurredAt > STALE_TRIGGER) continue;
      const running = await activeRun(journey.id);
      if (running) {
        // One run at a time, unless the running one's step is long overdue: its job was lost (dead-
        // lettered after failing again and again), and it would hold the user out of the journey.
        if (running.nextAt === null || now - running.nextAt < STALLED_AFTER) continue;
        await repositories.journeys.put({
          ...running,
          status: 'stalled',
          nextAt: null,
          outcomes: [
            ...running.outcomes,
            { step: running.step, outcome: 'failed', channel: null, detail: 'stalled', at: now },
          ],
          updatedAt: now,
        });
        const job = journeyStepJob(
          { userId, journey: journey.id, runId: running.runId, step: running.step },
          0,
        );
        await cancelJob(repositories, job.jobId, now);
      }
      if (await repositories.journeys.get(userId, journey.id, event.eventId)) continue; // re-sent
      const variant = assignJourneyVariant(journey, userId);
      const first = journeySteps(journey, variant)[0]!;
      const dueAt = Math.max(now, event.occurredAt + first.waitMinutes * 60_000);
      // A goal in this same batch (quiz_start and quiz_finish sent together) counts for the new run:
      // lib/journeys/goals.ts only sees runs stored before the batch.
      const goal = journey.goal;
      const goalAt = goal
        ? firstGoal(
            { startedAt: event.occurredAt, goalAt: null },
            events.filter((other) => other.name === goal.event && !isJourneyClick(journey.id, other, events)),
            goal.withinHours * HOUR,
          )
        : null;
      const run: JourneyRunRecord = {
        userId,
        journey: journey.id,
        runId: event.eventId,
        startedAt: event.occurredAt,
        variant,
        goalAt,
        step: 0,
        status: 'active',
        nextAt: dueAt,
        outcomes: [],
        sending: null,
        updatedAt: now,
      };
      await repositories.journeys.put(run);
      written.set(journey.id, run);
      outbox.jobs.push(journeyStepJob({ userId, journey: journey.id, runId: run.runId, step: 0 }, dueAt));
    }
  }
}
