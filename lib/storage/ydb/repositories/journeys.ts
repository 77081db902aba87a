import type { JourneyRunRecord, JourneyRunRepository } from '../../port';
import { first, rows, type Sql } from '../sql';
import type { Row } from '../statement';
import { read, yv } from '../values';

export function ydbJourneys(sql: Sql): JourneyRunRepository {
  return {
    async get(userId, journey, runId) {
      const row = await first(
        sql,
        'SELECT * FROM journey_runs WHERE user_id = $user_id AND journey = $journey AND run_id = $run_id',
        { $user_id: yv.int64(userId), $journey: yv.text(journey), $run_id: yv.text(runId) },
      );
      return row ? runFromRow(row) : null;
    },
    async put(run) {
      await rows(
        sql,
        `UPSERT INTO journey_runs
           (user_id, journey, run_id, started_at, \`variant\`, goal_at, step, status, next_at, outcomes,
            sending, updated_at)
           VALUES ($user_id, $journey, $run_id, $started_at, $variant, $goal_at, $step, $status, $next_at, $outcomes, $sending, $updated_at)`,
        {
          $user_id: yv.int64(run.userId),
          $journey: yv.text(run.journey),
          $run_id: yv.text(run.runId),
          $started_at: yv.time(run.startedAt),
          $variant: yv.text(run.variant),
          $goal_at: yv.optTime(run.goalAt),
          $step: yv.int32(run.step),
          $status: yv.text(run.status),
          $next_at: yv.optTime(run.nextAt),
          $outcomes: yv.json(run.outcomes),
          $sending: yv.optJson(run.sending),
          $updated_at: yv.time(run.updatedAt),
        },
      );
    },
    async findActive(userId, journey) {
      // A key-prefix range: the user's runs of this journey, a handful.
      const row = await first(
        sql,
        `SELECT * FROM journey_runs
           WHERE user_id = $user_id AND journey = $journey AND status = 'active'
           ORDER BY user_id, journey, run_id LIMIT 1`,
        { $user_id: yv.int64(userId), $journey: yv.text(journey) },
      );
      return row ? runFromRow(row) : null;
    },
    async listByUser(userId, journey, { since, limit }) {
      // A key-prefix range: the user's runs of this journey, a handful, filtered by start.
      const found = await rows(
        sql,
        `SELECT * FROM journey_runs
           WHERE user_id = $user_id AND journey = $journey AND started_at >= $since
           ORDER BY user_id, journey, run_id LIMIT $limit`,
        {
          $user_id: yv.int64(userId),
          $journey: yv.text(journey),
          $since: yv.time(since),
          $limit: yv.int32(limit),
        },
      );
      return found
        .map(runFromRow)
        .sort((a, b) => a.startedAt - b.startedAt || a.runId.localeCompare(b.runId));
    },
    async listByJourney(journey, { since, until, limit, after }) {
      const found = after
        ? await rows(
            sql,
            `SELECT * FROM journey_runs VIEW journey_runs_by_journey
               WHERE journey = $journey AND started_at < $until
                 AND (started_at > $after_started_at OR (started_at = $after_started_at
                   AND (user_id > $after_user_id OR (user_id = $after_user_id AND run_id > $after_run_id))))
               ORDER BY journey, started_at, user_id, run_id LIMIT $limit`,
            {
              $journey: yv.text(journey),
              $until: yv.time(until),
              $after_started_at: yv.time(after.startedAt),
              $after_user_id: yv.int64(after.userId),
              $after_run_id: yv.text(after.runId),
              $limit: yv.int32(limit),
            },
          )
        : await rows(
            sql,
            `SELECT * FROM journey_runs VIEW journey_runs_by_journey
               WHERE journey = $journey AND started_at >= $since AND started_at < $until
               ORDER BY journey, started_at, user_id, run_id LIMIT $limit`,
            {
              $journey: yv.text(journey),
              $since: yv.time(since),
              $until: yv.time(until),
              $limit: yv.int32(limit),
            },
          );
      return found.map(runFromRow);
    },
    async deleteByUser(userId) {
      await rows(sql, 'DELETE FROM journey_runs WHERE user_id = $user_id', { $user_id: yv.int64(userId) });
    },
  };
}

function runFromRow(row: Row): JourneyRunRecord {
  return {
    userId: read.num(row.user_id),
    journey: read.text(row.journey),
    runId: read.text(row.run_id),
    startedAt: read.time(row.started_at),
    variant: row.variant === null || row.variant === undefined ? 'a' : read.text(row.variant),
    goalAt: read.optTime(row.goal_at),
    step: read.num(row.step),
    status: read.text(row.status) as JourneyRunRecord['status'],
    nextAt: read.optTime(row.next_at),
    outcomes: read.json<JourneyRunRecord['outcomes']>(row.outcomes),
    sending:
      row.sending === null || row.sending === undefined
        ? null
        : read.json<NonNullable<JourneyRunRecord['sending']>>(row.sending),
    updatedAt: read.time(row.updated_at),
  };
}
