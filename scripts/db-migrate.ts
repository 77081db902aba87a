import { loadConfig } from '../lib/config/schema';
import { createLogger } from '../lib/log/logger';
import { ydbCredentials } from '../lib/storage/ydb/credentials';
import { migrateYdb } from '../lib/storage/ydb/migrate';
import { YdbStore } from '../lib/storage/ydb/store';

/**
 * `npm run db:migrate`: applies the numbered schema steps the database has not had, and prints
 * what it did. Safe to run again. Scripts default to `YDB_AUTH=metadata` (a VM's service account);
 * from a laptop set `YDB_AUTH=access-token YDB_ACCESS_TOKEN=$(yc iam create-token)`.
 */
async function main(): Promise<void> {
  const { storage } = loadConfig({ YDB_AUTH: 'metadata', ...process.env }, ['storage']);
  const logger = createLogger({ level: 'warn', fields: { fn: 'db-migrate' } });
  const store = new YdbStore({
    connectionString: storage.YDB_CONNECTION_STRING,
    credentialsProvider: ydbCredentials(storage),
    // A schema change may take long (an index is built); reaching the database may not.
    timeoutMs: 120_000,
    connectTimeoutMs: Math.max(storage.YDB_TIMEOUT_MS, 10_000),
  });
  try {
    try {
      await store.driver.ready(AbortSignal.timeout(Math.max(storage.YDB_TIMEOUT_MS, 10_000)));
    } catch (error) {
      throw new Error(
        `cannot reach YDB at ${storage.YDB_CONNECTION_STRING} (${error instanceof Error ? error.message : error}): check the connection string, the network and YDB_AUTH`,
      );
    }
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
