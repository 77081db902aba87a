import type {
  ActivityRecord,
  ActivityRepository,
  NpsRepository,
  NpsResponseRecord,
  NpsSource,
} from '../../port-analytics';
import { first, rows, type Sql } from '../sql';
import type { Row } from '../statement';
import { read, yv } from '../values';

export function ydbActivity(sql: Sql): ActivityRepository {
  return {
    async get(userId) {
      const row = await first(sql, 'SELECT * FROM user_activity WHERE user_id = $user_id', {
        $user_id: yv.int64(userId),
      });
      return row ? activityFromRow(row) : null;
    },
    async put(record) {
      await rows(
        sql,
        `UPSERT INTO user_activity (user_id, first_day, last_day, active_days, updated_at)
           VALUES ($user_id, $first_day, $last_day, $active_days, $updated_at)`,
        {
          $user_id: yv.int64(record.userId),
          $first_day: yv.int32(record.firstDay),
          $last_day: yv.int32(record.lastDay),
          $active_days: yv.text(record.activeDays),
          $updated_at: yv.time(record.updatedAt),
        },
      );
    },
    async listActiveSince(sinceDay, { after, limit }) {
      // A range of the covering index (last_day, user_id): no read of the main table.
      const found = after
        ? await rows(
            sql,
            `SELECT user_id, first_day, last_day, active_days, updated_at
               FROM user_activity VIEW user_activity_by_last_day
               WHERE last_day >= $since_day
                 AND (last_day > $after_last_day OR (last_day = $after_last_day AND user_id > $after_user_id))
               ORDER BY last_day, user_id LIMIT $limit`,
            {
              $since_day: yv.int32(sinceDay),
              $after_last_day: yv.int32(after.lastDay),
              $after_user_id: yv.int64(after.userId),
              $limit: yv.int32(limit),
            },
          )
        : await rows(
            sql,
            `SELECT user_id, first_day, last_day, active_days, updated_at
               FROM user_activity VIEW user_activity_by_last_day
               WHERE last_day >= $since_day
               ORDER BY last_day, user_id LIMIT $limit`,
            { $since_day: yv.int32(sinceDay), $limit: yv.int32(limit) },
          );
      return found.map(activityFromRow);
    },
    async deleteByUser(userId) {
      await rows(sql, 'DELETE FROM user_activity WHERE user_id = $user_id', { $user_id: yv.int64(userId) });
    },
  };
}

export function ydbNps(sql: Sql): NpsRepository {
  return {
    async put(response) {
      await rows(
        sql,
        `UPSERT INTO nps_responses (user_id, responded_at, score, comment, source)
           VALUES ($user_id, $responded_at, $score, $comment, $source)`,
        {
          $user_id: yv.int64(response.userId),
          $responded_at: yv.time(response.respondedAt),
          $score: yv.int32(response.score),
          $comment: yv.optText(response.comment),
          $source: yv.text(response.source),
        },
      );
    },
    async latestByUser(userId) {
      // The last row of the user's key prefix.
      const row = await first(
        sql,
        `SELECT * FROM nps_responses WHERE user_id = $user_id
           ORDER BY user_id DESC, responded_at DESC LIMIT 1`,
        { $user_id: yv.int64(userId) },
      );
      return row ? npsFromRow(row) : null;
    },
    async listByUser(userId, limit) {
      const found = await rows(
        sql,
        'SELECT * FROM nps_responses WHERE user_id = $user_id ORDER BY user_id, responded_at LIMIT $limit',
        { $user_id: yv.int64(userId), $limit: yv.int32(limit) },
      );
      return found.map(npsFromRow);
    },
    async delete(userId, respondedAt) {
      await rows(sql, 'DELETE FROM nps_responses WHERE user_id = $user_id AND responded_at = $responded_at', {
        $user_id: yv.int64(userId),
        $responded_at: yv.time(respondedAt),
      });
    },
    async listBetween({ since, until, after, limit }) {
      // A range of the covering index (responded_at, user_id).
      const found = after
        ? await rows(
            sql,
            `SELECT user_id, responded_at, score, comment, source
               FROM nps_responses VIEW nps_responses_by_time
               WHERE responded_at < $until
                 AND (responded_at > $after_at OR (responded_at = $after_at AND user_id > $after_user_id))
               ORDER BY responded_at, user_id LIMIT $limit`,
            {
              $until: yv.time(until),
              $after_at: yv.time(after.respondedAt),
              $after_user_id: yv.int64(after.userId),
              $limit: yv.int32(limit),
            },
          )
        : await rows(
            sql,
            `SELECT user_id, responded_at, score, comment, source
               FROM nps_responses VIEW nps_responses_by_time
               WHERE responded_at >= $since AND responded_at < $until
               ORDER BY responded_at, user_id LIMIT $limit`,
            { $since: yv.time(since), $until: yv.time(until), $limit: yv.int32(limit) },
          );
      return found.map(npsFromRow);
    },
    async askedAt(userId) {
      const row = await first(sql, 'SELECT asked_at FROM nps_surveys WHERE user_id = $user_id', {
        $user_id: yv.int64(userId),
      });
      return row ? read.time(row.asked_at) : null;
    },
    async markAsked(userId, at) {
      await rows(sql, 'UPSERT INTO nps_surveys (user_id, asked_at) VALUES ($user_id, $asked_at)', {
        $user_id: yv.int64(userId),
        $asked_at: yv.time(at),
      });
    },
    async deleteByUser(userId) {
      await rows(sql, 'DELETE FROM nps_responses WHERE user_id = $user_id', { $user_id: yv.int64(userId) });
      await rows(sql, 'DELETE FROM nps_surveys WHERE user_id = $user_id', { $user_id: yv.int64(userId) });
    },
  };
}

function activityFromRow(row: Row): ActivityRecord {
  return {
    userId: read.num(row.user_id),
    firstDay: read.num(row.first_day),
    lastDay: read.num(row.last_day),
    activeDays: read.text(row.active_days),
    updatedAt: read.time(row.updated_at),
  };
}

function npsFromRow(row: Row): NpsResponseRecord {
  return {
    userId: read.num(row.user_id),
    respondedAt: read.time(row.responded_at),
    score: read.num(row.score),
    comment: read.optText(row.comment),
    source: read.text(row.source) as NpsSource,
  };
}
