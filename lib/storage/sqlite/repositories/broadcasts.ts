import type {
  BroadcastChannel,
  BroadcastRecord,
  BroadcastRepository,
  BroadcastStatus,
  MessageSubscriptionRepository,
} from '../../port';
import { json, parse, type Row, type SqliteStatements } from '../sql';

export function sqliteBroadcasts(sql: SqliteStatements): BroadcastRepository {
  const { one, run } = sql;
  const write = (verb: 'INSERT' | 'INSERT OR REPLACE', broadcast: BroadcastRecord) =>
    run(
      `${verb} INTO broadcasts (broadcast_id, text, audience, channel, status, counts, created_by,
         created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      broadcast.broadcastId,
      broadcast.text,
      json(broadcast.audience),
      broadcast.channel,
      broadcast.status,
      json(broadcast.counts),
      broadcast.createdBy,
      broadcast.createdAt,
      broadcast.updatedAt,
    );
  return {
    async create(broadcast) {
      if (one('SELECT 1 AS found FROM broadcasts WHERE broadcast_id = ?', broadcast.broadcastId))
        return false;
      write('INSERT', broadcast);
      return true;
    },
    async get(broadcastId) {
      const row = one('SELECT * FROM broadcasts WHERE broadcast_id = ?', broadcastId);
      return row ? broadcastFromRow(row) : null;
    },
    async update(broadcast) {
      write('INSERT OR REPLACE', broadcast);
    },
  };
}

export function sqliteMessageSubscriptions(sql: SqliteStatements): MessageSubscriptionRepository {
  const { all, run } = sql;
  return {
    async put(subscription) {
      run(
        'INSERT OR REPLACE INTO message_subscriptions (key, user_id, at) VALUES (?, ?, ?)',
        subscription.key,
        subscription.userId,
        subscription.at,
      );
    },
    async listByKey(key, { afterUserId, limit }) {
      return all(
        'SELECT * FROM message_subscriptions WHERE key = ? AND user_id > ? ORDER BY user_id LIMIT ?',
        key,
        afterUserId,
        limit,
      ).map((row) => ({ key: String(row.key), userId: Number(row.user_id), at: Number(row.at) }));
    },
    async deleteByUser(userId) {
      run('DELETE FROM message_subscriptions WHERE user_id = ?', userId);
    },
  };
}

function broadcastFromRow(row: Row): BroadcastRecord {
  return {
    broadcastId: String(row.broadcast_id),
    text: String(row.text),
    audience: parse(row.audience),
    channel: String(row.channel) as BroadcastChannel,
    status: String(row.status) as BroadcastStatus,
    counts: parse(row.counts),
    createdBy: String(row.created_by),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}
