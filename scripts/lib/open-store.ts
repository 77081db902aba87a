import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type Clock, systemClock } from '../../lib/clock';
import { loadConfig } from '../../lib/config/schema';
import { createLogger } from '../../lib/log/logger';
import type { Store } from '../../lib/storage/port';
import { SqliteStore } from '../../lib/storage/sqlite/store';
import { ydbCredentials } from '../../lib/storage/ydb/credentials';
import { YdbStore } from '../../lib/storage/ydb/store';
import { persistedDevClock } from '../local/dev-clock';

/**
 * The store an ops script works on: YDB when YDB_CONNECTION_STRING is set (metadata credentials by
 * default, as on a VM in the cloud), else the local stack's SQLite file in DATA_DIR.
 */
export async function openStore(dataDir: string): Promise<Store> {
  if (process.env.YDB_CONNECTION_STRING) {
    const { storage } = loadConfig({ YDB_AUTH: 'metadata', ...process.env }, ['storage']);
    return new YdbStore({
      connectionString: storage.YDB_CONNECTION_STRING,
      credentialsProvider: ydbCredentials(storage),
      timeoutMs: 60_000,
    });
  }
  const file = join(dataDir, 'local.sqlite');
  if (!existsSync(file)) throw new Error(`No YDB_CONNECTION_STRING and no ${file}: run npm start first.`);
  return new SqliteStore(file);
}

/**
 * "Now" for an ops script: real time on YDB; on the local stack's SQLite file, the dev clock `npm start`
 * keeps (`DATA_DIR/dev-clock.json`, moved by `/dev/clock/advance`), so a report's default range is the
 * one the local stack is living in.
 */
export function scriptClock(dataDir: string): Clock {
  if (process.env.YDB_CONNECTION_STRING) return systemClock;
  const silent = createLogger({ level: 'error', sink: () => {} });
  const clock = persistedDevClock(dataDir, silent);
  return { now: () => clock.now() };
}

export function percent(share: number | null): string {
  return share === null ? '—' : `${Math.round(share * 1000) / 10}%`;
}

/** `--from` / `--to` of a report script, each a date like 2026-11-01 when given. */
export function dateOptions(): { from: string | undefined; to: string | undefined; json: boolean } {
  const { values } = parseArgs({
    options: { from: { type: 'string' }, to: { type: 'string' }, json: { type: 'boolean', default: false } },
  });
  for (const name of ['from', 'to'] as const) {
    const value = values[name];
    if (value !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(value))
      throw new Error(`--${name} must be a date like 2026-11-01`);
  }
  return { from: values.from, to: values.to, json: values.json };
}
