/** What the route areas share: cursors, dates, a ticket's and a thread's views. */
import { createHash } from 'node:crypto';
import type * as z from 'zod';
import { DAY } from '../../clock';
import { currentResolution, surveyIdFor } from '../../csat/survey';
import { ValidationError } from '../../errors';
import type { Language, TicketRecord, UserRecord } from '../../storage/port';
import { findCategory, supportSettings } from '../../support/settings';
import type { ThreadView } from '../../tickets/service';
import { type SlaState, slaOf, slaState } from '../../tickets/sla';
import { localMidnight } from '../../tickets/stats';
import type { Preferences, TicketSummary } from '../responses';
import type { RouteContext, TicketApiDependencies } from '../router';
import type { listTicketsQuery } from '../schemas';

export type Cursor = { createdAt: number; ticketId: string };

export const encodeCursor = (cursor: Cursor | null) =>
  cursor ? Buffer.from(`${cursor.createdAt}.${cursor.ticketId}`).toString('base64url') : null;

export function decodeCursor(value: string | undefined): Cursor | undefined {
  if (value === undefined) return undefined;
  const match = /^(\d{1,15})\.([\w-]{1,64})$/.exec(Buffer.from(value, 'base64url').toString());
  if (!match)
    throw new ValidationError('The cursor is invalid.', [
      { path: 'query.cursor', message: 'not a cursor this API gave' },
    ]);
  return { createdAt: Number(match[1]), ticketId: match[2] ?? '' };
}

export function iso(time: number): string;
export function iso(time: number | null | undefined): string | null;
export function iso(time: number | null | undefined): string | null {
  return typeof time === 'number' ? new Date(time).toISOString() : null;
}
export const toEpoch = (value: string | number) => (typeof value === 'number' ? value : Date.parse(value));

/** A ticket as the mini app sees it. */
export function ticketSummary(ticket: TicketRecord, language: Language): TicketSummary {
  const category = findCategory(supportSettings, ticket.category);
  return {
    number: ticket.number,
    status: ticket.status,
    category: ticket.category,
    categoryLabel: category?.label[language] ?? ticket.category,
    subject: ticket.subject,
    createdAt: iso(ticket.createdAt),
    updatedAt: iso(ticket.updatedAt),
    expectedFirstResponseAt: iso(slaOf(ticket)?.firstResponseDueAt),
    linkedTo: typeof ticket.details.linkedTo === 'string' ? ticket.details.linkedTo : null,
  };
}

export function threadBody(view: ThreadView, language: Language, forOperators: boolean) {
  return {
    ...ticketSummary(view.ticket, language),
    ...(forOperators
      ? { assigneeId: view.ticket.assigneeId, channel: view.ticket.channel, details: view.ticket.details }
      : {}),
    messages: view.messages.map((message) => ({
      seq: message.seq,
      author: message.author,
      text: message.text,
      attachments: message.attachments,
      at: iso(message.createdAt),
      ...(forOperators ? { authorId: message.authorId, internal: message.internal } : {}),
    })),
    statusHistory: view.statusChanges.map((change) => ({
      from: change.from,
      to: change.to,
      at: iso(change.changedAt),
      ...(forOperators ? { by: change.changedBy } : {}),
    })),
    rating: ratingState(view),
    ...(forOperators
      ? {
          surveys: view.surveys.map((survey) => ({
            status: survey.status,
            operatorId: survey.operatorId,
            channel: survey.channel,
            rating: survey.rating,
            reason: survey.reason,
            reasonText: survey.reasonText,
            sentAt: iso(survey.sentAt),
            answeredAt: iso(survey.answeredAt),
          })),
        }
      : {}),
  };
}

/** The rating screen's state: the current resolution's rating, and whether it can still be given. */
export function ratingState(view: ThreadView) {
  const resolved = view.ticket.status === 'resolved' || view.ticket.status === 'closed';
  const survey = view.surveys.find(
    (candidate) => candidate.surveyId === surveyIdFor(view.ticket.ticketId, currentResolution(view.ticket)),
  );
  return {
    value: survey?.status === 'answered' ? survey.rating : null,
    canRate: resolved && survey?.status !== 'answered' && survey?.status !== 'cancelled',
  };
}

export function slaStateOf(ticket: TicketRecord, { tickets, clock }: TicketApiDependencies): SlaState {
  return slaState(
    slaOf(ticket),
    ticket.status,
    findCategory(supportSettings, ticket.category),
    tickets.settings.hours,
    clock.now(),
  );
}

/** Pages a user's tickets through the owner index, filtering as it goes (a user has few tickets). */
export async function userTickets(context: RouteContext<z.infer<typeof listTicketsQuery>, undefined>) {
  const { query, deps, user } = context;
  const timezone = deps.tickets.settings.hours.timezone;
  const from = query.from ? localMidnight(query.from, timezone) : null;
  const to = query.to ? localMidnight(query.to, timezone) + DAY : null;
  let before = decodeCursor(query.cursor) ?? (to !== null ? { createdAt: to, ticketId: '' } : undefined);
  const found: TicketRecord[] = [];
  let nextCursor: Cursor | null = null;
  await deps.store.read(async (repositories) => {
    for (let pages = 0; pages < 20; pages++) {
      const page = await repositories.tickets.listByUser(user.userId, {
        limit: 50,
        ...(before ? { before } : {}),
      });
      for (const ticket of page.tickets) {
        if (from !== null && ticket.createdAt < from) return;
        if (query.status && ticket.status !== query.status) continue;
        if (query.category && ticket.category !== query.category) continue;
        found.push(ticket);
        if (found.length === query.limit) {
          nextCursor = { createdAt: ticket.createdAt, ticketId: ticket.ticketId };
          return;
        }
      }
      if (!page.nextCursor) return;
      before = page.nextCursor;
    }
    nextCursor = before ?? null; // a long scan stops here; the client continues from the cursor
  });
  return { tickets: found, nextCursor: nextCursor as Cursor | null };
}

export const requestHash = (body: unknown) =>
  createHash('sha256').update(JSON.stringify(body)).digest('base64url');

export function preferencesOf(record: UserRecord): Preferences {
  return {
    language: record.language,
    notificationsAllowed: record.notificationsAllowed,
    notificationTypes: record.notificationTypes,
    quietHours: record.quietHours,
    timezone: record.timezone,
  };
}

/** Who filed a ticket (lib/users/requester.ts: CRM webhooks carry it too). */
export { requesterOf } from '../../users/requester';

/** A `{userId}` path parameter: a VK user's id, or the caller's error. */
export function userIdOf(params: Record<string, string>): number {
  // Digits only: Number() would also read "1e3", "0x10" and " 7" as ids.
  const userId = /^[1-9]\d{0,9}$/.test(params.userId ?? '') ? Number(params.userId) : Number.NaN;
  if (!Number.isSafeInteger(userId) || userId >= 2_000_000_000)
    throw new ValidationError('The path is invalid: userId must be a VK user id.', [
      { path: 'path.userId', message: 'must be a VK user id (a positive integer below 2000000000)' },
    ]);
  return userId;
}
