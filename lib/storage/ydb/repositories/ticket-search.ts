import { List } from '@ydbjs/value/list';
import { Struct } from '@ydbjs/value/struct';
import type { TicketPage, TicketSearchEntry, TicketSearchRepository } from '../../port';
import { rows, type Sql, stripAlias } from '../sql';
import { read, yv } from '../values';
import { toTicket } from './tickets';

/** Entries as one `List<Struct>` parameter: a ticket's terms go in one statement, not one each. */
const entryList = (entries: readonly TicketSearchEntry[]) =>
  new List(
    ...entries.map(
      (entry) =>
        new Struct({
          term: yv.text(entry.term),
          created_at: yv.time(entry.createdAt),
          ticket_id: yv.text(entry.ticketId),
        }),
    ),
  );

export function ydbTicketSearch(sql: Sql): TicketSearchRepository {
  return {
    async add(entries) {
      if (entries.length === 0) return;
      // UPSERT: an entry there already is the same row (the key is the whole row).
      await rows(
        sql,
        `UPSERT INTO ticket_search (term, created_at, ticket_id)
           SELECT term, created_at, ticket_id FROM AS_TABLE($entries)`,
        { $entries: entryList(entries) },
      );
    },
    async remove(entries) {
      if (entries.length === 0) return;
      await rows(
        sql,
        `DELETE FROM ticket_search ON
           SELECT term, created_at, ticket_id FROM AS_TABLE($entries)`,
        { $entries: entryList(entries) },
      );
    },
    async listByTicket(ticketId) {
      return (
        await rows(
          sql,
          `SELECT term, created_at, ticket_id FROM ticket_search VIEW ticket_search_by_ticket
             WHERE ticket_id = $ticket_id`,
          { $ticket_id: yv.text(ticketId) },
        )
      )
        .map((row) => ({
          term: read.text(row.term),
          createdAt: read.time(row.created_at),
          ticketId: read.text(row.ticket_id),
        }))
        .sort((a, b) => (a.term < b.term ? -1 : a.term > b.term ? 1 : 0));
    },
    async listTickets(term, { limit, before }): Promise<TicketPage> {
      // The term's key range read backwards (newest first) up to the page, then each ticket by its key.
      const params = { $term: yv.text(term), $limit: yv.int32(limit + 1) };
      const page = (bound: string) => `SELECT t.* FROM (
          SELECT ticket_id FROM ticket_search
          WHERE term = $term${bound}
          ORDER BY term DESC, created_at DESC, ticket_id DESC LIMIT $limit
        ) AS h
        INNER JOIN tickets AS t ON t.ticket_id = h.ticket_id
        ORDER BY t.created_at DESC, t.ticket_id DESC`;
      const found = before
        ? await rows(
            sql,
            page(' AND (created_at < $before_at OR (created_at = $before_at AND ticket_id < $before_id))'),
            { ...params, $before_at: yv.time(before.createdAt), $before_id: yv.text(before.ticketId) },
          )
        : await rows(sql, page(''), params);
      const tickets = found.slice(0, limit).map((row) => toTicket(stripAlias(row)));
      const last = tickets[tickets.length - 1];
      return {
        tickets,
        nextCursor:
          found.length > limit && last ? { createdAt: last.createdAt, ticketId: last.ticketId } : null,
      };
    },
  };
}
