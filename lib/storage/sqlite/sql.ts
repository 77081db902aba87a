import type Database from 'better-sqlite3';
import { AppError } from '../../errors';

export type Row = Record<string, unknown>;

/** What the repositories run their statements through: the store's one connection. */
export interface SqliteStatements {
  one(sql: string, ...params: unknown[]): Row | undefined;
  all(sql: string, ...params: unknown[]): Row[];
  run(sql: string, ...params: unknown[]): Database.RunResult;
}

/** Built once per store: each SQL text is prepared the first time it runs and kept for the store's life. */
export function sqliteStatements(db: Database.Database): SqliteStatements {
  const statement = (() => {
    const cache = new Map<string, Database.Statement>();
    return (sql: string) => {
      let prepared = cache.get(sql);
      if (!prepared) {
        prepared = db.prepare(sql);
        cache.set(sql, prepared);
      }
      return prepared;
    };
  })();
  const one = (sql: string, ...params: unknown[]) => statement(sql).get(...params) as Row | undefined;
  const all = (sql: string, ...params: unknown[]) => statement(sql).all(...params) as Row[];
  const run = (sql: string, ...params: unknown[]) => {
    try {
      return statement(sql).run(...params);
    } catch (error) {
      // better-sqlite3's native addon keeps the SqliteError class of the first context that loaded
      // it, so under Jest (one realm per test file) its errors may not be `instanceof Error` here.
      // A typed error of ours also tells callers what happened without knowing the adapter.
      const code = (error as { code?: unknown }).code;
      if (typeof code === 'string' && code.startsWith('SQLITE_CONSTRAINT')) {
        throw new AppError('storage_conflict', `a row with this key exists (${code})`, { cause: error });
      }
      throw error;
    }
  };
  return { one, all, run };
}

export const json = (value: unknown) => JSON.stringify(value);
export const parse = <T>(value: unknown): T => JSON.parse(String(value)) as T;
export const bool = (value: unknown): boolean | null =>
  value === null || value === undefined ? null : value === 1;
export const num = (value: unknown): number | null =>
  value === null || value === undefined ? null : Number(value);
export const str = (value: unknown): string | null =>
  value === null || value === undefined ? null : String(value);
export const flag = (value: boolean | null) => (value === null ? null : value ? 1 : 0);
