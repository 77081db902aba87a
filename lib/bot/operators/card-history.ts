import type { Repositories, TicketRecord } from '../../storage/port';
import type { RequesterHistory } from './card';

/** Earlier tickets a card reads: enough for "Ранее: 3 обращения", bounded whatever the user's past. */
export const HISTORY_TICKETS_READ = 5;

/**
 * The requester's tickets before `ticket`, as its card shows them: the few latest (one page of the
 * owner index, from this ticket back) and the last rating given on them (their surveys, a point
 * read each). Null for a first ticket, and for an erased user's.
 */
export async function requesterHistory(
  repositories: Repositories,
  ticket: Pick<TicketRecord, 'userId' | 'createdAt' | 'ticketId'>,
): Promise<RequesterHistory | null> {
  if (ticket.userId === null) return null;
  // Up to and including this ticket's millisecond (a ticket filed in the same one counts as earlier),
  // then without the ticket itself.
  const page = await repositories.tickets.listByUser(ticket.userId, {
    limit: HISTORY_TICKETS_READ + 1,
    before: { createdAt: ticket.createdAt + 1, ticketId: '' },
  });
  const others = page.tickets.filter((other) => other.ticketId !== ticket.ticketId);
  const shown = others.slice(0, HISTORY_TICKETS_READ);
  const [last] = shown;
  if (!last) return null;
  const surveys = (
    await Promise.all(shown.map((earlier) => repositories.surveys.listByTicket(earlier.ticketId)))
  ).flat();
  const latestRated = surveys
    .filter((survey) => survey.status === 'answered' && survey.rating !== null)
    .sort((a, b) => (b.answeredAt ?? 0) - (a.answeredAt ?? 0))[0];
  return {
    count: shown.length,
    more: others.length > shown.length || page.nextCursor !== null,
    last: { number: last.number, status: last.status },
    lastRating: latestRated?.rating ?? null,
  };
}
