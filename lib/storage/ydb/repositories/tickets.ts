import type { Value } from '@ydbjs/value';
import type {
  StatusChangeRecord,
  TicketMessageRecord,
  TicketPage,
  TicketRecord,
  TicketRepository,
} from '../../port';
import { first, insertIfAbsent, rows, type Sql, updateRow, userRange } from '../sql';
import type { Row } from '../statement';
import { read, yv } from '../values';

export const toTicket = (row: Row): TicketRecord => ({
  ticketId: read.text(row.ticket_id),
  number: read.text(row.number),
  userId: read.optNum(row.user_id),
  channel: read.text(row.channel) as TicketRecord['channel'],
  category: read.text(row.category),
  subject: read.text(row.subject),
  status: read.text(row.status) as TicketRecord['status'],
  assigneeId: read.optNum(row.assignee_id),
  details: read.json(row.details),
  createdAt: read.time(row.created_at),
  updatedAt: read.time(row.updated_at),
});

const toMessage = (row: Row): TicketMessageRecord => ({
  ticketId: read.text(row.ticket_id),
  seq: read.num(row.seq),
  author: read.text(row.author) as TicketMessageRecord['author'],
  authorId: read.optNum(row.author_id),
  text: read.text(row.text),
  attachments: read.json(row.attachments),
  internal: Boolean(row.internal),
  createdAt: read.time(row.created_at),
});

const toStatusChange = (row: Row): StatusChangeRecord => ({
  ticketId: read.text(row.ticket_id),
  seq: read.num(row.seq),
  from: read.optText(row.from_status) as StatusChangeRecord['from'],
  to: read.text(row.to_status) as StatusChangeRecord['to'],
  changedBy: read.text(row.changed_by),
  changedAt: read.time(row.changed_at),
});

const ticketParams = (ticket: TicketRecord) => ({
  $ticket_id: yv.text(ticket.ticketId),
  $number: yv.text(ticket.number),
  $user_id: yv.optInt64(ticket.userId),
  $channel: yv.text(ticket.channel),
  $category: yv.text(ticket.category),
  $subject: yv.text(ticket.subject),
  $status: yv.text(ticket.status),
  $assignee_id: yv.optInt64(ticket.assigneeId),
  $details: yv.json(ticket.details),
  $created_at: yv.time(ticket.createdAt),
  $updated_at: yv.time(ticket.updatedAt),
});

const upsertTicket = `UPSERT INTO tickets (ticket_id, number, user_id, channel, category, subject, status, assignee_id,
      details, created_at, updated_at)
    VALUES ($ticket_id, $number, $user_id, $channel, $category, $subject, $status, $assignee_id, $details, $created_at,
      $updated_at)`;

const messageColumns = `(ticket_id, seq, author, author_id, text, attachments, internal, created_at)
  VALUES ($ticket_id, $seq, $author, $author_id, $text, $attachments, $internal, $created_at)`;
const messageParams = (message: TicketMessageRecord): Record<string, Value> => ({
  $ticket_id: yv.text(message.ticketId),
  $seq: yv.int32(message.seq),
  $author: yv.text(message.author),
  $author_id: yv.optInt64(message.authorId),
  $text: yv.text(message.text),
  $attachments: yv.json(message.attachments),
  $internal: yv.bool(message.internal),
  $created_at: yv.time(message.createdAt),
});

/** One page of tickets through an index on (column, created_at, ticket_id), newest first. */
async function pageNewestFirst(
  sql: Sql,
  index: 'tickets_by_user' | 'tickets_by_status',
  column: 'user_id' | 'status',
  value: Value,
  { limit, before }: { limit: number; before?: { createdAt: number; ticketId: string } },
): Promise<TicketPage> {
  const params = { $value: value, $limit: yv.int32(limit + 1) };
  const found = before
    ? await rows(
        sql,
        `SELECT * FROM tickets VIEW ${index}
         WHERE ${column} = $value AND (created_at < $before_at OR (created_at = $before_at AND ticket_id < $before_id))
         ORDER BY ${column} DESC, created_at DESC, ticket_id DESC LIMIT $limit`,
        { ...params, $before_at: yv.time(before.createdAt), $before_id: yv.text(before.ticketId) },
      )
    : await rows(
        sql,
        `SELECT * FROM tickets VIEW ${index} WHERE ${column} = $value
         ORDER BY ${column} DESC, created_at DESC, ticket_id DESC LIMIT $limit`,
        params,
      );
  const tickets = found.slice(0, limit).map(toTicket);
  const last = tickets[tickets.length - 1];
  return {
    tickets,
    nextCursor: found.length > limit && last ? { createdAt: last.createdAt, ticketId: last.ticketId } : null,
  };
}

