import type { DialogRecord, DialogRepository } from '../../port';
import { json, num, parse, type Row, type SqliteStatements } from '../sql';

const toDialog = (row: Row): DialogRecord => ({
  peerId: Number(row.peer_id),
  userId: Number(row.user_id),
  state: String(row.state),
  data: parse(row.data),
  operatorSilentUntil: num(row.operator_silent_until),
  updatedAt: Number(row.updated_at),
});

export function sqliteDialogs(sql: SqliteStatements): DialogRepository {
  const { one, run } = sql;
  return {
    async get(peerId) {
      const row = one('SELECT * FROM dialogs WHERE peer_id = ?', peerId);
      return row ? toDialog(row) : null;
    },
    async put(dialog) {
      run(
        `INSERT OR REPLACE INTO dialogs (peer_id, user_id, state, data, operator_silent_until, updated_at)
         VALUES (?, ?, ?, ?, ?, ?)`,
        dialog.peerId,
        dialog.userId,
        dialog.state,
        json(dialog.data),
        dialog.operatorSilentUntil,
        dialog.updatedAt,
      );
    },
    async delete(peerId) {
      run('DELETE FROM dialogs WHERE peer_id = ?', peerId);
    },
  };
}
