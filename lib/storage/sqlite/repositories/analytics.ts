import type {
  ActivityRecord,
  ActivityRepository,
  NpsRepository,
  NpsResponseRecord,
  NpsSource,
} from '../../port-analytics';
import type { Row, SqliteStatements } from '../sql';

export function sqliteActivity(sql: SqliteStatements): ActivityRepository {
  const { one, all, run } = sql;
  return {
    async get(userId) {
      const row = one('SELECT * FROM user_activity WHERE user_id = ?', userId);
      return row ? activityFromRow(row) : null;
    },
    async put(record) {
      run(
        `INSERT OR REPLACE INTO user_activity (user_id, first_day, last_day, active_days, updated_at)
           VALUES (?, ?, ?, ?, ?)`,
        record.userId,
        record.firstDay,
        record.lastDay,
        record.activeDays,
        record.updatedAt,
      );
    },
    async listActiveSince(sinceDay, { after, limit }) {
      const found = after
        ? all(
            `SELECT * FROM user_activity WHERE (last_day, user_id) > (?, ?) AND last_day >= ?
               ORDER BY last_day, user_id LIMIT ?`,
            after.lastDay,
            after.userId,
            sinceDay,
            limit,
          )
        : all(
            'SELECT * FROM user_activity WHERE last_day >= ? ORDER BY last_day, user_id LIMIT ?',
            sinceDay,
            limit,
          );
      return found.map(activityFromRow);
    },
    async deleteByUser(userId) {
      run('DELETE FROM user_activity WHERE user_id = ?', userId);
    },
  };
}

export function sqliteNps(sql: SqliteStatements): NpsRepository {
  const { one, all, run } = sql;
  return {
    async put(response) {
      run(
        `INSERT OR REPLACE INTO nps_responses (user_id, responded_at, score, comment, source)
           VALUES (?, ?, ?, ?, ?)`,
        response.userId,
        response.respondedAt,
        response.score,
        response.comment,
        response.source,
      );
    },
    async latestByUser(userId) {
      const row = one(
        'SELECT * FROM nps_responses WHERE user_id = ? ORDER BY responded_at DESC LIMIT 1',
        userId,
      );
      return row ? npsFromRow(row) : null;
    },
    async listByUser(userId, limit) {
      return all(
        'SELECT * FROM nps_responses WHERE user_id = ? ORDER BY responded_at LIMIT ?',
        userId,
        limit,
      ).map(npsFromRow);
    },
    async delete(userId, respondedAt) {
      run('DELETE FROM nps_responses WHERE user_id = ? AND responded_at = ?', userId, respondedAt);
    },
    async listBetween({ since, until, after, limit }) {
      const found = after
        ? all(
            `SELECT * FROM nps_responses
               WHERE (responded_at, user_id) > (?, ?) AND responded_at < ?
               ORDER BY responded_at, user_id LIMIT ?`,
            after.respondedAt,
            after.userId,
            until,
            limit,
          )
        : all(
            `SELECT * FROM nps_responses WHERE responded_at >= ? AND responded_at < ?
               ORDER BY responded_at, user_id LIMIT ?`,
            since,
            until,
            limit,
          );
      return found.map(npsFromRow);
    },
    async askedAt(userId) {
      const row = one('SELECT asked_at FROM nps_surveys WHERE user_id = ?', userId);
      return row ? Number(row.asked_at) : null;
    },
    async markAsked(userId, at) {
      run('INSERT OR REPLACE INTO nps_surveys (user_id, asked_at) VALUES (?, ?)', userId, at);
    },
    async deleteByUser(userId) {
      run('DELETE FROM nps_responses WHERE user_id = ?', userId);
      run('DELETE FROM nps_surveys WHERE user_id = ?', userId);
    },
  };
}

function activityFromRow(row: Row): ActivityRecord {
  return {
    userId: Number(row.user_id),
    firstDay: Number(row.first_day),
    lastDay: Number(row.last_day),
    activeDays: String(row.active_days),
    updatedAt: Number(row.updated_at),
  };
}

function npsFromRow(row: Row): NpsResponseRecord {
  return {
    userId: Number(row.user_id),
    respondedAt: Number(row.responded_at),
    score: Number(row.score),
    comment: row.comment === null || row.comment === undefined ? null : String(row.comment),
    source: String(row.source) as NpsSource,
  };
}
