import { AppError } from '../errors';
import { cancelJob, type NewJob } from '../queue/jobs';
import type {
  QuietHours,
  Repositories,
  SurveyChannel,
  SurveyRecord,
  SurveyScale,
  TicketRecord,
} from '../storage/port';

/**
 * CSAT surveys: one per resolution of a ticket, the key of "rated once" whatever the channel (a
 * survey button in chat, the mini app). Everything here runs inside the caller's transaction and
 * queues its deferred work in the caller's outbox:
 *
 * - `csat-survey` (job id = survey id) sends the survey after the delay;
 * - `csat-reminder:<survey>` sends the one reminder;
 * - `csat-alert:<survey>` tells the quality lead of a low rating, with its reason when the user gives
 *   one in time. Each job's id is also the VK `random_id` key of what it sends, so a retried job
 *   never sends twice.
 */

export interface CsatSettings {
  /** From resolution to survey. */
  delayMs: number;
  /** From survey to its one reminder; null for none. */
  reminderAfterMs: number | null;
  scale: SurveyScale;
  /** How long a low rating waits for its reason before the alert goes without one. */
  reasonWaitMs: number;
  qualityChatPeerId: number | undefined;
  reviewUrl: string | undefined;
  /** Quiet hours for users who set none. */
  defaultQuietHours: QuietHours | null;
}

export const CSAT_SURVEY_JOB = 'csat-survey';
export const CSAT_REMINDER_JOB = 'csat-reminder';
export const CSAT_ALERT_JOB = 'csat-alert';

export const lowRatingReasons = ['slow', 'not_solved', 'impolite', 'other'] as const;
export type LowRatingReason = (typeof lowRatingReasons)[number];
/** The free-text reason's bounds (characters). */
export const REASON_TEXT = { min: 3, max: 1000 } as const;

export const surveyIdFor = (ticketId: string, resolution: number) => `csat:${ticketId}:${resolution}`;
export const reminderJobId = (surveyId: string) => `csat-reminder:${surveyId}`;
export const alertJobId = (surveyId: string) => `csat-alert:${surveyId}`;

/** Which resolution of the ticket is current (0 before the first). */
export function currentResolution(ticket: TicketRecord): number {
  return Number(ticket.details.resolution ?? 0);
}

/** ≤ 2 of 5, or 👎 (stored as 1). */
export function isLowRating(rating: number | null): boolean {
  return rating !== null && rating <= 2;
}

const fiveScale = ['😡', '🙁', '😐', '🙂', '😍'] as const;

/** How a rating shows: "🙂 4" on the five scale, 👍 / 👎 on thumbs. */
export function ratingLabel(scale: SurveyScale, rating: number): string {
  if (scale === 'thumbs') return rating >= 4 ? '👍' : '👎';
  return `${fiveScale[rating - 1] ?? ''} ${rating}`.trim();
}

/** The values a scale offers, with VK button colours from red to green. */
export function scaleChoices(
  scale: SurveyScale,
): Array<{ rating: number; color: 'negative' | 'secondary' | 'positive' }> {
  if (scale === 'thumbs') {
    return [
      { rating: 1, color: 'negative' },
      { rating: 5, color: 'positive' },
    ];
  }
  return [
    { rating: 1, color: 'negative' },
    { rating: 2, color: 'negative' },
    { rating: 3, color: 'secondary' },
    { rating: 4, color: 'positive' },
    { rating: 5, color: 'positive' },
  ];
}

/**
 * On resolution: creates the survey, crediting the operator who resolved it (fixed now, so a later
 * reassignment does not move the credit), and queues its send. A second call for the same
 * resolution changes nothing.
 */
export async function scheduleSurvey(
  repositories: Repositories,
  outbox: { jobs: NewJob[] },
  ticket: TicketRecord,
  creditedOperatorId: number | null,
  now: number,
  settings: CsatSettings,
): Promise<void> {
  const resolution = currentResolution(ticket);
  if (ticket.userId === null || resolution < 1) return;
  const surveyId = surveyIdFor(ticket.ticketId, resolution);
  const created = await repositories.surveys.create({
    surveyId,
    ticketId: ticket.ticketId,
    userId: ticket.userId,
    operatorId: creditedOperatorId,
    status: 'scheduled',
    scale: settings.scale,
    channel: null,
    sentAt: null,
    rating: null,
    answeredAt: null,
    reason: null,
    reasonText: null,
    remindersSent: 0,
    createdAt: now,
    updatedAt: now,
  });
  if (!created) return;
  outbox.jobs.push({
    jobId: surveyId,
    kind: CSAT_SURVEY_JOB,
    payload: { surveyId },
    dueAt: now + settings.delayMs,
  });
}

/** Cancels a survey not yet answered and everything it still had to send. */
export async function cancelSurvey(
  repositories: Repositories,
  survey: SurveyRecord,
  now: number,
): Promise<void> {
  if (survey.status === 'scheduled' || survey.status === 'sent') {
    await repositories.surveys.update({ ...survey, status: 'cancelled', updatedAt: now });
  }
  for (const jobId of [survey.surveyId, reminderJobId(survey.surveyId), alertJobId(survey.surveyId)]) {
    await cancelJob(repositories, jobId, now);
  }
}

