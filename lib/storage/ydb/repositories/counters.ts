import type { CounterRepository } from '../../port';
import { first, rows, type Sql } from '../sql';
import { read, yv } from '../values';

export function ydbCounters(sql: Sql): CounterRepository {
  return {
    async next(name) {
      const row = await first(sql, 'SELECT value FROM counters WHERE name = $name', {
        $name: yv.text(name),
      });
      const value = (row ? read.num(row.value) : 0) + 1;
      await rows(sql, 'UPSERT INTO counters (name, value) VALUES ($name, $value)', {
        $name: yv.text(name),
        $value: yv.int64(value),
      });
      return value;
    },
  };
}
