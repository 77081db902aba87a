import { DAY } from '../lib/clock';
import { loadConfig } from '../lib/config/schema';
import { campaignResults } from '../lib/dispatcher/report';
import { utcDay } from '../lib/notifications/daily-cap';
import { dateOptions, openStore, percent } from './lib/open-store';

/**
 * `npm run notify:report -- [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--json]`: per campaign and
 * variant, for plans made in the range (UTC days, default the last 14): assigned, sent, delivered,
 * opened (CTR), returned within 7 days, and the uplift over the control group — what
 * `GET /api/ops/stats` reports as `campaigns`.
 */
async function main(): Promise<void> {
  const values = dateOptions();
  const toDay = values.to ?? utcDay(Date.now());
  const fromDay = values.from ?? utcDay(Date.parse(`${toDay}T00:00:00Z`) - 13 * DAY);
  if (fromDay > toDay) throw new Error('--from must not be after --to');
  const { local } = loadConfig(process.env, ['local']);
  const store = await openStore(local.DATA_DIR);
  try {
    const results = await store.read((r) => campaignResults(r, { fromDay, toDay }));
    if (values.json) {
      console.log(JSON.stringify(results, null, 2));
      return;
    }
    console.log(
      `Campaign results for plans of ${fromDay} … ${toDay} (UTC); returned = any event within 7 days`,
    );
    console.log('');
    console.log(
      `  ${'campaign'.padEnd(22)} ${'variant'.padEnd(8)} ${'assigned'.padStart(8)} ${'sent'.padStart(7)} ${'deliv.'.padStart(7)} ${'opened'.padStart(7)} ${'CTR'.padStart(6)} ${'return'.padStart(7)} ${'uplift'.padStart(7)}`,
    );
    for (const { campaign, variants } of results.campaigns) {
      for (const v of variants) {
        console.log(
          `  ${campaign.padEnd(22)} ${v.variant.padEnd(8)} ${String(v.assigned).padStart(8)} ${String(v.sent).padStart(7)} ${String(v.delivered).padStart(7)} ${String(v.opened).padStart(7)} ${percent(v.ctr).padStart(6)} ${percent(v.returnRate).padStart(7)} ${(v.upliftPoints === null ? '—' : `${v.upliftPoints > 0 ? '+' : ''}${v.upliftPoints}pp`).padStart(7)}`,
        );
      }
    }
    if (results.campaigns.length === 0) console.log('  (no campaign plans in the range)');
  } finally {
    await store.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
