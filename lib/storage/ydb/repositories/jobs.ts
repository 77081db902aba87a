import type { DeferredJobRecord, DeferredJobRepository } from '../../port';
import { first, insertIfAbsent, rows, type Sql, updateRow } from '../sql';
import type { Row } from '../statement';
import { read, yv } from '../values';

const toJob = (row: Row): DeferredJobRecord => ({
  jobId: read.text(row.job_id),
  kind: read.text(row.kind),
  payload: read.json(row.payload),
  dueAt: read.time(row.due_at),
  status: read.text(row.status) as DeferredJobRecord['status'],
  hop: read.num(row.hop),
  createdAt: read.time(row.created_at),
  updatedAt: read.time(row.updated_at),
});

/** Finished jobs are kept 30 days after they finish, then TTL removes them. */
const jobExpiry = (job: DeferredJobRecord) => (job.status === 'pending' ? null : job.updatedAt);

const jobParams = (job: DeferredJobRecord) => ({
  $job_id: yv.text(job.jobId),
  $kind: yv.text(job.kind),
  $payload: yv.json(job.payload),
  $due_at: yv.time(job.dueAt),
  $status: yv.text(job.status),
  $hop: yv.int32(job.hop),
  $created_at: yv.time(job.createdAt),
  $updated_at: yv.time(job.updatedAt),
  $expires_at: yv.optTime(jobExpiry(job)),
});

const upsertJob = `UPSERT INTO deferred_jobs (job_id, kind, payload, due_at, status, hop, created_at, updated_at, expires_at)
    VALUES ($job_id, $kind, $payload, $due_at, $status, $hop, $created_at, $updated_at, $expires_at)`;

export function ydbJobs(sql: Sql): DeferredJobRepository {
  return {
    async create(job) {
      return insertIfAbsent(
        sql,
        {
          text: 'SELECT job_id FROM deferred_jobs WHERE job_id = $job_id',
          params: { $job_id: yv.text(job.jobId) },
        },
        { text: upsertJob, params: jobParams(job) },
      );
    },
    async get(jobId) {
      const row = await first(sql, 'SELECT * FROM deferred_jobs WHERE job_id = $job_id', {
        $job_id: yv.text(jobId),
      });
      return row ? toJob(row) : null;
    },
    async update(job) {
      await updateRow(sql, 'deferred_jobs', ['job_id'], jobParams(job), ['kind', 'created_at']);
    },
    async listPendingStale(updatedBefore, { limit, after }) {
      const params = { $updated_before: yv.time(updatedBefore), $limit: yv.int32(limit) };
      const found = after
        ? await rows(
            sql,
            `SELECT * FROM deferred_jobs VIEW deferred_jobs_stale
               WHERE status = 'pending' AND updated_at < $updated_before
                 AND (updated_at > $after_at OR (updated_at = $after_at AND job_id > $after_id))
               ORDER BY status, updated_at, job_id LIMIT $limit`,
            { ...params, $after_at: yv.time(after.updatedAt), $after_id: yv.text(after.jobId) },
          )
        : await rows(
            sql,
            `SELECT * FROM deferred_jobs VIEW deferred_jobs_stale
               WHERE status = 'pending' AND updated_at < $updated_before
               ORDER BY status, updated_at, job_id LIMIT $limit`,
            params,
          );
      return found.map(toJob);
    },
    async listUnclaimedDue(kind, dueBy, limit) {
      // `hop` is quoted: HOP is a YQL keyword (hopping windows), refused bare in an expression.
      const found = await rows(
        sql,
        `SELECT * FROM deferred_jobs VIEW deferred_jobs_unclaimed
           WHERE kind = $kind AND status = 'pending' AND \`hop\` = 0 AND due_at <= $due_by
           ORDER BY kind, status, \`hop\`, due_at, job_id LIMIT $limit`,
        { $kind: yv.text(kind), $due_by: yv.time(dueBy), $limit: yv.int32(limit) },
      );
      return found.map(toJob);
    },
  };
}
