import type { AuditRepository } from '../../port';
import { json, parse, type SqliteStatements } from '../sql';

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
      ).map((row) => ({
        subject: String(row.subject),
        at: Number(row.at),
        entryId: String(row.entry_id),
        actor: String(row.actor),
        role: String(row.role),
        action: String(row.action),
        details: parse(row.details),
      }));
    },
  };
}
