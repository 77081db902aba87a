import type { Repositories, Store, TicketRecord, TicketSearchEntry } from '../storage/port';
import { isNameTerm, nameTerms, searchEntriesOf } from './search-terms';

/**
 * Keeping the operators' search index (`ticket_search`) true, each change in the transaction of
 * what it follows: a ticket is indexed where it is created, a requester's tickets when their name
 * becomes known (VK's `users.get` on first contact, later than an app-filed ticket), and a ticket's
 * terms go when it is anonymised (`anonymiseTicket`: a user's erasure, or the retention of a closed
 * ticket's personal data). Reads stay bounded: a ticket has a handful of terms.
 */

/** Indexes a ticket in the transaction that creates it, under its contact and its requester's name. */
export async function indexNewTicket(repositories: Repositories, ticket: TicketRecord): Promise<void> {
  if (ticket.userId === null) return;
  const user = await repositories.users.get(ticket.userId);
  await repositories.ticketSearch.add(searchEntriesOf(ticket, user?.firstName ?? null));
}

/**
 * A user's tickets, at most this many (the newest): what a newly known name re-indexes in the turn
 * that learned it. A user has a few; `db:backfill-search` covers anyone past this.
 */
const NAME_REINDEX_TICKETS = 100;

/**
 * The user's name became known or changed: their tickets' `name:` terms are replaced, in the
 * transaction that stores the name. Idempotent, and a no-op for a user without tickets (the usual
 * case: the bot learns the name at the first message, before any ticket).
 */
export async function indexRequesterName(
  repositories: Repositories,
  userId: number,
  firstName: string | null,
): Promise<void> {
  const { tickets } = await repositories.tickets.listByUser(userId, { limit: NAME_REINDEX_TICKETS });
  if (tickets.length === 0) return;
  const wanted = nameTerms(firstName);
  // Every read first, then one removal and one addition for all the tickets.
  const held = await Promise.all(
    tickets.map((ticket) => repositories.ticketSearch.listByTicket(ticket.ticketId)),
  );
  const stale: TicketSearchEntry[] = [];
  const missing: TicketSearchEntry[] = [];
  tickets.forEach((ticket, index) => {
    const names = (held[index] ?? []).filter((entry) => isNameTerm(entry.term));
    stale.push(...names.filter((entry) => !wanted.includes(entry.term)));
    const there = new Set(names.map((entry) => entry.term));
    for (const term of wanted)
      if (!there.has(term)) missing.push({ term, createdAt: ticket.createdAt, ticketId: ticket.ticketId });
  });
  await repositories.ticketSearch.remove(stale);
  await repositories.ticketSearch.add(missing);
}

/**
 * Removes every term of a ticket (erasure; a ticket's personal data anonymised): whatever it was
 * indexed under, read back by the ticket id, so nothing stays findable by a name or contact.
 */
export async function forgetTicketTerms(repositories: Repositories, ticketId: string): Promise<void> {
  await repositories.ticketSearch.remove(await repositories.ticketSearch.listByTicket(ticketId));
}

/**
 * Indexes the tickets created before the index existed (`npm run db:backfill-search`), oldest first,
 * `batch` tickets a transaction. Adding is idempotent, so a run that stopped is simply run again;
 * `after` resumes from a position a run printed.
 */
export async function backfillSearchIndex(
  store: Store,
  options: {
    batch?: number;
    after?: { createdAt: number; ticketId: string };
    until: number;
    onBatch?: (progress: {
      indexed: number;
      entries: number;
      last: { createdAt: number; ticketId: string };
    }) => void;
  },
): Promise<{ indexed: number; entries: number }> {
  const batch = options.batch ?? 200;
  let after = options.after;
  let indexed = 0;
  let entries = 0;
  for (;;) {
    const done = await store.transaction(async (repositories) => {
      const tickets = await repositories.tickets.listCreatedBetween({
        since: 0,
        until: options.until,
        limit: batch,
        ...(after ? { after } : {}),
      });
      const names = new Map<number, string | null>();
      const written: TicketSearchEntry[] = [];
      for (const ticket of tickets) {
        if (ticket.userId !== null && !names.has(ticket.userId))
          names.set(ticket.userId, (await repositories.users.get(ticket.userId))?.firstName ?? null);
        written.push(
          ...searchEntriesOf(ticket, ticket.userId === null ? null : (names.get(ticket.userId) ?? null)),
        );
      }
      await repositories.ticketSearch.add(written);
      return { tickets, written: written.length };
    });
    const last = done.tickets[done.tickets.length - 1];
    if (!last) return { indexed, entries };
    indexed += done.tickets.length;
    entries += done.written;
    after = { createdAt: last.createdAt, ticketId: last.ticketId };
    options.onBatch?.({ indexed, entries, last: after });
    if (done.tickets.length < batch) return { indexed, entries };
  }
}
