import { parseArgs } from 'node:util';
import { backfillActivity } from '../lib/analytics/activity';
import { loadConfig } from '../lib/config/schema';
import { openStore } from './lib/open-store';

/**
 * `npm run db:backfill-activity [-- --after <userId>] [--batch 200]`: builds each user's daily activity
 * record (retention, DAU/WAU/MAU) from the events stored before the record was kept, users by id, a
 * batch a transaction. Merging is idempotent: a run that stopped is run again, or resumed after the
 * last user id it printed. Works on YDB when YDB_CONNECTION_STRING is set, else on the local stack's
 * SQLite file (DATA_DIR).
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { after: { type: 'string' }, batch: { type: 'string', default: '200' } },
  });
  const batch = Number(values.batch);
  if (!Number.isInteger(batch) || batch < 1 || batch > 1000) throw new Error('--batch must be 1 to 1000');
  const afterUserId = values.after === undefined ? 0 : Number(values.after);
  if (!Number.isSafeInteger(afterUserId) || afterUserId < 0) throw new Error('--after must be a user id');
  const { local, runtime } = loadConfig(process.env, ['local', 'runtime']);
  const store = await openStore(local.DATA_DIR);
  try {
    const done = await backfillActivity(store, {
      timezone: runtime.APP_TIMEZONE,
      now: Date.now(),
      batch,
      afterUserId,
      onBatch: ({ users, written, lastUserId }) =>
        console.log(`${users} users, ${written} records written; last user ${lastUserId}`),
    });
    console.log(`activity backfilled: ${done.users} users, ${done.written} records written`);
  } finally {
    await store.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
