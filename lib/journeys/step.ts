import * as z from 'zod';
import { CONTROL } from '../campaigns/campaign';
import { lookback, matches } from '../campaigns/segment';
import { type Clock, DAY } from '../clock';
import type { Logger } from '../log/logger';
import { type AppNotifications, NOTIFICATION_LIMIT } from '../notifications/app-notification';
import { capFreesAt, claimNotificationSlot, notificationSendKey, utcDay } from '../notifications/daily-cap';
import type { DeferredJobs } from '../queue/deferred';
import { createJob, type JobHandler, type NewJob } from '../queue/jobs';
import { quietHoursEnd } from '../schedule/quiet-hours';
import type {
  JourneyRunRecord,
  JourneyStepOutcome,
  QuietHours,
  Repositories,
  Store,
  UserRecord,
} from '../storage/port';
import { recordNotAllowed } from '../users/account';
import type { VkClient } from '../vk/client';
import { VkRecipientUnavailableError } from '../vk/errors';
import {
  JOURNEY_STEP_JOB,
  type Journey,
  type JourneyStep,
  journeyFragment,
  journeyStepJob,
  journeySteps,
  shippedJourneys,
  stepTexts,
} from './definition';
import { claimMarketingMessage } from './message-cap';

export interface JourneySettings {
  /** `NOTIFY_DAILY_CAP`: a journey's notification spends the campaigns' budget. */
  campaignCap: number;
  /** `MARKETING_MESSAGES_DAILY_CAP`. */
  messagesDailyCap: number;
  defaultQuietHours: QuietHours | null;
  /** The community's timezone, for users whose own is unknown. */
  timezone: string;
}

export interface JourneyDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  /** The community's client: `messages.send`. */
  groupVk: VkClient;
  appNotifications: AppNotifications;
  deferred: Pick<DeferredJobs, 'dispatch'>;
  settings: JourneySettings;
  journeys?: readonly Journey[];
}

const payloadSchema = z.object({
  userId: z.number().int(),
  journey: z.string(),
  runId: z.string(),
  step: z.number().int().min(0),
});

/** The deferred worker's handler of a journey's steps. */
export function journeyJobHandlers(deps: JourneyDeps): Record<string, JobHandler> {
  return {
    [JOURNEY_STEP_JOB]: async (job) => runJourneyStep(deps, payloadSchema.parse(job.payload)),
  };
}

type Decision =
  | { kind: 'none' }
  | { kind: 'postpone'; until: number }
  | { kind: 'recorded'; next: NewJob | null }
  | { kind: 'send'; sending: NonNullable<JourneyRunRecord['sending']>; fragment: string };

/**
 * Runs the step a job stands for. First, in one transaction: the run must still be at this step; the
 * exit (an exit event or a ticket since the trigger) and the step's condition are checked again, the
 * channel is chosen (a message to a user who allows messages, else a notification), quiet hours hold
 * the step, and the send's budget is claimed (the user's marketing message of the day, or a campaign
 * notification slot) with the send recorded on the run. Then the VK call with the send's own key
 * (`journey:<journey>:<user>:<run>:<step>` as `random_id`, or the slot's), and the outcome is recorded
 * with the next step's job. A retry after a failed call finds the send recorded and repeats it with
 * the same key; a refusal by a cap is recorded (`capped`) and the run goes on, never past the cap.
 */
