import { campaignOverview } from '../lib/campaigns/overview';
import { DAY } from '../lib/clock';
import { loadConfig } from '../lib/config/schema';
import { campaignResults } from '../lib/dispatcher/report';
import { shippedJourneys } from '../lib/journeys/definition';
import { journeyResults } from '../lib/journeys/results';
import { utcDay } from '../lib/notifications/daily-cap';
import { dateOptions, openStore, percent, scriptClock } from './lib/open-store';

/**
 * `npm run notify:report -- [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--json]`: per campaign and
 * variant, for plans made in the range (UTC days, default the last 14): assigned, sent, delivered,
 * opened (CTR), returned within 7 days (the notification's own open and launch excluded) with its
 * uplift over the control group, and goal conversions with their uplift and Newcombe 95 % interval
 * — what `GET /api/ops/stats` reports as `campaigns`. First the shipped campaigns and journeys with
 * their kind, channel and state: `GET /api/ops/campaigns`; each campaign's rows are
 * `GET /api/ops/campaigns/{id}/results`. Then each journey per group (treated `a`, `control`) for runs
 * started in the range: started, reached, goal conversions with the uplift and its interval, and
 * outcomes per step (lib/journeys/results.ts).
 */
async function main(): Promise<void> {
  const values = dateOptions();
  const { local } = loadConfig(process.env, ['local']);
  const toDay = values.to ?? utcDay(scriptClock(local.DATA_DIR).now());
  const fromDay = values.from ?? utcDay(Date.parse(`${toDay}T00:00:00Z`) - 13 * DAY);
  if (fromDay > toDay) throw new Error('--from must not be after --to');
  const store = await openStore(local.DATA_DIR);
  try {
    const results = await store.read((r) => campaignResults(r, { fromDay, toDay }));
    const journeys = await store.read((r) =>
      Promise.all(shippedJourneys().map((journey) => journeyResults(r, journey, { fromDay, toDay }))),
    );
    const listed = campaignOverview();
    if (values.json) {
      console.log(JSON.stringify({ list: listed, ...results, journeys }, null, 2));
      return;
    }
    console.log('Campaigns and journeys (content/campaigns.json):');
    for (const campaign of listed)
      console.log(
        `  ${campaign.id.padEnd(22)} ${campaign.kind.padEnd(8)} ${campaign.channel.padEnd(13)} ${campaign.state}`,
      );
    console.log('');
    console.log(
      `Campaign results for plans of ${fromDay} … ${toDay} (UTC); returned = came back within 7 days, own click excluded; goal uplift with 95 % interval (Newcombe)`,
    );
    console.log('');
    console.log(
      `  ${'campaign'.padEnd(22)} ${'variant'.padEnd(8)} ${'assigned'.padStart(8)} ${'sent'.padStart(7)} ${'deliv.'.padStart(7)} ${'opened'.padStart(7)} ${'CTR'.padStart(6)} ${'return'.padStart(7)} ${'uplift'.padStart(7)} ${'goal'.padStart(6)} ${'goal uplift [95 %]'.padStart(24)}`,
    );
    for (const { campaign, goal, variants } of results.campaigns) {
      if (goal) console.log(`  ${campaign}: goal ${goal.event} within ${goal.withinHours} h`);
      for (const v of variants) {
        console.log(
          `  ${campaign.padEnd(22)} ${v.variant.padEnd(8)} ${String(v.assigned).padStart(8)} ${String(v.sent).padStart(7)} ${String(v.delivered).padStart(7)} ${String(v.opened).padStart(7)} ${percent(v.ctr).padStart(6)} ${percent(v.returnRate).padStart(7)} ${(v.upliftPoints === null ? '—' : `${v.upliftPoints > 0 ? '+' : ''}${v.upliftPoints}pp`).padStart(7)} ${percent(v.conversionRate).padStart(6)} ${(v.uplift === null ? '—' : `${v.uplift.points > 0 ? '+' : ''}${v.uplift.points}pp [${v.uplift.low}, ${v.uplift.high}]`).padStart(24)}`,
        );
      }
    }
    if (results.campaigns.length === 0) console.log('  (no campaign plans in the range)');
    console.log('');
    console.log(
      `Journey results for runs started ${fromDay} … ${toDay} (UTC); reached = a step sent; goal uplift over control with 95 % interval (Newcombe)`,
    );
    console.log('');
    console.log(
      `  ${'journey'.padEnd(22)} ${'group'.padEnd(8)} ${'started'.padStart(8)} ${'reached'.padStart(8)} ${'goal'.padStart(6)} ${'rate'.padStart(6)} ${'goal uplift [95 %]'.padStart(24)}  steps (sent/capped/skipped/exited/failed/control)`,
    );
    for (const { journey, goal, variants } of journeys) {
      console.log(`  ${journey}: ${goal ? `goal ${goal.event} within ${goal.withinHours} h` : 'no goal'}`);
      for (const v of variants) {
        const steps = v.steps
          .map((s) => `#${s.step} ${s.sent}/${s.capped}/${s.skipped}/${s.exited}/${s.failed}/${s.control}`)
          .join(' ');
        console.log(
          `  ${journey.padEnd(22)} ${v.variant.padEnd(8)} ${String(v.assigned).padStart(8)} ${String(v.reached).padStart(8)} ${String(v.conversions).padStart(6)} ${percent(v.conversionRate).padStart(6)} ${(v.uplift === null ? '—' : `${v.uplift.points > 0 ? '+' : ''}${v.uplift.points}pp [${v.uplift.low}, ${v.uplift.high}]`).padStart(24)}  ${steps}`,
        );
      }
      if (variants.length === 0) console.log('  (no runs started in the range)');
    }
  } finally {
    await store.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
