import type { Value } from '@ydbjs/value';
import type { Row, Statements } from './statement';
import { yv } from './values';

/** What the repositories run their statements through: the current transaction's. */
export type Sql = Statements;

/** Runs one query and returns the rows of its first result set. */
export async function rows(sql: Sql, text: string, params: Record<string, Value> = {}): Promise<Row[]> {
  return (await sql.query(text, params))[0] ?? [];
}

export async function first(sql: Sql, text: string, params: Record<string, Value>): Promise<Row | undefined> {
  return (await rows(sql, text, params))[0];
}

/**
 * Insert-if-absent: a point read of the key, then the UPSERT. Inside a serializable transaction two
 * concurrent inserts of one key can't both commit (the loser aborts and `sql.begin` retries it into
 * the read that now finds the row), so exactly one caller sees `true`.
 */
export async function insertIfAbsent(
  sql: Sql,
  probe: { text: string; params: Record<string, Value> },
  upsert: { text: string; params: Record<string, Value> },
): Promise<boolean> {
  if ((await rows(sql, probe.text, probe.params)).length > 0) return false;
  await rows(sql, upsert.text, upsert.params);
  return true;
}

/**
 * Updates an existing row from a record's parameters (`$column` → value): `UPDATE … SET … WHERE` on
 * the key, never UPSERT, so a row deleted meanwhile (TTL, erasure) stays deleted. Columns in `fixed`
 * (the key, what never changes) are not set.
 */
export async function updateRow(
  sql: Sql,
  table: string,
  key: readonly string[],
  params: Record<string, Value>,
  fixed: readonly string[] = [],
): Promise<void> {
  const keep = new Set([...key, ...fixed]);
  const columns = Object.keys(params)
    .map((name) => name.slice(1))
    .filter((column) => !keep.has(column));
  const text = `UPDATE ${table} SET ${columns.map((column) => `${column} = $${column}`).join(', ')}
    WHERE ${key.map((column) => `${column} = $${column}`).join(' AND ')}`;
  const used = Object.fromEntries(
    Object.entries(params).filter(([name]) => !keep.has(name.slice(1)) || key.includes(name.slice(1))),
  );
  await rows(sql, text, used);
}

export const userRange = (range: { fromUserId: number; toUserId: number }) => ({
  $from_user: yv.int64(range.fromUserId),
  $to_user: yv.int64(range.toUserId),
});

/** A join returns columns as `u.user_id`; the mappers read bare names. */
export function stripAlias(row: Row): Row {
  const plain: Row = {};
  for (const [key, value] of Object.entries(row)) plain[key.replace(/^\w+\./, '')] = value;
  return plain;
}
