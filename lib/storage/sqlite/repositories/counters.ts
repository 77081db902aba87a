import type { CounterRepository } from '../../port';
import type { SqliteStatements } from '../sql';

export function sqliteCounters(sql: SqliteStatements): CounterRepository {
  const { one } = sql;
  return {
    async next(name) {
      const row = one(
        'INSERT INTO counters (name, value) VALUES (?, 1) ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value',
        name,
      );
      return Number(row?.value);
    },
  };
}
