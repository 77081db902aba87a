import type { DialogRecord, DialogRepository } from '../../port';
import { first, rows, type Sql } from '../sql';
import type { Row } from '../statement';
import { read, yv } from '../values';

const toDialog = (row: Row): DialogRecord => ({
  peerId: read.num(row.peer_id),
  userId: read.num(row.user_id),
  state: read.text(row.state),
  data: read.json(row.data),
  operatorSilentUntil: read.optTime(row.operator_silent_until),
  updatedAt: read.time(row.updated_at),
});

export function ydbDialogs(sql: Sql): DialogRepository {
  return {
    async get(peerId) {
      const row = await first(sql, 'SELECT * FROM dialogs WHERE peer_id = $peer_id', {
        $peer_id: yv.int64(peerId),
      });
      return row ? toDialog(row) : null;
    },
    async put(dialog) {
      await rows(
        sql,
        `UPSERT INTO dialogs (peer_id, user_id, state, data, operator_silent_until, updated_at)
           VALUES ($peer_id, $user_id, $state, $data, $operator_silent_until, $updated_at)`,
        {
          $peer_id: yv.int64(dialog.peerId),
          $user_id: yv.int64(dialog.userId),
          $state: yv.text(dialog.state),
          $data: yv.json(dialog.data),
          $operator_silent_until: yv.optTime(dialog.operatorSilentUntil),
          $updated_at: yv.time(dialog.updatedAt),
        },
      );
    },
    async delete(peerId) {
      await rows(sql, 'DELETE FROM dialogs WHERE peer_id = $peer_id', { $peer_id: yv.int64(peerId) });
    },
  };
}
