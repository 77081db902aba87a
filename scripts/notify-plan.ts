import { parseArgs } from 'node:util';
import { shippedCampaigns } from '../lib/campaigns/campaign';
import { loadConfig } from '../lib/config/schema';
import { audienceSettingsFrom, notifyQueueWriter } from '../lib/dispatcher/compose';
import { runDailyDispatch } from '../lib/dispatcher/daily-run';
import { type PlanReport, planCampaigns } from '../lib/dispatcher/plan';
import { createLogger } from '../lib/log/logger';
import { EmbeddedQueue } from '../lib/queue/embedded';
import { YandexMessageQueue } from '../lib/queue/message-queue';
import type { MessageQueue } from '../lib/queue/port';
import { SqliteStore } from '../lib/storage/sqlite/store';
import { openStore, scriptClock } from './lib/open-store';

/**
 * `npm run notify:plan -- --dry-run [--campaign <id>]`: how many users each campaign and variant
 * would notify today (and why the others get nothing), without writing or sending anything.
 *
 * Without `--dry-run` it is ops' manual run: today's plan (or one campaign's, with its own claim)
 * goes to the notify queue, whose trigger sends it within the usual limits. On YDB it needs the
 * queue's variables (YMQ_*); on the local file, the running `npm start` sends it.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'dry-run': { type: 'boolean', default: false },
      campaign: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const chosen = values.campaign
    ? shippedCampaigns().filter((campaign) => campaign.id === values.campaign)
    : shippedCampaigns();
  if (chosen.length === 0)
    throw new Error(
      `No campaign ${values.campaign}; known: ${shippedCampaigns()
        .map((c) => c.id)
        .join(', ')}`,
    );
  const environment = { VK_APP_ID: '1', VK_APP_SECRET: '-', VK_SERVICE_TOKEN: '-', ...process.env };
  const config = loadConfig(environment, ['miniApp', 'runtime', 'local']);
  const settings = audienceSettingsFrom(config);
  const store = await openStore(config.local.DATA_DIR);
  try {
    let report: PlanReport | undefined;
    if (values['dry-run']) {
      report = await planCampaigns(
        { store, clock: scriptClock(config.local.DATA_DIR), settings },
        { campaigns: chosen, dryRun: true },
      );
    } else {
      // Planning never calls VK: the notify queue's trigger sends what this queues.
      const result = await runDailyDispatch({
        store,
        clock: scriptClock(config.local.DATA_DIR),
        logger: createLogger({ level: 'info', fields: { fn: 'notify-plan' } }),
        campaigns: shippedCampaigns(),
        settings,
        enqueue: notifyQueueWriter(queueFor(store)),
        ...(values.campaign ? { campaign: values.campaign } : {}),
      });
      if (!result.started) {
        console.log(
          `Nothing to do: the run for ${result.day}${values.campaign ? ` (${values.campaign})` : ''} already ran or is running.`,
        );
        return;
      }
      report = result.report;
    }
    if (!report) return;
    if (values.json) {
      console.log(JSON.stringify(report, null, 2));
      return;
    }
    printReport(report, values['dry-run']);
  } finally {
    await store.close();
  }
}

function queueFor(store: Awaited<ReturnType<typeof openStore>>): MessageQueue {
  if (store instanceof SqliteStore) return new EmbeddedQueue(store);
  const { queue } = loadConfig(process.env, ['queue']);
  return new YandexMessageQueue({
    endpoint: queue.YMQ_ENDPOINT,
    region: queue.YMQ_REGION,
    accessKeyId: queue.YMQ_ACCESS_KEY_ID,
    secretAccessKey: queue.YMQ_SECRET_ACCESS_KEY,
    queueUrls: { notify: queue.YMQ_NOTIFY_QUEUE_URL },
  });
}

function printReport(report: PlanReport, dryRun: boolean): void {
  console.log(
    `${dryRun ? 'Dry run' : 'Planned'} for ${report.day} (UTC): ${report.users} consenting users looked at`,
  );
  console.log('');
  console.log(`  ${'campaign'.padEnd(24)} ${'variant'.padEnd(10)} ${'users'.padStart(8)}`);
  for (const [campaign, variants] of Object.entries(report.planned)) {
    const entries = Object.entries(variants);
    if (entries.length === 0) console.log(`  ${campaign.padEnd(24)} ${'—'.padEnd(10)} ${'0'.padStart(8)}`);
    for (const [variant, count] of entries.sort())
      console.log(
        `  ${campaign.padEnd(24)} ${variant.padEnd(10)} ${String(count).padStart(8)}${variant === 'control' ? '  (held out, not sent)' : ''}`,
      );
  }
  console.log('');
  console.log('  nothing today, by reason:');
  for (const [reason, count] of Object.entries(report.skipped).sort((a, b) => b[1] - a[1]))
    console.log(`  ${reason.padEnd(35)} ${String(count).padStart(8)}`);
  if (!dryRun) console.log(`\n${report.batches} batches queued for sending.`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
