import { HOUR } from '../clock';
import { CLICK_LAUNCH_WINDOW } from '../dispatcher/responses';
import type { EventRecord, JourneyRunRecord, Repositories } from '../storage/port';
import { type Journey, shippedJourneys } from './definition';

export { TICKET_FILED_EVENT } from './definition';

/** A user's runs of one journey looked at per goal event: a handful within a week. */
const RUNS_PER_USER = 50;

type ArrivingEvent = Pick<EventRecord, 'name' | 'occurredAt' | 'props'>;

/**
 * Marks `goalAt` on the user's runs whose journey's goal is one of these events, done within the
 * goal's window after the run's start: control runs as well (measured from their start too, so the
 * two groups compare: intention to treat). The step's own click is no goal (see {@link isJourneyClick}).
 * Only journeys whose goal names an arriving event cost a read (a bounded key range of the user's
 * runs of that journey); the first goal is kept, so re-sent events change nothing. Answers the runs
 * it changed, for `enterJourneys` to go on from (not reading back what this transaction wrote).
 */
export async function markJourneyGoals(
  repositories: Repositories,
  userId: number,
  events: readonly ArrivingEvent[],
  journeys: readonly Journey[] = shippedJourneys(),
): Promise<JourneyRunRecord[]> {
  const marked: JourneyRunRecord[] = [];
  const names = new Set(events.map((event) => event.name));
  for (const journey of journeys) {
    const goal = journey.goal;
    if (!goal || !names.has(goal.event)) continue;
    const window = goal.withinHours * HOUR;
    const candidates = events.filter(
      (event) => event.name === goal.event && !isJourneyClick(journey.id, event, events),
    );
    if (candidates.length === 0) continue;
    const earliest = Math.min(...candidates.map((event) => event.occurredAt));
    const runs = await repositories.journeys.listByUser(userId, journey.id, {
      since: earliest - window,
      limit: RUNS_PER_USER,
    });
    for (const run of runs) {
      const goalAt = firstGoal(run, candidates, window);
      if (goalAt === run.goalAt) continue;
      const updated = { ...run, goalAt };
      await repositories.journeys.put(updated);
      marked.push(updated);
    }
  }
  return marked;
}

/** The run's first goal given these (goal-named, own click removed) events as well (pure). */
export function firstGoal(
  run: Pick<JourneyRunRecord, 'startedAt' | 'goalAt'>,
  candidates: readonly Pick<EventRecord, 'occurredAt'>[],
  window: number,
): number | null {
  let { goalAt } = run;
  for (const event of candidates) {
    // At the trigger's own instant counts: an app that sends start and finish in one batch may stamp both alike.
    if (event.occurredAt < run.startedAt || event.occurredAt > run.startedAt + window) continue;
    if (goalAt === null || event.occurredAt < goalAt) goalAt = event.occurredAt;
  }
  return goalAt;
}

/**
 * The step's own click, as lib/dispatcher/responses.ts tells a campaign's: the `notification_open`
 * or `app_open` the mini app tags with the journey from the step's fragment, and any event within
 * {@link CLICK_LAUNCH_WINDOW} of such an open in the same batch (a client that tags nothing else).
 */
export function isJourneyClick(
  journey: string,
  event: ArrivingEvent,
  batch: readonly ArrivingEvent[],
): boolean {
  const tagged = (candidate: ArrivingEvent) => candidate.props.journey === journey;
  if (tagged(event) && (event.name === 'notification_open' || event.name === 'app_open')) return true;
  return batch.some(
    (open) =>
      open.name === 'notification_open' &&
      tagged(open) &&
      Math.abs(event.occurredAt - open.occurredAt) <= CLICK_LAUNCH_WINDOW,
  );
}