export async function runJourneyStep(
  deps: JourneyDeps,
  payload: z.infer<typeof payloadSchema>,
): ReturnType<JobHandler> {
  const { store, clock } = deps;
  const journey = (deps.journeys ?? shippedJourneys()).find((candidate) => candidate.id === payload.journey);
  const decision = await store.transaction((repositories) =>
    decide(repositories, deps.settings, journey, payload, clock.now()),
  );
  if (decision.kind === 'postpone') return { postponeUntil: decision.until };
  if (decision.kind === 'recorded') {
    if (decision.next) await deps.deferred.dispatch(decision.next.jobId);
    return;
  }
  if (decision.kind === 'none') return;

  const { sending } = decision;
  let outcome: Omit<JourneyStepOutcome, 'at'>;
  let notAllowed = false;
  if (sending.channel === 'message') {
    try {
      await deps.groupVk.sendMessage({ peerId: payload.userId, messageKey: sending.key, text: sending.text });
      outcome = { step: sending.step, outcome: 'sent', channel: 'message', detail: null };
    } catch (error) {
      // 901/902: the user took the permission back (or never gave it): not written to again.
      if (!(error instanceof VkRecipientUnavailableError)) throw error;
      notAllowed = true;
      outcome = { step: sending.step, outcome: 'failed', channel: 'message', detail: 'messages_not_allowed' };
    }
  } else {
    const status = await deps.appNotifications.sendClaimed(
      { userId: payload.userId, day: utcDay(sending.claimedAt), slot: sending.slot ?? 1 },
      { text: sending.text, fragment: decision.fragment },
    );
    outcome = {
      step: sending.step,
      outcome: status === 'sent' ? 'sent' : 'failed',
      channel: 'notification',
      detail: status === 'sent' ? null : status,
    };
  }
  const next = await store.transaction(async (repositories) => {
    const now = clock.now();
    if (notAllowed) await recordNotAllowed(repositories, payload.userId, now);
    const run = await repositories.journeys.get(payload.userId, payload.journey, payload.runId);
    if (run?.sending?.step !== sending.step) return null; // recorded by another attempt
    return record(repositories, journey, run, { ...outcome, at: now }, now);
  });
  if (next) await deps.deferred.dispatch(next.jobId);
  deps.logger.info('journey step done', {
    journey: payload.journey,
    step: payload.step,
    outcome: outcome.outcome,
    channel: outcome.channel,
  });
}

async function decide(
  repositories: Repositories,
  settings: JourneySettings,
  journey: Journey | undefined,
  payload: z.infer<typeof payloadSchema>,
  now: number,
): Promise<Decision> {
  const run = await repositories.journeys.get(payload.userId, payload.journey, payload.runId);
  if (run?.status !== 'active' || run.step !== payload.step) return { kind: 'none' };
  const step = journey ? journeySteps(journey, run.variant)[payload.step] : undefined;
  if (run.sending?.step === payload.step && journey)
    return {
      kind: 'send',
      sending: run.sending,
      fragment: journeyFragment(journey, run.variant, payload.step),
    };
  const skip = async (
    outcome: JourneyStepOutcome['outcome'],
    detail: string,
    channel: Channel | null = null,
  ) => ({
    kind: 'recorded' as const,
    next: await record(
      repositories,
      journey,
      run,
      { step: run.step, outcome, channel, detail, at: now },
      now,
    ),
  });
  if (!journey || !step || !journey.enabled) return skip('skipped', 'journey_disabled');

  const exit = await exitReason(repositories, journey, run, now);
  if (exit) return skip('exited', exit);
  if (step.when && !(await conditionMet(repositories, step, run.userId, now)))
    return skip('skipped', 'condition');
  // The control group's runs go step by step like the others but send nothing: the baseline.
  if (run.variant === CONTROL) return skip('control', 'control_group');
  const user = await repositories.users.get(run.userId);
  if (!user) return skip('skipped', 'no_user');
  const channel = channelFor(step, user, journey);
  if (!channel) return skip('skipped', 'not_allowed');
  const quietEnd = quietHoursEnd(
    user.quietHours ?? settings.defaultQuietHours,
    now,
    user.timezone ?? settings.timezone,
  );
  if (quietEnd !== null) {
    await repositories.journeys.put({ ...run, nextAt: quietEnd, updatedAt: now });
    return { kind: 'postpone', until: quietEnd };
  }

  const texts = stepTexts(step, user.language ?? 'ru', user.firstName);
  let sending: NonNullable<JourneyRunRecord['sending']>;
  if (channel === 'message') {
    const key = `journey:${journey.id}:${run.userId}:${run.runId}:${run.step}`;
    if (!(await claimMarketingMessage(repositories, run.userId, now, settings.messagesDailyCap, key)))
      return skip('capped', 'daily_cap', channel);
    sending = { step: run.step, channel, key, text: texts[0]!, slot: null, claimedAt: now };
  } else {
    const [first, ...alternatives] = texts.map((text) => text.slice(0, NOTIFICATION_LIMIT));
    const claim = await claimNotificationSlot(
      repositories.notifications,
      {
        userId: run.userId,
        kind: 'campaign',
        campaign: journey.id,
        variant: `step${run.step}`,
        text: first!,
        createdAt: now,
      },
      { kind: 'campaign', campaignCap: settings.campaignCap },
      { alternatives },
    );
    if ('refused' in claim) {
      // Within the hour of the user's last notification: the step waits out the hour.
      if (claim.refused === 'hourly_limit') {
        const until = capFreesAt(claim.latest, 'hourly_limit', now);
        await repositories.journeys.put({ ...run, nextAt: until, updatedAt: now });
        return { kind: 'postpone', until };
      }
      return skip(claim.refused === 'repeat_text' ? 'skipped' : 'capped', claim.refused, channel);
    }
    const day = utcDay(now);
    sending = {
      step: run.step,
      channel,
      key: notificationSendKey(run.userId, day, claim.slot),
      text: claim.text,
      slot: claim.slot,
      claimedAt: now,
    };
  }
  await repositories.journeys.put({ ...run, sending, updatedAt: now });
  return { kind: 'send', sending, fragment: journeyFragment(journey, run.variant, run.step) };
}

