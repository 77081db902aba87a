import type Database from 'better-sqlite3';

/** What a request may write: the rows the API's own transactions insert or delete. */
const WRITTEN_TABLES = [
  'users',
  'tickets',
  'ticket_messages',
  'ticket_status_changes',
  'events',
  'csat_surveys',
  'deferred_jobs',
  'audit_log',
];
// Left out: what the queue's consumers and the VK sandbox's echoes write in the background, while
// the next request runs (queue messages, send claims, dialogs, the notification log), and the jobs
// the deferred worker makes of the API's: a user's pending ticket updates waiting for their time,
// the operators' card (its post, edits and refreshes) that a mini app ticket's announcement starts,
// and a broadcast's later batches (the API queues only its first, `broadcast:<id>:0`).
const API_JOBS = ` WHERE kind <> 'ticket-updates-due' AND (job_id NOT LIKE 'ops-card:%' OR job_id LIKE '%:announce') AND (kind <> 'broadcast-batch' OR job_id LIKE '%:0')`;

/**
 * The row counts of the tables a request may write (and the counters' sum), as one string: equal
 * before and after a refused request, or the refusal wrote part of what it refused.
 */
export function writtenRowCounts(db: Database.Database): () => string {
  const rows = db.prepare(
    `SELECT ${WRITTEN_TABLES.map((table) => `(SELECT count(*) FROM ${table}${table === 'deferred_jobs' ? API_JOBS : ''}) AS ${table}`).join(', ')},
              (SELECT coalesce(sum(value), 0) FROM counters) AS counters`,
  );
  return () => JSON.stringify(rows.get());
}