export function ydbTickets(sql: Sql): TicketRepository {
  return {
    async create(ticket) {
      return insertIfAbsent(
        sql,
        {
          text: `SELECT ticket_id FROM tickets WHERE ticket_id = $ticket_id
                   UNION ALL SELECT ticket_id FROM tickets VIEW tickets_by_number WHERE number = $number`,
          params: { $ticket_id: yv.text(ticket.ticketId), $number: yv.text(ticket.number) },
        },
        { text: upsertTicket, params: ticketParams(ticket) },
      );
    },
    async get(ticketId) {
      const row = await first(sql, 'SELECT * FROM tickets WHERE ticket_id = $ticket_id', {
        $ticket_id: yv.text(ticketId),
      });
      return row ? toTicket(row) : null;
    },
    async getByNumber(number) {
      const row = await first(sql, 'SELECT * FROM tickets VIEW tickets_by_number WHERE number = $number', {
        $number: yv.text(number),
      });
      return row ? toTicket(row) : null;
    },
    async update(ticket) {
      await updateRow(sql, 'tickets', ['ticket_id'], ticketParams(ticket), ['created_at']);
    },
    async listByUser(userId, page) {
      return pageNewestFirst(sql, 'tickets_by_user', 'user_id', yv.int64(userId), page);
    },
    async listForUsers(range) {
      return (
        await rows(
          sql,
          `SELECT * FROM tickets VIEW tickets_by_user
             WHERE user_id >= $from_user AND user_id <= $to_user AND updated_at >= $updated_since
             ORDER BY user_id, created_at, ticket_id`,
          { ...userRange(range), $updated_since: yv.time(range.updatedSince) },
        )
      ).map(toTicket);
    },
    async listByStatus(status, page) {
      return pageNewestFirst(sql, 'tickets_by_status', 'status', yv.text(status), page);
    },
    async listCreatedBetween({ since, until, limit, after }) {
      const params = { $until: yv.time(until), $limit: yv.int32(limit) };
      const found = after
        ? await rows(
            sql,
            `SELECT * FROM tickets VIEW tickets_by_created
               WHERE created_at < $until AND (created_at > $after_at OR (created_at = $after_at AND ticket_id > $after_id))
               ORDER BY created_at, ticket_id LIMIT $limit`,
            { ...params, $after_at: yv.time(after.createdAt), $after_id: yv.text(after.ticketId) },
          )
        : await rows(
            sql,
            `SELECT * FROM tickets VIEW tickets_by_created WHERE created_at >= $since AND created_at < $until
               ORDER BY created_at, ticket_id LIMIT $limit`,
            { ...params, $since: yv.time(since) },
          );
      return found.map(toTicket).filter((ticket) => ticket.createdAt >= since);
    },
    async addMessage(message) {
      // INSERT, not UPSERT: a second message at the same position is a bug and fails the transaction.
      await rows(sql, `INSERT INTO ticket_messages ${messageColumns}`, messageParams(message));
    },
    async updateMessage(message) {
      await updateRow(sql, 'ticket_messages', ['ticket_id', 'seq'], messageParams(message), ['created_at']);
    },
    async listMessages(ticketId) {
      return (
        await rows(
          sql,
          'SELECT * FROM ticket_messages WHERE ticket_id = $ticket_id ORDER BY ticket_id, seq',
          {
            $ticket_id: yv.text(ticketId),
          },
        )
      ).map(toMessage);
    },
    async addStatusChange(change) {
      await rows(
        sql,
        `INSERT INTO ticket_status_changes (ticket_id, seq, from_status, to_status, changed_by, changed_at)
           VALUES ($ticket_id, $seq, $from_status, $to_status, $changed_by, $changed_at)`,
        {
          $ticket_id: yv.text(change.ticketId),
          $seq: yv.int32(change.seq),
          $from_status: yv.optText(change.from),
          $to_status: yv.text(change.to),
          $changed_by: yv.text(change.changedBy),
          $changed_at: yv.time(change.changedAt),
        },
      );
    },
    async listStatusChanges(ticketId) {
      return (
        await rows(
          sql,
          'SELECT * FROM ticket_status_changes WHERE ticket_id = $ticket_id ORDER BY ticket_id, seq',
          {
            $ticket_id: yv.text(ticketId),
          },
        )
      ).map(toStatusChange);
    },
  };
}
