import type { UserRecord, UserRepository } from '../../port';
import { first, rows, type Sql, stripAlias } from '../sql';
import type { Row } from '../statement';
import { read, yv } from '../values';

const toUser = (row: Row): UserRecord => ({
  userId: read.num(row.user_id),
  language: read.optText(row.language) as UserRecord['language'],
  messagesAllowed: read.optBool(row.messages_allowed),
  notificationsAllowed: Boolean(row.notifications_allowed),
  notificationTypes: read.json(row.notification_types),
  quietHours: row.quiet_hours === null || row.quiet_hours === undefined ? null : read.json(row.quiet_hours),
  timezone: read.optText(row.timezone),
  firstName: read.optText(row.first_name),
  createdAt: read.time(row.created_at),
  updatedAt: read.time(row.updated_at),
});

const userParams = (user: UserRecord) => ({
  $user_id: yv.int64(user.userId),
  $language: yv.optText(user.language),
  $messages_allowed: yv.optBool(user.messagesAllowed),
  $notifications_allowed: yv.bool(user.notificationsAllowed),
  $notification_types: yv.json(user.notificationTypes),
  $quiet_hours: yv.optJson(user.quietHours),
  $timezone: yv.optText(user.timezone),
  $first_name: yv.optText(user.firstName),
  $created_at: yv.time(user.createdAt),
  $updated_at: yv.time(user.updatedAt),
});

const upsertUser = `UPSERT INTO users (user_id, language, messages_allowed, notifications_allowed, notification_types,
      quiet_hours, timezone, first_name, created_at, updated_at)
    VALUES ($user_id, $language, $messages_allowed, $notifications_allowed, $notification_types, $quiet_hours,
      $timezone, $first_name, $created_at, $updated_at)`;

export function ydbUsers(sql: Sql): UserRepository {
  return {
    async get(userId) {
      const row = await first(sql, 'SELECT * FROM users WHERE user_id = $user_id', {
        $user_id: yv.int64(userId),
      });
      return row ? toUser(row) : null;
    },
    async put(user) {
      await rows(sql, upsertUser, userParams(user));
    },
    async delete(userId) {
      await rows(sql, 'DELETE FROM users WHERE user_id = $user_id', { $user_id: yv.int64(userId) });
    },
    async listNotifiable({ afterUserId, limit }) {
      return (
        await rows(
          sql,
          `SELECT u.* FROM users VIEW users_notifiable AS i
             INNER JOIN users AS u ON u.user_id = i.user_id
             WHERE i.notifications_allowed = true AND i.user_id > $after
             ORDER BY u.user_id LIMIT $limit`,
          { $after: yv.int64(afterUserId), $limit: yv.int32(limit) },
        )
      ).map((row) => toUser(stripAlias(row)));
    },
    async listPage({ afterUserId, limit }) {
      // A range of the primary key.
      return (
        await rows(sql, 'SELECT * FROM users WHERE user_id > $after ORDER BY user_id LIMIT $limit', {
          $after: yv.int64(afterUserId),
          $limit: yv.int32(limit),
        })
      ).map(toUser);
    },
  };
}
