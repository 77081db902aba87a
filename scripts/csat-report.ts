import { loadConfig } from '../lib/config/schema';
import type { CsatFigures } from '../lib/csat/report';
import { BusinessHours } from '../lib/schedule/business-hours';
import { supportSettings } from '../lib/support/settings';
import { computeStats, statsRange } from '../lib/tickets/stats';
import { dateOptions, openStore, percent, scriptClock } from './lib/open-store';

/**
 * `npm run csat:report -- [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--json]`: CSAT of the tickets
 * created in the range (local dates; default the last 30 days), as the stats endpoint reports it:
 * overall, by operator, category and week, and the reasons of low ratings. Reads YDB when
 * YDB_CONNECTION_STRING is set, else the local stack's SQLite file (DATA_DIR, default .data).
 */
async function main(): Promise<void> {
  const values = dateOptions();
  const { runtime, local } = loadConfig(process.env, ['runtime', 'local']);
  const timezone = runtime.APP_TIMEZONE;
  const range = statsRange({ from: values.from, to: values.to }, scriptClock(local.DATA_DIR).now(), timezone);
  if (!range) throw new Error('The range must be 1 to 366 days.');
  const store = await openStore(local.DATA_DIR);
  try {
    const hours = new BusinessHours({ timezone, ...supportSettings.businessHours });
    const stats = await store.read((repositories) => computeStats(repositories, { ...range, hours }));
    if (values.json) {
      console.log(
        JSON.stringify({ range: stats.range, truncated: stats.truncated, csat: stats.csat }, null, 2),
      );
      return;
    }
    const { csat } = stats;
    console.log(`CSAT of tickets created ${stats.range.from} … ${stats.range.until} (${timezone})`);
    if (stats.truncated) console.log('(truncated: the range holds more tickets than one report scans)');
    console.log('');
    printTable('overall', { all: csat });
    printTable('by operator', csat.byOperator);
    printTable('by category', csat.byCategory);
    printTable('by week', csat.byWeek);
    console.log(`low ratings: ${csat.lowRatings}; reasons, most frequent first:`);
    for (const { reason, count, share } of csat.worstReasons) {
      console.log(`  ${reason.padEnd(12)} ${String(count).padStart(5)}  ${percent(share)}`);
    }
  } finally {
    await store.close();
  }
}

function printTable(title: string, rows: Record<string, CsatFigures>): void {
  console.log(title);
  console.log(
    `  ${'group'.padEnd(12)} ${'sent'.padStart(5)} ${'rated'.padStart(5)} ${'resp.'.padStart(6)} ${'avg'.padStart(5)} ${'CSAT'.padStart(6)}  distribution 1..5`,
  );
  for (const [group, figures] of Object.entries(rows)) {
    const distribution = [1, 2, 3, 4, 5].map((rating) => figures.distribution[rating] ?? 0).join(' ');
    console.log(
      `  ${group.padEnd(12)} ${String(figures.sent).padStart(5)} ${String(figures.answered).padStart(5)} ${percent(figures.responseRate).padStart(6)} ${(figures.average?.toFixed(2) ?? '—').padStart(5)} ${percent(figures.satisfied).padStart(6)}  ${distribution}`,
    );
  }
  console.log('');
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
