import { CONTROL } from '../campaigns/campaign';
import { DAY } from '../clock';
import type { VariantResult } from '../dispatcher/report';
import { differenceInterval } from '../dispatcher/uplift';
import type { JourneyRunRecord, JourneyStepOutcome, Repositories } from '../storage/port';
import type { Journey } from './definition';

/** Runs read per page of a journey's start-time range. */
const PAGE = 500;

export type StepOutcomeCounts = { step: number } & Record<JourneyStepOutcome['outcome'], number>;

/**
 * A journey's figures for one group, in the shape of a campaign variant's (so one endpoint and one
 * report serve both): `assigned` is the runs started, `sent` and `delivered` the runs reached (a step
 * sent at least once), `statuses` the runs by status; opens and returns are the campaigns' only.
 */
export interface JourneyVariantResult extends Omit<VariantResult, 'statuses' | 'opened' | 'returned'> {
  /** Not measured for journeys. */
  opened: null;
  returned: null;
  /** Runs by status: active, completed, exited. */
  statuses: Record<string, number>;
  reached: number;
  /** Per step, how its runs ended there: sent, capped, skipped, exited, failed, or held (control). */
  steps: StepOutcomeCounts[];
}

export interface JourneyResults {
  fromDay: string;
  toDay: string;
  journey: string;
  goal: { event: string; withinHours: number } | null;
  variants: JourneyVariantResult[];
}

/**
 * Per group (treated variant and control) of one journey, for runs started in `[fromDay, toDay]`
 * (UTC days): started, reached, goal conversions (`goalAt` marked as events arrive:
 * lib/journeys/goals.ts) and their rate, the uplift over control with Newcombe's 95 % interval, and
 * per-step outcome counts. Reads the journey's start-time index range page by page, never all runs.
 */
export async function journeyResults(
  repositories: Repositories,
  journey: Pick<Journey, 'id' | 'goal'>,
  range: { fromDay: string; toDay: string },
): Promise<JourneyResults> {
  const since = Date.parse(`${range.fromDay}T00:00:00Z`);
  const until = Date.parse(`${range.toDay}T00:00:00Z`) + DAY;
  const tally = new Tally(journey.goal !== undefined);
  let after: { startedAt: number; userId: number; runId: string } | undefined;
  for (;;) {
    const page = await repositories.journeys.listByJourney(journey.id, {
      since,
      until,
      limit: PAGE,
      ...(after ? { after } : {}),
    });
    for (const run of page) tally.add(run);
    if (page.length < PAGE) break;
    const last = page[page.length - 1]!;
    after = { startedAt: last.startedAt, userId: last.userId, runId: last.runId };
  }
  return {
    ...range,
    journey: journey.id,
    goal: journey.goal ? { event: journey.goal.event, withinHours: journey.goal.withinHours } : null,
    variants: tally.results(),
  };
}

/** Percentage points, one decimal (as the campaigns' results). */
const points = (fraction: number) => Math.round(fraction * 1000) / 10;

/** Counts runs into their groups (pure: fed by `journeyResults`, or by a test). */
export class Tally {
  private readonly groups = new Map<string, JourneyVariantResult>();

  constructor(private readonly hasGoal: boolean) {}

  add(run: JourneyRunRecord): void {
    const result = this.groups.get(run.variant) ?? emptyResult(run.variant);
    this.groups.set(run.variant, result);
    result.assigned++;
    result.statuses[run.status] = (result.statuses[run.status] ?? 0) + 1;
    if (run.outcomes.some((outcome) => outcome.outcome === 'sent')) result.reached++;
    if (run.goalAt !== null) result.conversions++;
    for (const outcome of run.outcomes) {
      while (result.steps.length <= outcome.step) result.steps.push(emptySteps(result.steps.length));
      result.steps[outcome.step]![outcome.outcome]++;
    }
  }

  results(): JourneyVariantResult[] {
    const list = [...this.groups.values()].sort((a, b) => a.variant.localeCompare(b.variant));
    for (const result of list) {
      result.sent = result.reached;
      result.delivered = result.reached;
      if (this.hasGoal)
        result.conversionRate = result.assigned > 0 ? result.conversions / result.assigned : null;
    }
    const control = this.groups.get(CONTROL);
    for (const result of list) {
      if (result.variant === CONTROL || !control || !this.hasGoal) continue;
      const interval = differenceInterval(
        { successes: result.conversions, total: result.assigned },
        { successes: control.conversions, total: control.assigned },
      );
      if (interval)
        result.uplift = {
          points: points(interval.difference),
          low: points(interval.low),
          high: points(interval.high),
        };
    }
    return list;
  }
}

function emptySteps(step: number): StepOutcomeCounts {
  return { step, sent: 0, capped: 0, skipped: 0, exited: 0, failed: 0, control: 0 };
}

function emptyResult(variant: string): JourneyVariantResult {
  return {
    variant,
    assigned: 0,
    sent: 0,
    delivered: 0,
    // Not measured for journeys (null, not 0: nobody should read "no one came back"); their goal is.
    opened: null,
    ctr: null,
    returned: null,
    returnRate: null,
    upliftPoints: null,
    conversions: 0,
    conversionRate: null,
    uplift: null,
    statuses: {},
    reached: 0,
    steps: [],
  };
}
