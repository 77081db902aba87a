import type { EventRecord, EventRepository } from '../../port';
import { json, parse, type Row, type SqliteStatements, str } from '../sql';

const toEvent = (row: Row): EventRecord => ({
  userId: Number(row.user_id),
  eventId: String(row.event_id),
  name: String(row.name),
  occurredAt: Number(row.occurred_at),
  screen: str(row.screen),
  props: parse(row.props),
});

export function sqliteEvents(sql: SqliteStatements): EventRepository {
  const { all, run } = sql;
  return {
    async append(events) {
      let stored = 0;
      for (const event of events) {
        stored += run(
          `INSERT OR IGNORE INTO events (user_id, occurred_at, event_id, name, screen, props) VALUES (?, ?, ?, ?, ?, ?)`,
          event.userId,
          event.occurredAt,
          event.eventId,
          event.name,
          event.screen,
          json(event.props),
        ).changes;
      }
      return stored;
    },
    async listByUser(userId, { since, until, limit }) {
      return all(
        `SELECT * FROM events WHERE user_id = ? AND occurred_at >= ? AND occurred_at < ?
         ORDER BY occurred_at, event_id LIMIT ?`,
        userId,
        since,
        until,
        limit,
      ).map(toEvent);
    },
    async listForUsers({ fromUserId, toUserId, since, until, limit, after }) {
      const found = after
        ? all(
            `SELECT * FROM events WHERE user_id >= ? AND user_id <= ? AND occurred_at >= ? AND occurred_at < ?
               AND (user_id > ? OR (user_id = ? AND (occurred_at > ? OR (occurred_at = ? AND event_id > ?))))
             ORDER BY user_id, occurred_at, event_id LIMIT ?`,
            fromUserId,
            toUserId,
            since,
            until,
            after.userId,
            after.userId,
            after.occurredAt,
            after.occurredAt,
            after.eventId,
            limit,
          )
        : all(
            `SELECT * FROM events WHERE user_id >= ? AND user_id <= ? AND occurred_at >= ? AND occurred_at < ?
             ORDER BY user_id, occurred_at, event_id LIMIT ?`,
            fromUserId,
            toUserId,
            since,
            until,
            limit,
          );
      return found.map(toEvent);
    },
    async deleteByUser(userId) {
      run('DELETE FROM events WHERE user_id = ?', userId);
    },
  };
}