/**
 * A reopened ticket: its open surveys are dropped (the next resolution gets its own), and a low
 * rating's quality alert not sent yet stays unsent: the user is back with the team, the lead hears of
 * the ticket again only if its next resolution is rated low too.
 */
export async function cancelOpenSurveys(
  repositories: Repositories,
  ticketId: string,
  now: number,
): Promise<void> {
  for (const survey of await repositories.surveys.listByTicket(ticketId)) {
    if (survey.status === 'scheduled' || survey.status === 'sent')
      await cancelSurvey(repositories, survey, now);
    else if (survey.status === 'answered') await cancelJob(repositories, alertJobId(survey.surveyId), now);
  }
}

export class RatingError extends AppError {
  constructor(code: 'not_resolved' | 'already_rated' | 'survey_closed', message: string) {
    super(code, message);
  }
}

export interface RatingAnswer {
  rating: number;
  /** The resolution a survey button was for; absent from the mini app (the current one). */
  resolution?: number;
  channel: SurveyChannel;
  /** Given with the rating (the mini app asks in one screen). */
  reason?: LowRatingReason;
  reasonText?: string;
}

/**
 * Records a rating, once per resolution, from any channel: only for a resolved (or closed) ticket,
 * only for its current resolution. The pending survey and reminder are cancelled. A low rating
 * queues the quality alert: at once when the reason came with it, else after `reasonWaitMs` (the
 * reason, if it comes sooner, brings it forward).
 */
export async function recordRating(
  repositories: Repositories,
  outbox: { jobs: NewJob[] },
  ticket: TicketRecord,
  answer: RatingAnswer,
  now: number,
  settings: CsatSettings,
): Promise<SurveyRecord> {
  const resolution = currentResolution(ticket);
  const resolved = ticket.status === 'resolved' || ticket.status === 'closed';
  if (answer.resolution !== undefined && (answer.resolution !== resolution || !resolved)) {
    throw new RatingError('survey_closed', `The survey for ticket ${ticket.number} is no longer open.`);
  }
  if (!resolved || resolution < 1) {
    throw new RatingError('not_resolved', `Ticket ${ticket.number} is not resolved yet.`);
  }
  const surveyId = surveyIdFor(ticket.ticketId, resolution);
  const existing = await repositories.surveys.get(surveyId);
  if (existing?.status === 'answered') {
    throw new RatingError('already_rated', `Ticket ${ticket.number} has been rated already.`);
  }
  if (existing?.status === 'cancelled') {
    throw new RatingError('survey_closed', `The survey for ticket ${ticket.number} is no longer open.`);
  }
  const reasonGiven = answer.reason !== undefined && isLowRating(answer.rating);
  const survey: SurveyRecord = {
    surveyId,
    ticketId: ticket.ticketId,
    userId: ticket.userId,
    operatorId: existing ? existing.operatorId : ticket.assigneeId,
    status: 'answered',
    scale: existing?.scale ?? settings.scale,
    channel: existing?.channel ?? answer.channel,
    sentAt: existing?.sentAt ?? null,
    rating: answer.rating,
    answeredAt: now,
    reason: reasonGiven ? (answer.reason ?? null) : null,
    reasonText: reasonGiven && answer.reason === 'other' ? (answer.reasonText ?? null) : null,
    remindersSent: existing?.remindersSent ?? 0,
    createdAt: existing?.createdAt ?? now,
    updatedAt: now,
  };
  if (existing) await repositories.surveys.update(survey);
  else await repositories.surveys.create(survey);
  await cancelJob(repositories, surveyId, now);
  await cancelJob(repositories, reminderJobId(surveyId), now);
  if (isLowRating(answer.rating)) {
    outbox.jobs.push({
      jobId: alertJobId(surveyId),
      kind: CSAT_ALERT_JOB,
      payload: { surveyId },
      dueAt: reasonGiven ? now : now + settings.reasonWaitMs,
    });
  }
  return survey;
}

/**
 * Records why a low rating was low. `other` first arrives without words (the bot then asks for
 * them) and takes them on a second call. Once the reason is complete, a quality alert still
 * waiting is brought forward to now. Returns false (nothing changed) when the survey takes no
 * reason: not answered, not low, or its reason already given.
 */
export async function recordReason(
  repositories: Repositories,
  outbox: { jobs: NewJob[] },
  survey: SurveyRecord,
  reason: { code: LowRatingReason; text?: string },
  now: number,
): Promise<boolean> {
  if (survey.status !== 'answered' || !isLowRating(survey.rating)) return false;
  const completesOther = survey.reason === 'other' && survey.reasonText === null && reason.text !== undefined;
  if (survey.reason !== null && !completesOther) return false;
  const updated: SurveyRecord = {
    ...survey,
    reason: completesOther ? 'other' : reason.code,
    reasonText: reason.code === 'other' || completesOther ? (reason.text ?? null) : null,
    updatedAt: now,
  };
  await repositories.surveys.update(updated);
  if (updated.reason === 'other' && updated.reasonText === null) return true;
  const alert = await repositories.jobs.get(alertJobId(survey.surveyId));
  if (alert?.status === 'pending' && alert.dueAt > now) {
    await repositories.jobs.update({ ...alert, dueAt: now, updatedAt: now });
    // Already created: the outbox only dispatches its hop, due now.
    outbox.jobs.push({ jobId: alert.jobId, kind: alert.kind, payload: alert.payload, dueAt: now });
  }
  return true;
}
