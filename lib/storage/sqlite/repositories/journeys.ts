import type { JourneyRunRecord, JourneyRunRepository } from '../../port';
import { json, num, parse, type Row, type SqliteStatements } from '../sql';

export function sqliteJourneys(sql: SqliteStatements): JourneyRunRepository {
  const { one, all, run } = sql;
  return {
    async get(userId, journey, runId) {
      const row = one(
        'SELECT * FROM journey_runs WHERE user_id = ? AND journey = ? AND run_id = ?',
        userId,
        journey,
        runId,
      );
      return row ? runFromRow(row) : null;
    },
    async put(journeyRun) {
      run(
        `INSERT OR REPLACE INTO journey_runs
           (user_id, journey, run_id, started_at, variant, goal_at, step, status, next_at, outcomes, sending,
            updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        journeyRun.userId,
        journeyRun.journey,
        journeyRun.runId,
        journeyRun.startedAt,
        journeyRun.variant,
        journeyRun.goalAt,
        journeyRun.step,
        journeyRun.status,
        journeyRun.nextAt,
        json(journeyRun.outcomes),
        journeyRun.sending === null ? null : json(journeyRun.sending),
        journeyRun.updatedAt,
      );
    },
    async findActive(userId, journey) {
      const row = one(
        `SELECT * FROM journey_runs WHERE user_id = ? AND journey = ? AND status = 'active'
         ORDER BY run_id LIMIT 1`,
        userId,
        journey,
      );
      return row ? runFromRow(row) : null;
    },
    async listByUser(userId, journey, { since, limit }) {
      return all(
        `SELECT * FROM journey_runs WHERE user_id = ? AND journey = ? AND started_at >= ?
         ORDER BY started_at, run_id LIMIT ?`,
        userId,
        journey,
        since,
        limit,
      ).map(runFromRow);
    },
    async listByJourney(journey, { since, until, limit, after }) {
      const found = after
        ? all(
            `SELECT * FROM journey_runs WHERE journey = ? AND started_at < ?
               AND (started_at, user_id, run_id) > (?, ?, ?)
             ORDER BY started_at, user_id, run_id LIMIT ?`,
            journey,
            until,
            after.startedAt,
            after.userId,
            after.runId,
            limit,
          )
        : all(
            `SELECT * FROM journey_runs WHERE journey = ? AND started_at >= ? AND started_at < ?
             ORDER BY started_at, user_id, run_id LIMIT ?`,
            journey,
            since,
            until,
            limit,
          );
      return found.map(runFromRow);
    },
    async deleteByUser(userId) {
      run('DELETE FROM journey_runs WHERE user_id = ?', userId);
    },
  };
}

function runFromRow(row: Row): JourneyRunRecord {
  return {
    userId: Number(row.user_id),
    journey: String(row.journey),
    runId: String(row.run_id),
    startedAt: Number(row.started_at),
    variant: row.variant === null || row.variant === undefined ? 'a' : String(row.variant),
    goalAt: num(row.goal_at),
    step: Number(row.step),
    status: String(row.status) as JourneyRunRecord['status'],
    nextAt: num(row.next_at),
    outcomes: parse(row.outcomes),
    sending: row.sending === null || row.sending === undefined ? null : parse(row.sending),
    updatedAt: Number(row.updated_at),
  };
}
