import type { EventRecord, EventRepository } from '../../port';
import { first, rows, type Sql, userRange } from '../sql';
import type { Row } from '../statement';
import { read, yv } from '../values';

const toEvent = (row: Row): EventRecord => ({
  userId: read.num(row.user_id),
  eventId: read.text(row.event_id),
  name: read.text(row.name),
  occurredAt: read.time(row.occurred_at),
  screen: read.optText(row.screen),
  props: read.json(row.props),
});

export function ydbEvents(sql: Sql): EventRepository {
  return {
    async append(events) {
      let stored = 0;
      const seen = new Set<string>();
      for (const event of events) {
        const key = `${event.userId}\u0000${event.eventId}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const params = { $user_id: yv.int64(event.userId), $event_id: yv.text(event.eventId) };
        if (
          await first(
            sql,
            'SELECT event_id FROM events WHERE user_id = $user_id AND event_id = $event_id',
            params,
          )
        ) {
          continue;
        }
        await rows(
          sql,
          `UPSERT INTO events (user_id, event_id, occurred_at, name, screen, props)
             VALUES ($user_id, $event_id, $occurred_at, $name, $screen, $props)`,
          {
            ...params,
            $occurred_at: yv.time(event.occurredAt),
            $name: yv.text(event.name),
            $screen: yv.optText(event.screen),
            $props: yv.json(event.props),
          },
        );
        stored++;
      }
      return stored;
    },
    async listByUser(userId, { since, until, limit }) {
      return (
        await rows(
          sql,
          `SELECT * FROM events VIEW events_by_time
             WHERE user_id = $user_id AND occurred_at >= $since AND occurred_at < $until
             ORDER BY user_id, occurred_at, event_id LIMIT $limit`,
          {
            $user_id: yv.int64(userId),
            $since: yv.time(since),
            $until: yv.time(until),
            $limit: yv.int32(limit),
          },
        )
      ).map(toEvent);
    },
    async listForUsers(range) {
      const params = {
        ...userRange(range),
        $since: yv.time(range.since),
        $until: yv.time(range.until),
        $limit: yv.int32(range.limit),
      };
      const { after } = range;
      const found = after
        ? await rows(
            sql,
            `SELECT * FROM events VIEW events_by_time
               WHERE user_id >= $from_user AND user_id <= $to_user AND occurred_at >= $since AND occurred_at < $until
                 AND (user_id > $after_user OR (user_id = $after_user AND (occurred_at > $after_at
                   OR (occurred_at = $after_at AND event_id > $after_id))))
               ORDER BY user_id, occurred_at, event_id LIMIT $limit`,
            {
              ...params,
              $after_user: yv.int64(after.userId),
              $after_at: yv.time(after.occurredAt),
              $after_id: yv.text(after.eventId),
            },
          )
        : await rows(
            sql,
            `SELECT * FROM events VIEW events_by_time
               WHERE user_id >= $from_user AND user_id <= $to_user AND occurred_at >= $since AND occurred_at < $until
               ORDER BY user_id, occurred_at, event_id LIMIT $limit`,
            params,
          );
      return found.map(toEvent);
    },
    async deleteByUser(userId) {
      await rows(sql, 'DELETE FROM events WHERE user_id = $user_id', { $user_id: yv.int64(userId) });
    },
  };
}
