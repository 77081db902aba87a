import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../lib/config/schema';
import type { Store } from '../../lib/storage/port';
import { SqliteStore } from '../../lib/storage/sqlite/store';
import { ydbCredentials } from '../../lib/storage/ydb/credentials';
import { YdbStore } from '../../lib/storage/ydb/store';

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

export function percent(share: number | null): string {
  return share === null ? '—' : `${Math.round(share * 1000) / 10}%`;
}