type Channel = 'message' | 'notification';

/** A message where the step allows one and the user does; else a notification if they take them. */
function channelFor(step: JourneyStep, user: UserRecord, journey: Journey): Channel | null {
  if (step.channel !== 'notification' && user.messagesAllowed === true) return 'message';
  if (step.channel !== 'message' && user.notificationsAllowed && user.notificationTypes[journey.type])
    return 'notification';
  return null;
}

/** Why the run ends before this step: an exit event since the trigger, or a ticket filed since. */
async function exitReason(
  repositories: Repositories,
  journey: Journey,
  run: JourneyRunRecord,
  now: number,
): Promise<string | null> {
  if (journey.exitOn.length > 0) {
    const events = await repositories.events.listByUser(run.userId, {
      since: run.startedAt,
      until: now + 1,
      limit: 1000,
    });
    const exit = events.find((event) => journey.exitOn.includes(event.name));
    if (exit) return exit.name;
  }
  if (journey.exitOnTicket) {
    const { tickets } = await repositories.tickets.listByUser(run.userId, { limit: 1 });
    if (tickets[0] && tickets[0].createdAt >= run.startedAt) return 'ticket';
  }
  return null;
}

async function conditionMet(
  repositories: Repositories,
  step: JourneyStep,
  userId: number,
  now: number,
): Promise<boolean> {
  if (!step.when) return true;
  const { eventDays } = lookback(step.when);
  const events = await repositories.events.listByUser(userId, {
    since: now - eventDays * DAY,
    until: now + 1,
    limit: 10_000,
  });
  return matches(step.when, { events, resolvedTickets: [] }, now);
}

/**
 * Records a step's outcome on the run and moves it on: the next step's job (created here, to be
 * dispatched after the commit), or the run's end.
 */
async function record(
  repositories: Repositories,
  journey: Journey | undefined,
  run: JourneyRunRecord,
  outcome: JourneyStepOutcome,
  now: number,
): Promise<NewJob | null> {
  const outcomes = [...run.outcomes, outcome];
  const nextStep = journey ? journeySteps(journey, run.variant)[run.step + 1] : undefined;
  if (run.status !== 'active' || outcome.outcome === 'exited' || !nextStep) {
    const status =
      run.status !== 'active' ? run.status : outcome.outcome === 'exited' ? 'exited' : 'completed';
    await repositories.journeys.put({
      ...run,
      status,
      outcomes,
      sending: null,
      nextAt: null,
      updatedAt: now,
    });
    return null;
  }
  const dueAt = now + nextStep.waitMinutes * 60_000;
  const step = run.step + 1;
  await repositories.journeys.put({ ...run, step, outcomes, sending: null, nextAt: dueAt, updatedAt: now });
  const job = journeyStepJob({ userId: run.userId, journey: run.journey, runId: run.runId, step }, dueAt);
  await createJob(repositories, job, now);
  return job;
}
