import type { AuditRepository } from '../../port';
import { rows, type Sql } from '../sql';
import { read, yv } from '../values';

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
      return found.map((row) => ({
        subject: read.text(row.subject),
        at: read.time(row.at),
        entryId: read.text(row.entry_id),
        actor: read.text(row.actor),
        role: read.text(row.role),
        action: read.text(row.action),
        details: read.json(row.details),
      }));
    },
  };
}
