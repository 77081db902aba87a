import type { OperatorShiftRecord, ShiftRepository } from '../../port';
import { first, rows, type Sql } from '../sql';
import type { Row } from '../statement';
import { read, yv } from '../values';

export function ydbShifts(sql: Sql): ShiftRepository {
  return {
    async get(chatPeerId, operatorId) {
      const row = await first(
        sql,
        'SELECT * FROM operator_shifts WHERE chat_peer_id = $chat_peer_id AND operator_id = $operator_id',
        { $chat_peer_id: yv.int64(chatPeerId), $operator_id: yv.int64(operatorId) },
      );
      return row ? shiftFromRow(row) : null;
    },
    async put(shift) {
      await rows(
        sql,
        `UPSERT INTO operator_shifts (chat_peer_id, operator_id, name, on_since, last_assigned_at)
           VALUES ($chat_peer_id, $operator_id, $name, $on_since, $last_assigned_at)`,
        {
          $chat_peer_id: yv.int64(shift.chatPeerId),
          $operator_id: yv.int64(shift.operatorId),
          $name: yv.optText(shift.name),
          $on_since: yv.time(shift.onSince),
          $last_assigned_at: yv.optTime(shift.lastAssignedAt),
        },
      );
    },
    async delete(chatPeerId, operatorId) {
      await rows(
        sql,
        'DELETE FROM operator_shifts WHERE chat_peer_id = $chat_peer_id AND operator_id = $operator_id',
        { $chat_peer_id: yv.int64(chatPeerId), $operator_id: yv.int64(operatorId) },
      );
    },
    async listByChat(chatPeerId, limit) {
      // A key-prefix range: the chat's rows only.
      const found = await rows(
        sql,
        `SELECT * FROM operator_shifts WHERE chat_peer_id = $chat_peer_id
           ORDER BY chat_peer_id, operator_id LIMIT $limit`,
        { $chat_peer_id: yv.int64(chatPeerId), $limit: yv.int32(limit) },
      );
      return found.map(shiftFromRow);
    },
  };
}

function shiftFromRow(row: Row): OperatorShiftRecord {
  return {
    chatPeerId: read.num(row.chat_peer_id),
    operatorId: read.num(row.operator_id),
    name: read.optText(row.name),
    onSince: read.time(row.on_since),
    lastAssignedAt: read.optTime(row.last_assigned_at),
  };
}
