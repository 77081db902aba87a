import { type AuditRecord, type AuditRepository, auditPageOf } from '../../port';
import { json, parse, type SqliteStatements } from '../sql';

const toEntry = (row: Record<string, unknown>): AuditRecord => ({
  subject: String(row.subject),
  at: Number(row.at),
  entryId: String(row.entry_id),
  actor: String(row.actor),
  role: String(row.role),
  action: String(row.action),
  details: parse(row.details),
});

export function sqliteAudit(sql: SqliteStatements): AuditRepository {
  const { all, run } = sql;
  return {
    async append(entry) {
      run(
        `INSERT INTO audit_log (subject, at, entry_id, actor, role, action, details) VALUES (?, ?, ?, ?, ?, ?, ?)`,
        entry.subject,
        entry.at,
        entry.entryId,
        entry.actor,
        entry.role,
        entry.action,
        json(entry.details),
      );
    },
    async listBySubject(subject, limit) {
      return all(
        'SELECT * FROM audit_log WHERE subject = ? ORDER BY at, entry_id LIMIT ?',
        subject,
        limit,
      ).map(toEntry);
    },
    async listBetween({ since, until, before, limit }) {
      // A range of audit_log_by_time, walked backwards; a row value seeks it to the cursor.
      const found = before
        ? all(
            `SELECT * FROM audit_log
               WHERE at >= ? AND at < ? AND (at, subject, entry_id) < (?, ?, ?)
               ORDER BY at DESC, subject DESC, entry_id DESC LIMIT ?`,
            since,
            until,
            before.at,
            before.subject,
            before.entryId,
            limit + 1,
          )
        : all(
            `SELECT * FROM audit_log WHERE at >= ? AND at < ?
               ORDER BY at DESC, subject DESC, entry_id DESC LIMIT ?`,
            since,
            until,
            limit + 1,
          );
      return auditPageOf(found.map(toEntry), limit);
    },
  };
}
