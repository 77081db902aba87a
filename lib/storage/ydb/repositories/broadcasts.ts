import type {
  BroadcastChannel,
  BroadcastRecord,
  BroadcastRepository,
  BroadcastStatus,
  MessageSubscriptionRepository,
} from '../../port';
import { first, insertIfAbsent, rows, type Sql, updateRow } from '../sql';
import type { Row } from '../statement';
import { read, yv } from '../values';

const broadcastParams = (broadcast: BroadcastRecord) => ({
  $broadcast_id: yv.text(broadcast.broadcastId),
  $text: yv.text(broadcast.text),
  $audience: yv.json(broadcast.audience),
  $channel: yv.text(broadcast.channel),
  $status: yv.text(broadcast.status),
  $counts: yv.json(broadcast.counts),
  $created_by: yv.text(broadcast.createdBy),
  $created_at: yv.time(broadcast.createdAt),
  $updated_at: yv.time(broadcast.updatedAt),
});

export function ydbBroadcasts(sql: Sql): BroadcastRepository {
  return {
    async create(broadcast) {
      return insertIfAbsent(
        sql,
        {
          text: 'SELECT broadcast_id FROM broadcasts WHERE broadcast_id = $broadcast_id',
          params: { $broadcast_id: yv.text(broadcast.broadcastId) },
        },
        {
          text: `UPSERT INTO broadcasts (broadcast_id, text, audience, channel, status, counts, created_by,
                   created_at, updated_at)
                 VALUES ($broadcast_id, $text, $audience, $channel, $status, $counts, $created_by,
                   $created_at, $updated_at)`,
          params: broadcastParams(broadcast),
        },
      );
    },
    async get(broadcastId) {
      const row = await first(sql, 'SELECT * FROM broadcasts WHERE broadcast_id = $broadcast_id', {
        $broadcast_id: yv.text(broadcastId),
      });
      return row ? broadcastFromRow(row) : null;
    },
    async update(broadcast) {
      // What was asked never changes: only the progress is written.
      await updateRow(sql, 'broadcasts', ['broadcast_id'], broadcastParams(broadcast), [
        'text',
        'audience',
        'channel',
        'created_by',
        'created_at',
      ]);
    },
  };
}

export function ydbMessageSubscriptions(sql: Sql): MessageSubscriptionRepository {
  return {
    async put(subscription) {
      await rows(sql, 'UPSERT INTO message_subscriptions (`key`, user_id, at) VALUES ($key, $user_id, $at)', {
        $key: yv.text(subscription.key),
        $user_id: yv.int64(subscription.userId),
        $at: yv.time(subscription.at),
      });
    },
    async listByKey(key, { afterUserId, limit }) {
      // A key-prefix range of the primary key (`key`, user_id).
      const found = await rows(
        sql,
        `SELECT \`key\`, user_id, at FROM message_subscriptions
           WHERE \`key\` = $key AND user_id > $after ORDER BY \`key\`, user_id LIMIT $limit`,
        { $key: yv.text(key), $after: yv.int64(afterUserId), $limit: yv.int32(limit) },
      );
      return found.map((row) => ({
        key: read.text(row.key),
        userId: read.num(row.user_id),
        at: read.time(row.at),
      }));
    },
    async deleteByUser(userId) {
      // The user's rows found through the index, then deleted by their keys.
      await rows(
        sql,
        `DELETE FROM message_subscriptions ON
           SELECT \`key\`, user_id FROM message_subscriptions VIEW message_subscriptions_by_user
           WHERE user_id = $user_id`,
        { $user_id: yv.int64(userId) },
      );
    },
  };
}

function broadcastFromRow(row: Row): BroadcastRecord {
  return {
    broadcastId: read.text(row.broadcast_id),
    text: read.text(row.text),
    audience: read.json<unknown>(row.audience),
    channel: read.text(row.channel) as BroadcastChannel,
    status: read.text(row.status) as BroadcastStatus,
    counts: read.json<Record<string, number>>(row.counts),
    createdBy: read.text(row.created_by),
    createdAt: read.time(row.created_at),
    updatedAt: read.time(row.updated_at),
  };
}
