import type { Repositories, TicketPage, TicketRecord, UserRecord } from '../storage/port';
import { nameMatches, type TicketQuery } from './search-terms';

type Cursor = { createdAt: number; ticketId: string };

/** Reads per search at most: a page that filters drop is continued from the cursor by the caller. */
const MAX_READS = 10;

/**
 * The tickets a search asks for, newest first, a page at a time: one bounded read per page of
 * candidates (the number index, the owner index or one `ticket_search` term), each candidate
 * kept if `accept` takes it (the caller's other filters) and, for a long name, if the requester's
 * whole name matches. At most `MAX_READS` reads: past that the page comes back short with a cursor.
 */
export async function findTickets(
  repositories: Repositories,
  query: TicketQuery,
  page: { limit: number; before?: Cursor },
  accept: (ticket: TicketRecord) => boolean,
): Promise<{ found: Array<{ ticket: TicketRecord; user: UserRecord | null }>; nextCursor: Cursor | null }> {
  const found: Array<{ ticket: TicketRecord; user: UserRecord | null }> = [];
  let before = page.before;
  for (let reads = 0; reads < MAX_READS; reads++) {
    const candidates = await candidatesOf(repositories, query, { limit: page.limit, before });
    for (const ticket of candidates.tickets) {
      before = { createdAt: ticket.createdAt, ticketId: ticket.ticketId };
      if (!accept(ticket)) continue;
      const user = ticket.userId === null ? null : await repositories.users.get(ticket.userId);
      if (query.kind === 'name' && !nameMatches(user?.firstName ?? null, query.name)) continue;
      found.push({ ticket, user });
      if (found.length === page.limit) {
        const more = candidates.nextCursor !== null || ticket !== candidates.tickets.at(-1);
        return { found, nextCursor: more ? before : null };
      }
    }
    if (!candidates.nextCursor) return { found, nextCursor: null };
    before = candidates.nextCursor;
  }
  return { found, nextCursor: before ?? null };
}

async function candidatesOf(
  repositories: Repositories,
  query: TicketQuery,
  page: { limit: number; before: Cursor | undefined },
): Promise<TicketPage> {
  const bounded = { limit: page.limit, ...(page.before ? { before: page.before } : {}) };
  switch (query.kind) {
    case 'number': {
      // One ticket at most: a cursor means its page was given already.
      const ticket = page.before ? null : await repositories.tickets.getByNumber(query.number);
      return { tickets: ticket ? [ticket] : [], nextCursor: null };
    }
    case 'user':
      return repositories.tickets.listByUser(query.userId, bounded);
    case 'contact':
    case 'name':
      return repositories.ticketSearch.listTickets(query.term, bounded);
  }
}
