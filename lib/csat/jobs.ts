import { clientOf } from '../bot/dialog';
import { buildKeyboard } from '../bot/keyboard';
import { surveyButtons } from '../bot/survey-answers';
import { type Clock, DAY, HOUR } from '../clock';
import { describeError } from '../errors';
import { render } from '../i18n/catalog';
import type { Logger } from '../log/logger';
import { type AppNotifications, nextUtcDay } from '../notifications/app-notification';
import { createJob, type JobHandler } from '../queue/jobs';
import { quietHoursEnd } from '../schedule/quiet-hours';
import type {
  DeferredJobRecord,
  DialogRecord,
  Store,
  SurveyChannel,
  SurveyRecord,
  TicketRecord,
  UserRecord,
} from '../storage/port';
import { findCategory, type SupportSettings } from '../support/settings';
import { recordNotAllowed } from '../users/account';
import type { VkClient } from '../vk/client';
import { VkRecipientUnavailableError } from '../vk/errors';
import {
  CSAT_ALERT_JOB,
  CSAT_REMINDER_JOB,
  CSAT_SURVEY_JOB,
  type CsatSettings,
  cancelSurvey,
  currentResolution,
  isLowRating,
  type LowRatingReason,
  ratingLabel,
  reminderJobId,
  surveyIdFor,
} from './survey';

export interface CsatJobDependencies {
  store: Store;
  clock: Clock;
  logger: Logger;
  settings: CsatSettings;
  /** Community token: surveys in the dialog, alerts in the quality chat. */
  groupVk: VkClient;
  /** Mini app notifications (service token, daily cap): the fallback. */
  appNotifications: AppNotifications;
  groupId: number;
  timezone: string;
  support: SupportSettings;
  /** Sends the first hop of jobs a handler committed (the reminder). */
  dispatchJobs: (jobIds: readonly string[]) => Promise<void>;
}

/** A survey not sent within this long of its resolution (postponed day after day) is given up. */
const SURVEY_EXPIRY = 7 * DAY;

type Step = 'survey' | 'reminder';
type Delivered = { channel: SurveyChannel } | { postponeUntil: number } | null;

/**
 * The deferred side of CSAT, run by csat-followup: the survey, its one reminder, the quality alert.
 * Each re-checks the state at run time (the ticket may have reopened, the survey been answered, the
 * user erased) and sends under its job id as the VK `random_id` key, so a redelivered or overlapping
 * job never sends twice; a notification goes through the user's daily (user, day) claim.
 */
export function csatJobHandlers(deps: CsatJobDependencies): Record<string, JobHandler> {
  return {
    [CSAT_SURVEY_JOB]: (job) => sendSurvey(deps, job, 'survey'),
    [CSAT_REMINDER_JOB]: (job) => sendSurvey(deps, job, 'reminder'),
    [CSAT_ALERT_JOB]: (job) => alertQualityLead(deps, job),
  };
}

interface SurveyState {
  survey: SurveyRecord;
  ticket: TicketRecord | null;
  user: UserRecord | null;
  dialog: DialogRecord | null;
}

async function loadSurvey(store: Store, surveyId: string): Promise<SurveyState | null> {
  return store.read(async (repositories) => {
    const survey = await repositories.surveys.get(surveyId);
    if (!survey) return null;
    const ticket = await repositories.tickets.get(survey.ticketId);
    const user = survey.userId === null ? null : await repositories.users.get(survey.userId);
    const dialog = user ? await repositories.dialogs.get(user.userId) : null;
    return { survey, ticket, user, dialog };
  });
}

/** Why a survey must not go out any more, or null when it still should. */
function staleness(state: SurveyState): 'erased' | 'reopened' | null {
  const { survey, ticket, user } = state;
  if (!ticket || !user || ticket.userId === null || ticket.userId !== survey.userId) return 'erased';
  const resolved = ticket.status === 'resolved' || ticket.status === 'closed';
  if (!resolved || surveyIdFor(ticket.ticketId, currentResolution(ticket)) !== survey.surveyId)
    return 'reopened';
  return null;
}

