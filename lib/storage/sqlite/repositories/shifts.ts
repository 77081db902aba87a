import type { OperatorShiftRecord, ShiftRepository } from '../../port';
import { num, type Row, type SqliteStatements, str } from '../sql';

export function sqliteShifts(sql: SqliteStatements): ShiftRepository {
  const { one, all, run } = sql;
  return {
    async get(chatPeerId, operatorId) {
      const row = one(
        'SELECT * FROM operator_shifts WHERE chat_peer_id = ? AND operator_id = ?',
        chatPeerId,
        operatorId,
      );
      return row ? shiftFromRow(row) : null;
    },
    async put(shift) {
      run(
        `INSERT OR REPLACE INTO operator_shifts (chat_peer_id, operator_id, name, on_since, last_assigned_at)
         VALUES (?, ?, ?, ?, ?)`,
        shift.chatPeerId,
        shift.operatorId,
        shift.name,
        shift.onSince,
        shift.lastAssignedAt,
      );
    },
    async delete(chatPeerId, operatorId) {
      run('DELETE FROM operator_shifts WHERE chat_peer_id = ? AND operator_id = ?', chatPeerId, operatorId);
    },
    async listByChat(chatPeerId, limit) {
      return all(
        'SELECT * FROM operator_shifts WHERE chat_peer_id = ? ORDER BY operator_id LIMIT ?',
        chatPeerId,
        limit,
      ).map(shiftFromRow);
    },
  };
}

function shiftFromRow(row: Row): OperatorShiftRecord {
  return {
    chatPeerId: Number(row.chat_peer_id),
    operatorId: Number(row.operator_id),
    name: str(row.name),
    onSince: Number(row.on_since),
    lastAssignedAt: num(row.last_assigned_at),
  };
}
