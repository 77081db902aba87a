import { parseArgs } from 'node:util';
import { DAY } from '../lib/clock';
import { loadConfig } from '../lib/config/schema';
import { parkMissingAnonymisations } from '../lib/tickets/retention';
import { openStore } from './lib/open-store';

/**
 * `npm run db:backfill-retention [-- --before <createdAtMs>.<ticketId>] [--batch 200]`: parks the
 * anonymisation job of every ticket closed before closing parked one (FZ-152 retention), newest
 * first, a batch a transaction: due `PERSONAL_DATA_RETENTION_DAYS` after each ticket's close, so
 * those already past it are anonymised by the worker's next sweeps (200 every ten minutes). Creating a
 * job is idempotent: a run that stopped is run again, or resumed from the last position it printed.
 * Works on YDB when YDB_CONNECTION_STRING is set, else on the local stack's SQLite file (DATA_DIR).
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { before: { type: 'string' }, batch: { type: 'string', default: '200' } },
  });
  const batch = Number(values.batch);
  if (!Number.isInteger(batch) || batch < 1 || batch > 1000) throw new Error('--batch must be 1 to 1000');
  const before = values.before === undefined ? undefined : position(values.before);
  const { local, support } = loadConfig(process.env, ['local', 'support']);
  const store = await openStore(local.DATA_DIR);
  try {
    const done = await parkMissingAnonymisations(store, {
      retentionMs: support.PERSONAL_DATA_RETENTION_DAYS * DAY,
      batch,
      ...(before ? { before } : {}),
      onBatch: ({ seen, parked, last }) =>
        console.log(`${seen} closed tickets, ${parked} parked; last ${last.createdAt}.${last.ticketId}`),
    });
    console.log(`retention backfilled: ${done.seen} closed tickets, ${done.parked} anonymisations parked`);
  } finally {
    await store.close();
  }
}

/** `--before` as printed: `<createdAtMs>.<ticketId>`. */
function position(value: string): { createdAt: number; ticketId: string } {
  const match = /^(\d{1,15})\.(.+)$/.exec(value);
  if (!match) throw new Error('--before must be <createdAtMs>.<ticketId>, as a run prints it');
  return { createdAt: Number(match[1]), ticketId: match[2] ?? '' };
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