async function sendSurvey(
  deps: CsatJobDependencies,
  job: DeferredJobRecord,
  step: Step,
): Promise<undefined | { postponeUntil: number }> {
  const { store, clock, logger, settings } = deps;
  const state = await loadSurvey(store, String(job.payload.surveyId));
  if (!state) {
    logger.warn('csat job without its survey', { jobId: job.jobId });
    return;
  }
  const { survey } = state;
  const waitingFor = step === 'survey' ? 'scheduled' : 'sent';
  if (survey.status !== waitingFor || (step === 'reminder' && survey.remindersSent > 0)) {
    logger.debug('csat job has nothing to do', { jobId: job.jobId, status: survey.status });
    return;
  }
  const stale = staleness(state);
  if (stale) {
    await store.transaction(async (repositories) => {
      const current = await repositories.surveys.get(survey.surveyId);
      if (current) await cancelSurvey(repositories, current, clock.now());
    });
    logger.info('csat survey cancelled', { jobId: job.jobId, reason: stale });
    return;
  }
  const { ticket, user } = state as SurveyState & { ticket: TicketRecord; user: UserRecord };
  const now = clock.now();
  if (now - survey.createdAt > SURVEY_EXPIRY) {
    if (step === 'survey') await recordStepOutcome(deps, survey.surveyId, step, null);
    logger.info('csat survey expired unsent', { jobId: job.jobId, step });
    return;
  }
  const quietEnd = quietHoursEnd(
    user.quietHours ?? settings.defaultQuietHours,
    now,
    user.timezone ?? deps.timezone,
  );
  if (quietEnd !== null) return { postponeUntil: quietEnd };

  const delivered = await deliver(deps, job, step, { ...state, ticket, user });
  if (delivered && 'postponeUntil' in delivered) return delivered;
  const reminder = await recordStepOutcome(deps, survey.surveyId, step, delivered?.channel ?? null);
  if (reminder) {
    await deps.dispatchJobs([reminder]).catch((error: unknown) => {
      logger.warn('reminder dispatch failed; the rescue timer will retry', { error: describeError(error) });
    });
  }
  logger.info('csat survey step done', {
    jobId: job.jobId,
    step,
    channel: delivered?.channel ?? 'unreachable',
  });
  return undefined;
}

/**
 * The survey in the dialog where the community may write, with buttons (callback ones where the
 * client can, text ones otherwise) or, for a client that shows none, asking for a typed rating; else
 * a mini app notification that opens the rating screen; else nothing.
 */
async function deliver(
  deps: CsatJobDependencies,
  job: DeferredJobRecord,
  step: Step,
  state: SurveyState & { ticket: TicketRecord; user: UserRecord },
): Promise<Delivered> {
  const { store, clock } = deps;
  const { survey, ticket, user, dialog } = state;
  const language = user.language ?? 'ru';
  const client = clientOf(dialog);
  const resolution = currentResolution(ticket);
  if (user.messagesAllowed === true) {
    const keyboard = buildKeyboard(surveyButtons(survey.scale, ticket.number, resolution), client);
    const ask = render(language, step === 'survey' ? 'csat.ask' : 'csat.reminder', { number: ticket.number });
    // A client that shows no buttons is asked to type the rating (the bot reads "4", "👍").
    const typed = keyboard
      ? ''
      : `\n\n${render(language, survey.scale === 'thumbs' ? 'csat.typed.thumbs' : 'csat.typed.five')}`;
    try {
      await deps.groupVk.sendMessage({
        peerId: user.userId,
        messageKey: job.jobId,
        text: ask + typed,
        ...(keyboard ? { keyboard } : {}),
      });
      return { channel: 'message' };
    } catch (error) {
      if (!(error instanceof VkRecipientUnavailableError)) throw error;
      await store.transaction((repositories) => recordNotAllowed(repositories, user.userId, clock.now()));
    }
  }
  if (!user.notificationsAllowed || !user.notificationTypes.ticketUpdates) return null;
  const outcome = await deps.appNotifications.send(user.userId, {
    text: render(language, 'csat.notification', { number: ticket.number }),
    fragment: `rate=${encodeURIComponent(ticket.number)}`,
    kind: 'ticket_update',
  });
  switch (outcome) {
    case 'sent':
      return { channel: 'notification' };
    case 'capped':
    case 'daily_limit':
      return { postponeUntil: nextUtcDay(clock.now()) };
    case 'hourly_limit':
      return { postponeUntil: clock.now() + HOUR };
    default:
      return null;
  }
}

