import type { TicketSearchEntry, TicketSearchRepository } from '../../port';
import type { Row, SqliteStatements } from '../sql';
import { toTicket } from './tickets';

const toEntry = (row: Row): TicketSearchEntry => ({
  term: String(row.term),
  createdAt: Number(row.created_at),
  ticketId: String(row.ticket_id),
});

export function sqliteTicketSearch(sql: SqliteStatements): TicketSearchRepository {
  const { all, run } = sql;
  return {
    async add(entries) {
      for (const entry of entries) {
        run(
          'INSERT OR IGNORE INTO ticket_search (term, created_at, ticket_id) VALUES (?, ?, ?)',
          entry.term,
          entry.createdAt,
          entry.ticketId,
        );
      }
    },
    async remove(entries) {
      for (const entry of entries) {
        run(
          'DELETE FROM ticket_search WHERE term = ? AND created_at = ? AND ticket_id = ?',
          entry.term,
          entry.createdAt,
          entry.ticketId,
        );
      }
    },
    async listByTicket(ticketId) {
      return all('SELECT * FROM ticket_search WHERE ticket_id = ? ORDER BY term', ticketId).map(toEntry);
    },
    async listTickets(term, { limit, before }) {
      // The term's range of the key read backwards: newest first, the cursor a bound within it.
      const rows = before
        ? all(
            `SELECT t.* FROM ticket_search AS s INNER JOIN tickets AS t ON t.ticket_id = s.ticket_id
             WHERE s.term = ? AND (s.created_at < ? OR (s.created_at = ? AND s.ticket_id < ?))
             ORDER BY s.created_at DESC, s.ticket_id DESC LIMIT ?`,
            term,
            before.createdAt,
            before.createdAt,
            before.ticketId,
            limit + 1,
          )
        : all(
            `SELECT t.* FROM ticket_search AS s INNER JOIN tickets AS t ON t.ticket_id = s.ticket_id
             WHERE s.term = ? ORDER BY s.created_at DESC, s.ticket_id DESC LIMIT ?`,
            term,
            limit + 1,
          );
      const tickets = rows.slice(0, limit).map(toTicket);
      const last = tickets[tickets.length - 1];
      return {
        tickets,
        nextCursor:
          rows.length > limit && last ? { createdAt: last.createdAt, ticketId: last.ticketId } : null,
      };
    },
  };
}
