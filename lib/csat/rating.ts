import { AppError } from '../errors';
import { cancelJob } from '../queue/deferred';
import type { Repositories, SurveyRecord, TicketRecord } from '../storage/port';

export class RatingError extends AppError {
  constructor(code: 'not_resolved' | 'already_rated', message: string) {
    super(code, message);
  }
}

/** One survey per resolution of a ticket: the key of "rated once", whatever the channel. */
export function surveyIdFor(ticket: TicketRecord): string {
  return `csat:${ticket.ticketId}:${Number(ticket.details.resolution ?? 0)}`;
}

/**
 * Records a rating inside the caller's transaction, from the chat survey or the mini app alike:
 * only for a resolved (or closed) ticket, once per resolution. A survey still waiting to be sent is
 * answered here, and its pending send is cancelled.
 */
export async function recordRating(
  repositories: Repositories,
  ticket: TicketRecord,
  rating: number,
  now: number,
): Promise<SurveyRecord> {
  if (ticket.status !== 'resolved' && ticket.status !== 'closed') {
    throw new RatingError('not_resolved', `Ticket ${ticket.number} is not resolved yet.`);
  }
  const surveyId = surveyIdFor(ticket);
  const existing = await repositories.surveys.get(surveyId);
  if (existing?.status === 'answered') {
    throw new RatingError('already_rated', `Ticket ${ticket.number} has been rated already.`);
  }
  const survey: SurveyRecord = {
    surveyId,
    ticketId: ticket.ticketId,
    userId: ticket.userId,
    operatorId: existing?.operatorId ?? ticket.assigneeId,
    status: 'answered',
    rating,
    reason: null,
    remindersSent: existing?.remindersSent ?? 0,
    createdAt: existing?.createdAt ?? now,
    updatedAt: now,
  };
  if (existing) await repositories.surveys.update(survey);
  else await repositories.surveys.create(survey);
  await cancelJob(repositories, surveyId, now);
  return survey;
}