/**
 * Records what a step did: the survey sent (with its reminder job created in the same commit) or
 * unreachable; the reminder counted. Returns the reminder's job id when one was created.
 */
async function recordStepOutcome(
  deps: CsatJobDependencies,
  surveyId: string,
  step: Step,
  channel: SurveyChannel | null,
): Promise<string | null> {
  const { store, clock, settings } = deps;
  return store.transaction(async (repositories) => {
    const now = clock.now();
    const current = await repositories.surveys.get(surveyId);
    if (!current) return null;
    if (step === 'reminder') {
      if (channel) await repositories.surveys.update({ ...current, remindersSent: 1, updatedAt: now });
      return null;
    }
    if (current.status === 'answered') {
      // Answered while it was being sent (another channel, the mini app): keep the answer, note the send.
      if (channel && current.sentAt === null)
        await repositories.surveys.update({
          ...current,
          sentAt: now,
          channel: current.channel ?? channel,
          updatedAt: now,
        });
      return null;
    }
    if (current.status !== 'scheduled') return null;
    if (!channel) {
      await repositories.surveys.update({ ...current, status: 'unreachable', updatedAt: now });
      return null;
    }
    await repositories.surveys.update({ ...current, status: 'sent', channel, sentAt: now, updatedAt: now });
    if (settings.reminderAfterMs === null) return null;
    const jobId = reminderJobId(surveyId);
    await createJob(
      repositories,
      { jobId, kind: CSAT_REMINDER_JOB, payload: { surveyId }, dueAt: now + settings.reminderAfterMs },
      now,
    );
    return jobId;
  });
}

/**
 * The quality lead hears of a low rating once: ticket, category, credited operator, rating, reason
 * and a link to the dialog, in the quality chat (keyed by the job id, so a retry never repeats it).
 */
async function alertQualityLead(deps: CsatJobDependencies, job: DeferredJobRecord): Promise<void> {
  const { store, logger, settings } = deps;
  const found = await store.read(async (repositories) => {
    const survey = await repositories.surveys.get(String(job.payload.surveyId));
    const ticket = survey ? await repositories.tickets.get(survey.ticketId) : null;
    return survey && ticket ? { survey, ticket } : null;
  });
  if (found?.survey.status !== 'answered' || !isLowRating(found.survey.rating)) return;
  const { survey, ticket } = found;
  if (survey.userId === null || ticket.userId === null) return; // erased since: nothing to point to
  if (settings.qualityChatPeerId === undefined) {
    logger.warn('low rating, no QUALITY_CHAT_PEER_ID to alert', {
      ticket: ticket.number,
      rating: survey.rating,
    });
    return;
  }
  const category = findCategory(deps.support, ticket.category);
  const reason = survey.reason
    ? render('ru', `csat.reason.${survey.reason as LowRatingReason}`) +
      (survey.reasonText ? `: «${survey.reasonText}»` : '')
    : render('ru', 'csat.alert.no_reason');
  await deps.groupVk.sendMessage({
    peerId: settings.qualityChatPeerId,
    messageKey: job.jobId,
    disableMentions: true,
    text: render('ru', 'csat.alert', {
      rating: `${ratingLabel(survey.scale, survey.rating ?? 0)}${survey.scale === 'five' ? '/5' : ''}`,
      number: ticket.number,
      category: category?.label.ru ?? ticket.category,
      operator: await operatorName(deps, survey.operatorId),
      reason,
      link: `https://vk.com/gim${deps.groupId}?sel=${survey.userId}`,
    }),
  });
}

/** "Имя Фамилия (id42)", or the id alone when VK can't say. */
async function operatorName(deps: CsatJobDependencies, operatorId: number | null): Promise<string> {
  if (operatorId === null) return '—';
  try {
    const [person] = await deps.groupVk.getUsers([operatorId], 'ru');
    return person ? `${person.first_name} ${person.last_name} (id${operatorId})` : `id${operatorId}`;
  } catch (error) {
    deps.logger.info('operator name unavailable for the alert', { error: describeError(error) });
    return `id${operatorId}`;
  }
}
