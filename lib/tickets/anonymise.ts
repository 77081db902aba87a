import { DAY } from '../clock';
import { cancelSurvey } from '../csat/survey';
import { render } from '../i18n/catalog';
import { createParkedJob } from '../queue/jobs';
import type {
  DeferredJobRecord,
  Language,
  Repositories,
  StatusChangeRecord,
  TicketRecord,
} from '../storage/port';
import { forgetTicketTerms } from './search-index';

/**
 * What anonymising a ticket removes, shared by a user's erasure (every ticket of theirs, at once) and
 * the retention of a closed ticket's personal data (FZ-152: kept `PERSONAL_DATA_RETENTION_DAYS` after
 * the ticket closes, then anonymised by a parked job, see `parkAnonymisation`).
 */

/** The retention in whole days, as users are told it. */
export function retentionDays(retentionMs: number): number {
  return Math.round(retentionMs / DAY);
}

/**
 * The notice shown wherever a contact is asked for (the bot's question, the mini app's form): why it
 * is asked, who keeps it and for how long. Leaving the contact after it is the user's consent.
 */
export function contactNotice(language: Language, retentionMs: number): string {
  return render(language, 'privacy.contact_notice', {
    days: daysPhrase(language, retentionDays(retentionMs)),
  });
}

/** "1 день", "3 дня", "180 дней"; "1 day", "180 days". */
function daysPhrase(language: Language, count: number): string {
  const form = new Intl.PluralRules(language).select(count);
  const key = form === 'one' ? 'one' : form === 'few' ? 'few' : 'many';
  return render(language, `unit.days.${key}`, { count: String(count) });
}

/** Ticket details that stay on an anonymised ticket: what statistics need, nothing that identifies anyone. */
const statisticalDetails: readonly string[] = [
  'screen',
  'appVersion',
  'platform',
  'sla',
  'resolvedAt',
  'resolution',
  'linkedTo',
];

/**
 * Strips one ticket of its personal data in the caller's transaction: the owner, subject, contact and
 * every other detail outside `statisticalDetails`, every message's text and attachments (operators'
 * replies too: they quote the user), and the survey reasons in the user's own words. Category, times,
 * status history, SLA marks and ratings stay. Surveys not yet answered are cancelled with their
 * reminders and alerts. `marks` are added to the details kept (`anonymisedAt`).
 */
export async function anonymiseTicket(
  repositories: Repositories,
  ticket: TicketRecord,
  now: number,
  marks: Record<string, unknown> = {},
): Promise<TicketRecord> {
  const details = {
    ...Object.fromEntries(Object.entries(ticket.details).filter(([key]) => statisticalDetails.includes(key))),
    ...marks,
  };
  const anonymised: TicketRecord = { ...ticket, userId: null, subject: '', details, updatedAt: now };
  await repositories.tickets.update(anonymised);
  // Nothing stays findable by the name or contact the operators' search indexed it under.
  await forgetTicketTerms(repositories, ticket.ticketId);
  for (const message of await repositories.tickets.listMessages(ticket.ticketId)) {
    await repositories.tickets.updateMessage({
      ...message,
      authorId: message.author === 'user' ? null : message.authorId,
      text: '',
      attachments: [],
    });
  }
  for (const survey of await repositories.surveys.listByTicket(ticket.ticketId)) {
    // Unsent surveys, reminders and alerts stop; an answer stays (rating and reason code) for statistics.
    await cancelSurvey(repositories, survey, now);
    const current = (await repositories.surveys.get(survey.surveyId)) ?? survey;
    await repositories.surveys.update({ ...current, userId: null, reasonText: null, updatedAt: now });
  }
  await withdrawCardWork(repositories, ticket, now);
  return anonymised;
}

/**
 * The operators' card jobs of the ticket still waiting (its post, a mini app ticket's announcement,
 * its latest edits) carry the user's words rendered: cancelled with their payload emptied, so the
 * jobs table keeps none of it and the worker sends none of it. Ids as lib/bot/operators/card-sync.ts
 * makes them; older edits than the last three were cancelled by newer ones already.
 */
async function withdrawCardWork(
  repositories: Repositories,
  ticket: TicketRecord,
  now: number,
): Promise<void> {
  const card = ticket.details.opsCard as { version?: unknown } | undefined;
  const version = typeof card?.version === 'number' ? card.version : 0;
  const prefix = `ops-card:${ticket.ticketId}`;
  const jobIds = [prefix, `${prefix}:announce`];
  for (let edit = Math.max(1, version - 2); edit <= version + 1; edit++)
    jobIds.push(`${prefix}:edit:${edit}`);
  for (const jobId of jobIds) {
    const job = await repositories.jobs.get(jobId);
    if (job?.status === 'pending')
      await repositories.jobs.update({ ...job, status: 'cancelled', payload: {}, updatedAt: now });
  }
}

/** The deferred job that anonymises a closed ticket when its retention has run out. */
export const TICKET_ANONYMISATION_JOB = 'ticket-anonymise';

/** One job per closing (`anonymise:<ticketId>:<seq of the status change to closed>`). */
export function anonymisationJobId(ticketId: string, closingSeq: number): string {
  return `anonymise:${ticketId}:${closingSeq}`;
}

/**
 * Parks, in the transaction that closes the ticket, the job that anonymises it `retentionMs` later.
 * Parked, not hopped: a sweep takes it when due (`anonymiseDueTickets`), so months of waiting cost
 * one row and nothing in the queue. The date is fixed at the close: a later change of the setting
 * applies to tickets closed after it (what those users were told when they left their contact).
 * False if the job exists already.
 */
export async function parkAnonymisation(
  repositories: Repositories,
  closing: StatusChangeRecord,
  retentionMs: number,
): Promise<boolean> {
  return createParkedJob(
    repositories,
    {
      jobId: anonymisationJobId(closing.ticketId, closing.seq),
      kind: TICKET_ANONYMISATION_JOB,
      payload: { ticketId: closing.ticketId, closingSeq: closing.seq, closedAt: closing.changedAt },
      dueAt: closing.changedAt + retentionMs,
    },
    closing.changedAt,
  );
}

/** What an anonymisation job found. */
export type AnonymisationOutcome = 'anonymised' | 'already_anonymised' | 'not_closed' | 'no_ticket';

/**
 * Runs an anonymisation job in the caller's transaction. Idempotent: a ticket already anonymised is
 * left as it is. A ticket whose latest status change is not the closing the job was parked for (it
 * was reopened since, or closed again with a job of its own) is not this job's to anonymise.
 */
export async function anonymiseClosedTicket(
  repositories: Repositories,
  job: Pick<DeferredJobRecord, 'payload'>,
  now: number,
): Promise<AnonymisationOutcome> {
  const ticket = await repositories.tickets.get(String(job.payload.ticketId));
  if (!ticket) return 'no_ticket';
  if (ticket.details.anonymisedAt !== undefined) return 'already_anonymised';
  const history = await repositories.tickets.listStatusChanges(ticket.ticketId);
  const latestSeq = Math.max(0, ...history.map((change) => change.seq));
  if (ticket.status !== 'closed' || latestSeq !== Number(job.payload.closingSeq)) return 'not_closed';
  await anonymiseTicket(repositories, ticket, now, { anonymisedAt: now });
  return 'anonymised';
}
