import { type AuditRecord, type AuditRepository, auditPageOf } from '../../port';
import { rows, type Sql } from '../sql';
import type { Row } from '../statement';
import { read, yv } from '../values';

const toEntry = (row: Row): AuditRecord => ({
  subject: read.text(row.subject),
  at: read.time(row.at),
  entryId: read.text(row.entry_id),
  actor: read.text(row.actor),
  role: read.text(row.role),
  action: read.text(row.action),
  details: read.json(row.details),
});

export function ydbAudit(sql: Sql): AuditRepository {
  return {
    async append(entry) {
      await rows(
        sql,
        `INSERT INTO audit_log (subject, at, entry_id, actor, role, action, details)
           VALUES ($subject, $at, $entry_id, $actor, $role, $action, $details)`,
        {
          $subject: yv.text(entry.subject),
          $at: yv.time(entry.at),
          $entry_id: yv.text(entry.entryId),
          $actor: yv.text(entry.actor),
          $role: yv.text(entry.role),
          $action: yv.text(entry.action),
          $details: yv.json(entry.details),
        },
      );
    },
    async listBySubject(subject, limit) {
      const found = await rows(
        sql,
        'SELECT * FROM audit_log WHERE subject = $subject ORDER BY subject, at, entry_id LIMIT $limit',
        { $subject: yv.text(subject), $limit: yv.int32(limit) },
      );
      return found.map(toEntry);
    },
    async listBetween({ since, until, before, limit }) {
      // A range of the covering index (at, subject, entry_id), read backwards from its upper end:
      // `until`, or the cursor (`at <= $before_at` bounds the range, the rest places it within a
      // millisecond).
      const params = { $since: yv.time(since), $until: yv.time(until), $limit: yv.int32(limit + 1) };
      const found = before
        ? await rows(
            sql,
            `SELECT subject, at, entry_id, actor, role, action, details
               FROM audit_log VIEW audit_log_by_time
               WHERE at >= $since AND at < $until AND at <= $before_at
                 AND (at < $before_at OR subject < $before_subject
                   OR (subject = $before_subject AND entry_id < $before_entry_id))
               ORDER BY at DESC, subject DESC, entry_id DESC LIMIT $limit`,
            {
              ...params,
              $before_at: yv.time(before.at),
              $before_subject: yv.text(before.subject),
              $before_entry_id: yv.text(before.entryId),
            },
          )
        : await rows(
            sql,
            `SELECT subject, at, entry_id, actor, role, action, details
               FROM audit_log VIEW audit_log_by_time
               WHERE at >= $since AND at < $until
               ORDER BY at DESC, subject DESC, entry_id DESC LIMIT $limit`,
            params,
          );
      return auditPageOf(found.map(toEntry), limit);
    },
  };
}
