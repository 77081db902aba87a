import type { DeferredJobRecord, DeferredJobRepository } from '../../port';
import { json, parse, type Row, type SqliteStatements } from '../sql';

const toJob = (row: Row): DeferredJobRecord => ({
  jobId: String(row.job_id),
  kind: String(row.kind),
  payload: parse(row.payload),
  dueAt: Number(row.due_at),
  status: String(row.status) as DeferredJobRecord['status'],
  hop: Number(row.hop),
  createdAt: Number(row.created_at),
  updatedAt: Number(row.updated_at),
});

export function sqliteJobs(sql: SqliteStatements): DeferredJobRepository {
  const { one, all, run } = sql;
  return {
    async create(job) {
      return (
        run(
          `INSERT OR IGNORE INTO deferred_jobs (job_id, kind, payload, due_at, status, hop, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
          job.jobId,
          job.kind,
          json(job.payload),
          job.dueAt,
          job.status,
          job.hop,
          job.createdAt,
          job.updatedAt,
        ).changes === 1
      );
    },
    async get(jobId) {
      const row = one('SELECT * FROM deferred_jobs WHERE job_id = ?', jobId);
      return row ? toJob(row) : null;
    },
    async update(job) {
      run(
        'UPDATE deferred_jobs SET payload = ?, due_at = ?, status = ?, hop = ?, updated_at = ? WHERE job_id = ?',
        json(job.payload),
        job.dueAt,
        job.status,
        job.hop,
        job.updatedAt,
        job.jobId,
      );
    },
    async listPendingStale(updatedBefore, { limit, after }) {
      const rows = after
        ? all(
            `SELECT * FROM deferred_jobs WHERE status = 'pending' AND updated_at < ?
               AND (updated_at > ? OR (updated_at = ? AND job_id > ?)) ORDER BY updated_at, job_id LIMIT ?`,
            updatedBefore,
            after.updatedAt,
            after.updatedAt,
            after.jobId,
            limit,
          )
        : all(
            `SELECT * FROM deferred_jobs WHERE status = 'pending' AND updated_at < ?
               ORDER BY updated_at, job_id LIMIT ?`,
            updatedBefore,
            limit,
          );
      return rows.map(toJob);
    },
    async listUnclaimedDue(kind, dueBy, limit) {
      return all(
        `SELECT * FROM deferred_jobs WHERE kind = ? AND status = 'pending' AND hop = 0 AND due_at <= ?
           ORDER BY due_at, job_id LIMIT ?`,
        kind,
        dueBy,
        limit,
      ).map(toJob);
    },
  };
}
