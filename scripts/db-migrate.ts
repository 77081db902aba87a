import { loadConfig } from '../lib/config/schema';
import { createLogger } from '../lib/log/logger';
import { ydbCredentials } from '../lib/storage/ydb/credentials';
import { migrateYdb } from '../lib/storage/ydb/migrate';
import { YdbStore } from '../lib/storage/ydb/store';

/** `npm run db:migrate`: creates every YDB table that does not exist yet. Safe to run again. */
async function main(): Promise<void> {
  const { storage } = loadConfig({ YDB_AUTH: 'metadata', ...process.env }, ['storage']);
  const logger = createLogger({ fields: { fn: 'db-migrate' } });
  const store = new YdbStore({
    connectionString: storage.YDB_CONNECTION_STRING,
    credentialsProvider: ydbCredentials(storage),
    timeoutMs: 60_000,
  });
  try {
    await migrateYdb(store, logger);
  } finally {
    await store.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
