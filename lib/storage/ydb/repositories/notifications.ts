import type { NotificationRecord, NotificationRepository } from '../../port';
import { insertIfAbsent, rows, type Sql, userRange } from '../sql';
import type { Row } from '../statement';
import { read, yv } from '../values';

const toNotification = (row: Row): NotificationRecord => ({
  userId: read.num(row.user_id),
  day: read.text(row.day),
  slot: read.num(row.slot),
  kind: read.text(row.kind) as NotificationRecord['kind'],
  campaign: read.optText(row.campaign),
  variant: read.optText(row.variant),
  text: read.text(row.text),
  status: read.text(row.status) as NotificationRecord['status'],
  createdAt: read.time(row.created_at),
  updatedAt: read.time(row.updated_at),
});

const notificationKey = (key: { userId: number; day: string; slot: number }) => ({
  $user_id: yv.int64(key.userId),
  $day: yv.text(key.day),
  $slot: yv.int32(key.slot),
});

export function ydbNotifications(sql: Sql): NotificationRepository {
  return {
    async claim(notification) {
      const key = notificationKey(notification);
      return insertIfAbsent(
        sql,
        {
          text: 'SELECT slot FROM notifications WHERE user_id = $user_id AND day = $day AND slot = $slot',
          params: key,
        },
        {
          text: `UPSERT INTO notifications (user_id, day, slot, kind, campaign, \`variant\`, text, status, created_at, updated_at)
                   VALUES ($user_id, $day, $slot, $kind, $campaign, $variant, $text, $status, $created_at, $updated_at)`,
          params: {
            ...key,
            $kind: yv.text(notification.kind),
            $campaign: yv.optText(notification.campaign),
            $variant: yv.optText(notification.variant),
            $text: yv.text(notification.text),
            $status: yv.text(notification.status),
            $created_at: yv.time(notification.createdAt),
            $updated_at: yv.time(notification.updatedAt),
          },
        },
      );
    },
    async setStatus(key, status, updatedAt) {
      await rows(
        sql,
        `UPDATE notifications SET status = $status, updated_at = $updated_at
           WHERE user_id = $user_id AND day = $day AND slot = $slot`,
        { ...notificationKey(key), $status: yv.text(status), $updated_at: yv.time(updatedAt) },
      );
    },
    async release(key) {
      await rows(
        sql,
        'DELETE FROM notifications WHERE user_id = $user_id AND day = $day AND slot = $slot',
        notificationKey(key),
      );
    },
    async listByUser(userId, limit) {
      return (
        await rows(
          sql,
          `SELECT * FROM notifications WHERE user_id = $user_id
             ORDER BY user_id DESC, day DESC, slot DESC LIMIT $limit`,
          { $user_id: yv.int64(userId), $limit: yv.int32(limit) },
        )
      ).map(toNotification);
    },
    async listForUsers(range) {
      return (
        await rows(
          sql,
          `SELECT * FROM notifications
             WHERE user_id >= $from_user AND user_id <= $to_user AND day >= $since_day
             ORDER BY user_id, day, slot`,
          { ...userRange(range), $since_day: yv.text(range.sinceDay) },
        )
      ).map(toNotification);
    },
    async deleteByUser(userId) {
      await rows(sql, 'DELETE FROM notifications WHERE user_id = $user_id', { $user_id: yv.int64(userId) });
    },
  };
}
