import { loadConfig } from '../lib/config/schema';
import { createLogger } from '../lib/log/logger';
import { ydbCredentials } from '../lib/storage/ydb/credentials';
import { migrateYdb } from '../lib/storage/ydb/migrate';
import { YdbStore } from '../lib/storage/ydb/store';

/**
 * `npm run db:migrate`: applies the numbered schema steps the database has not had, and prints
 * what it did. Safe to run again.
 */
async function main(): Promise<void> {
  const { storage } = loadConfig({ YDB_AUTH: 'metadata', ...process.env }, ['storage']);
  const logger = createLogger({ level: 'warn', fields: { fn: 'db-migrate' } });
  const store = new YdbStore({
    connectionString: storage.YDB_CONNECTION_STRING,
    credentialsProvider: ydbCredentials(storage),
    timeoutMs: 120_000,
  });
  try {
    const report = await migrateYdb(store, logger);
    for (const step of report.applied) console.log(`applied ${step.version} ${step.name}`);
    console.log(
      `schema at version ${report.version}: ${report.applied.length} applied, ${report.alreadyApplied} already applied`,
    );
  } finally {
    await store.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
