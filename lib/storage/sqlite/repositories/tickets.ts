import type { StatusChangeRecord, TicketMessageRecord, TicketRecord, TicketRepository } from '../../port';
import { json, num, parse, type Row, type SqliteStatements, str } from '../sql';

export const toTicket = (row: Row): TicketRecord => ({
  ticketId: String(row.ticket_id),
  number: String(row.number),
  userId: num(row.user_id),
  channel: String(row.channel) as TicketRecord['channel'],
  category: String(row.category),
  subject: String(row.subject),
  status: String(row.status) as TicketRecord['status'],
  assigneeId: num(row.assignee_id),
  details: parse(row.details),
  createdAt: Number(row.created_at),
  updatedAt: Number(row.updated_at),
});
const toMessage = (row: Row): TicketMessageRecord => ({
  ticketId: String(row.ticket_id),
  seq: Number(row.seq),
  author: String(row.author) as TicketMessageRecord['author'],
  authorId: num(row.author_id),
  text: String(row.text),
  attachments: parse(row.attachments),
  internal: row.internal === 1,
  createdAt: Number(row.created_at),
});
const toStatusChange = (row: Row): StatusChangeRecord => ({
  ticketId: String(row.ticket_id),
  seq: Number(row.seq),
  from: str(row.from_status) as StatusChangeRecord['from'],
  to: String(row.to_status) as StatusChangeRecord['to'],
  changedBy: String(row.changed_by),
  changedAt: Number(row.changed_at),
});

export function sqliteTickets(sql: SqliteStatements): TicketRepository {
  const { one, all, run } = sql;
  /** One page of tickets with `column = value`, newest first, by the (created_at, ticket_id) cursor. */
  const pageNewestFirst = (
    column: 'user_id' | 'status',
    value: unknown,
    { limit, before }: { limit: number; before?: { createdAt: number; ticketId: string } },
  ) => {
    const rows = before
      ? all(
          `SELECT * FROM tickets WHERE ${column} = ? AND (created_at < ? OR (created_at = ? AND ticket_id < ?))
           ORDER BY created_at DESC, ticket_id DESC LIMIT ?`,
          value,
          before.createdAt,
          before.createdAt,
          before.ticketId,
          limit + 1,
        )
      : all(
          `SELECT * FROM tickets WHERE ${column} = ? ORDER BY created_at DESC, ticket_id DESC LIMIT ?`,
          value,
          limit + 1,
        );
    const tickets = rows.slice(0, limit).map(toTicket);
    const last = tickets[tickets.length - 1];
    return {
      tickets,
      nextCursor: rows.length > limit && last ? { createdAt: last.createdAt, ticketId: last.ticketId } : null,
    };
  };
  return {
    async create(ticket) {
      const result = run(
        `INSERT OR IGNORE INTO tickets (ticket_id, number, user_id, channel, category, subject, status,
           assignee_id, details, created_at, updated_at)
         SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?
         WHERE NOT EXISTS (SELECT 1 FROM tickets WHERE ticket_id = ? OR number = ?)`,
        ticket.ticketId,
        ticket.number,
        ticket.userId,
        ticket.channel,
        ticket.category,
        ticket.subject,
        ticket.status,
        ticket.assigneeId,
        json(ticket.details),
        ticket.createdAt,
        ticket.updatedAt,
        ticket.ticketId,
        ticket.number,
      );
      return result.changes === 1;
    },
    async get(ticketId) {
      const row = one('SELECT * FROM tickets WHERE ticket_id = ?', ticketId);
      return row ? toTicket(row) : null;
    },
    async getByNumber(number) {
      const row = one('SELECT * FROM tickets WHERE number = ?', number);
      return row ? toTicket(row) : null;
    },
    async update(ticket) {
      run(
        `UPDATE tickets SET user_id = ?, channel = ?, category = ?, subject = ?, status = ?, assignee_id = ?,
           details = ?, updated_at = ? WHERE ticket_id = ?`,
        ticket.userId,
        ticket.channel,
        ticket.category,
        ticket.subject,
        ticket.status,
        ticket.assigneeId,
        json(ticket.details),
        ticket.updatedAt,
        ticket.ticketId,
      );
    },
    async listByUser(userId, page) {
      return pageNewestFirst('user_id', userId, page);
    },
    async listByStatus(status, page) {
      return pageNewestFirst('status', status, page);
    },
    async listCreatedBetween({ since, until, limit, after }) {
      const rows = after
        ? // A row value, not `a > ? OR (a = ? AND b > ?)`: SQLite seeks the index to the cursor with
          // it, where the OR read every later row and sorted them, for each page.
          all(
            `SELECT * FROM tickets WHERE (created_at, ticket_id) > (?, ?) AND created_at < ?
             ORDER BY created_at, ticket_id LIMIT ?`,
            after.createdAt,
            after.ticketId,
            until,
            limit,
          )
        : all(
            'SELECT * FROM tickets WHERE created_at >= ? AND created_at < ? ORDER BY created_at, ticket_id LIMIT ?',
            since,
            until,
            limit,
          );
      return rows.filter((row) => Number(row.created_at) >= since).map(toTicket);
    },
    async listForUsers({ fromUserId, toUserId, updatedSince }) {
      return all(
        `SELECT * FROM tickets WHERE user_id >= ? AND user_id <= ? AND updated_at >= ?
         ORDER BY user_id, created_at, ticket_id`,
        fromUserId,
        toUserId,
        updatedSince,
      ).map(toTicket);
    },
    async addMessage(message) {
      run(
        `INSERT INTO ticket_messages (ticket_id, seq, author, author_id, text, attachments, internal, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        message.ticketId,
        message.seq,
        message.author,
        message.authorId,
        message.text,
        json(message.attachments),
        message.internal ? 1 : 0,
        message.createdAt,
      );
    },
    async updateMessage(message) {
      run(
        `UPDATE ticket_messages SET author = ?, author_id = ?, text = ?, attachments = ?, internal = ?
         WHERE ticket_id = ? AND seq = ?`,
        message.author,
        message.authorId,
        message.text,
        json(message.attachments),
        message.internal ? 1 : 0,
        message.ticketId,
        message.seq,
      );
    },
    async listMessages(ticketId) {
      return all('SELECT * FROM ticket_messages WHERE ticket_id = ? ORDER BY seq', ticketId).map(toMessage);
    },
    async addStatusChange(change) {
      run(
        `INSERT INTO ticket_status_changes (ticket_id, seq, from_status, to_status, changed_by, changed_at)
         VALUES (?, ?, ?, ?, ?, ?)`,
        change.ticketId,
        change.seq,
        change.from,
        change.to,
        change.changedBy,
        change.changedAt,
      );
    },
    async listStatusChanges(ticketId) {
      return all('SELECT * FROM ticket_status_changes WHERE ticket_id = ? ORDER BY seq', ticketId).map(
        toStatusChange,
      );
    },
  };
}
