import type { UserRecord, UserRepository } from '../../port';
import { bool, flag, json, parse, type Row, type SqliteStatements, str } from '../sql';

const toUser = (row: Row): UserRecord => ({
  userId: Number(row.user_id),
  language: str(row.language) as UserRecord['language'],
  messagesAllowed: bool(row.messages_allowed),
  notificationsAllowed: row.notifications_allowed === 1,
  notificationTypes: parse(row.notification_types),
  quietHours: row.quiet_hours === null ? null : parse(row.quiet_hours),
  timezone: str(row.timezone),
  firstName: str(row.first_name),
  createdAt: Number(row.created_at),
  updatedAt: Number(row.updated_at),
});

export function sqliteUsers(sql: SqliteStatements): UserRepository {
  const { one, all, run } = sql;
  return {
    async get(userId) {
      const row = one('SELECT * FROM users WHERE user_id = ?', userId);
      return row ? toUser(row) : null;
    },
    async put(user) {
      run(
        `INSERT OR REPLACE INTO users (user_id, language, messages_allowed, notifications_allowed,
           notification_types, quiet_hours, timezone, first_name, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        user.userId,
        user.language,
        flag(user.messagesAllowed),
        flag(user.notificationsAllowed),
        json(user.notificationTypes),
        user.quietHours === null ? null : json(user.quietHours),
        user.timezone,
        user.firstName,
        user.createdAt,
        user.updatedAt,
      );
    },
    async delete(userId) {
      run('DELETE FROM users WHERE user_id = ?', userId);
    },
    async listNotifiable({ afterUserId, limit }) {
      return all(
        'SELECT * FROM users WHERE notifications_allowed = 1 AND user_id > ? ORDER BY user_id LIMIT ?',
        afterUserId,
        limit,
      ).map(toUser);
    },
    async listPage({ afterUserId, limit }) {
      return all('SELECT * FROM users WHERE user_id > ? ORDER BY user_id LIMIT ?', afterUserId, limit).map(
        toUser,
      );
    },
  };
}
