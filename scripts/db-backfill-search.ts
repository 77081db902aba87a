import { parseArgs } from 'node:util';
import { loadConfig } from '../lib/config/schema';
import { backfillSearchIndex } from '../lib/tickets/search-index';
import { openStore } from './lib/open-store';

/**
 * `npm run db:backfill-search [-- --after <createdAtMs>.<ticketId>] [--batch 200]`: indexes the
 * tickets filed before migration 9 for the operators' search (`GET /api/ops/tickets?q=`), oldest
 * first, a batch a transaction, after `npm run db:migrate`. Tickets filed since are indexed as they
 * are created, so the run ends at its start time. Adding entries is idempotent: a run that stopped is
 * run again, or resumed from the last position it printed. Works on YDB when YDB_CONNECTION_STRING
 * is set, else on the local stack's SQLite file (DATA_DIR, default .data).
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { after: { type: 'string' }, batch: { type: 'string', default: '200' } },
  });
  const batch = Number(values.batch);
  if (!Number.isInteger(batch) || batch < 1 || batch > 1000) throw new Error('--batch must be 1 to 1000');
  const after = values.after === undefined ? undefined : position(values.after);
  const { local } = loadConfig(process.env, ['local']);
  const store = await openStore(local.DATA_DIR);
  try {
    const done = await backfillSearchIndex(store, {
      batch,
      until: Date.now(),
      ...(after ? { after } : {}),
      onBatch: ({ indexed, entries, last }) =>
        console.log(`${indexed} tickets, ${entries} entries; last ${last.createdAt}.${last.ticketId}`),
    });
    console.log(`search index backfilled: ${done.indexed} tickets, ${done.entries} entries`);
  } finally {
    await store.close();
  }
}

/** `--after` as printed: `<createdAtMs>.<ticketId>`. */
function position(value: string): { createdAt: number; ticketId: string } {
  const match = /^(\d{1,15})\.(.+)$/.exec(value);
  if (!match) throw new Error('--after must be <createdAtMs>.<ticketId>, as a run prints it');
  return { createdAt: Number(match[1]), ticketId: match[2] ?? '' };
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
