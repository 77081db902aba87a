import type * as z from 'zod';
import type { Repositories, TicketRecord, UserRecord } from '../../storage/port';
import { findTickets } from '../../tickets/search';
import { parseTicketQuery } from '../../tickets/search-terms';
import type { SlaState } from '../../tickets/sla';
import type { RouteContext } from '../router';
import type { opsQueueQuery } from '../schemas';
import { type Cursor, decodeCursor, slaStateOf } from './common';

/**
 * `GET /api/ops/tickets?q=`: the queue's search. `q` is a ticket number, a VK id, a contact or the
 * start of a first name (lib/tickets/search-terms.ts reads it); every status is searched unless
 * `status` narrows it, and the queue's other filters apply to what the search finds. Its cursor is
 * the queue's (created_at, ticket_id), over the search's own newest-first order. Runs in the
 * queue's read.
 */
export async function searchQueue(
  context: RouteContext<z.infer<typeof opsQueueQuery>, undefined>,
  q: string,
  repositories: Repositories,
): Promise<{
  found: Array<{ ticket: TicketRecord; sla: SlaState; user: UserRecord | null }>;
  nextCursor: Cursor | null;
}> {
  const { query, deps, operator } = context;
  const search = parseTicketQuery(
    q,
    deps.tickets.settings.support.categories.map((category) => category.prefix),
  );
  const assignee = query.assignee === 'me' ? operator.operatorId : query.assignee;
  const before = decodeCursor(query.cursor);
  const slas = new Map<string, SlaState>();
  const accept = (ticket: TicketRecord) => {
    if (query.status && ticket.status !== query.status) return false;
    if (query.category && ticket.category !== query.category) return false;
    if (
      assignee === 'none'
        ? ticket.assigneeId !== null
        : assignee !== undefined && ticket.assigneeId !== assignee
    )
      return false;
    const sla = slaStateOf(ticket, deps);
    if (query.sla && sla !== query.sla) return false;
    slas.set(ticket.ticketId, sla);
    return true;
  };
  const { found, nextCursor } = await findTickets(
    repositories,
    search,
    { limit: query.limit, ...(before ? { before } : {}) },
    accept,
  );
  return {
    found: found.map(({ ticket, user }) => ({
      ticket,
      user,
      sla: slas.get(ticket.ticketId) ?? slaStateOf(ticket, deps),
    })),
    nextCursor,
  };
}
