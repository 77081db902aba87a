import type { NotificationRecord, NotificationRepository } from '../../port';
import { type Row, type SqliteStatements, str } from '../sql';

const toNotification = (row: Row): NotificationRecord => ({
  userId: Number(row.user_id),
  day: String(row.day),
  slot: Number(row.slot),
  kind: String(row.kind) as NotificationRecord['kind'],
  campaign: str(row.campaign),
  variant: str(row.variant),
  text: String(row.text),
  status: String(row.status) as NotificationRecord['status'],
  createdAt: Number(row.created_at),
  updatedAt: Number(row.updated_at),
});

export function sqliteNotifications(sql: SqliteStatements): NotificationRepository {
  const { all, run } = sql;
  return {
    async claim(notification) {
      return (
        run(
          `INSERT OR IGNORE INTO notifications (user_id, day, slot, kind, campaign, variant, text, status, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          notification.userId,
          notification.day,
          notification.slot,
          notification.kind,
          notification.campaign,
          notification.variant,
          notification.text,
          notification.status,
          notification.createdAt,
          notification.updatedAt,
        ).changes === 1
      );
    },
    async setStatus({ userId, day, slot }, status, updatedAt) {
      run(
        'UPDATE notifications SET status = ?, updated_at = ? WHERE user_id = ? AND day = ? AND slot = ?',
        status,
        updatedAt,
        userId,
        day,
        slot,
      );
    },
    async release({ userId, day, slot }) {
      run('DELETE FROM notifications WHERE user_id = ? AND day = ? AND slot = ?', userId, day, slot);
    },
    async listByUser(userId, limit) {
      return all(
        'SELECT * FROM notifications WHERE user_id = ? ORDER BY day DESC, slot DESC LIMIT ?',
        userId,
        limit,
      ).map(toNotification);
    },
    async listForUsers({ fromUserId, toUserId, sinceDay }) {
      return all(
        `SELECT * FROM notifications WHERE user_id >= ? AND user_id <= ? AND day >= ?
         ORDER BY user_id, day, slot`,
        fromUserId,
        toUserId,
        sinceDay,
      ).map(toNotification);
    },
    async deleteByUser(userId) {
      run('DELETE FROM notifications WHERE user_id = ?', userId);
    },
  };
}
