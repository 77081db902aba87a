import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { shippedCampaigns } from '../../lib/campaigns/campaign';
import { DAY } from '../../lib/clock';
import { createNotifyDispatcher, notifyQueueWriter } from '../../lib/dispatcher/compose';
import type { AudienceSettings } from '../../lib/dispatcher/decide';
import { planCampaigns } from '../../lib/dispatcher/plan';
import { createLogger } from '../../lib/log/logger';
import { EmbeddedQueue } from '../../lib/queue/embedded';
import { deliverBatch } from '../../lib/queue/trigger';
import { SqliteStore } from '../../lib/storage/sqlite/store';
import { VkClient } from '../../lib/vk/client';
import { TokenBucket } from '../../lib/vk/rate-limiter';
import { SharedRateGate } from '../../lib/vk/shared-rate-gate';
import { VkSandbox } from '../sandbox/vk-sandbox';

/**
 * `npm run bench:notify`: the notify-dispatcher's two targets, each with a baseline from the same run.
 *
 * 1. Planning 1 000 000 consenting users on the embedded store (a SQLite file) in under 60 s with
 *    peak memory under 256 MB. The plan runs in a child process so its peak RSS is its own
 *    (`process.resourceUsage().maxRSS`); baseline: the same child only streaming the users.
 * 2. Sending at ≥ 90 % of the configured VK rate limit against the sandbox enforcing it, while
 *    10 % of calls fail with 6, 10 or HTTP 500, with no duplicate and no lost notification. Three
 *    "instances" consume the notify queue, paced by the shared rate gate. Baseline: a bare client
 *    calling as fast as its own token bucket allows, without faults.
 */
const USERS = Number(process.env.BENCH_NOTIFY_USERS ?? 1_000_000);
const RATE = Number(process.env.BENCH_NOTIFY_RATE ?? 20);
const SEND_USERS = Number(process.env.BENCH_NOTIFY_SEND_USERS ?? 50_000);
const NOW = Date.UTC(2026, 10, 18, 9, 0);
const settings: AudienceSettings = {
  dailyCap: 1,
  timezone: 'Europe/Moscow',
  defaultQuietHours: { from: '22:00', to: '09:00' },
};

async function main(): Promise<void> {
  const mode = process.argv[2];
  if (mode === '--child') return child(process.argv[3]!, process.argv[4] as 'plan' | 'scan');
  const dir = mkdtempSync(join(tmpdir(), 'bench-notify-'));
  try {
    await planBench(join(dir, 'plan.sqlite'));
    await sendBench(join(dir, 'send.sqlite'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** 1M consenting users; 30 % started the quiz 2 days ago (a tenth of them finished), 20 % lapsed. */
function seed(file: string, users: number, startId: number): void {
  const store = new SqliteStore(file);
  const db = store.db;
  const insertUser = db.prepare(
    `INSERT INTO users (user_id, language, messages_allowed, notifications_allowed, notification_types, quiet_hours,
      first_name, created_at, updated_at) VALUES (?, ?, NULL, 1, ?, NULL, ?, ?, ?)`,
  );
  const insertEvent = db.prepare(
    'INSERT INTO events (user_id, occurred_at, event_id, name, screen, props) VALUES (?, ?, ?, ?, NULL, ?)',
  );
  const types = JSON.stringify({ ticketUpdates: true, reminders: true, news: true });
  const names = ['Анна', 'Иван', 'Мария', 'Сергей', 'Ольга', 'Дмитрий', 'Елена', 'Алексей', null];
  const chunk = 50_000;
  for (let base = 0; base < users; base += chunk) {
    db.transaction(() => {
      for (let index = base; index < Math.min(users, base + chunk); index++) {
        const userId = startId + index;
        insertUser.run(userId, index % 10 === 0 ? 'en' : 'ru', types, names[index % names.length], 0, 0);
        const bucket = index % 10;
        if (bucket < 3) {
          insertEvent.run(userId, NOW - 2 * DAY, `s${userId}`, 'quiz_start', '{}');
          if (index % 30 === 0) insertEvent.run(userId, NOW - DAY, `f${userId}`, 'quiz_finish', '{}');
        } else if (bucket < 5) {
          insertEvent.run(userId, NOW - 5 * DAY, `o${userId}`, 'app_open', '{}');
        } else {
          insertEvent.run(userId, NOW - DAY / 2, `o${userId}`, 'app_open', '{}');
        }
      }
    })();
  }
  db.close();
}

async function planBench(file: string): Promise<void> {
  const seededAt = performance.now();
  seed(file, USERS, 1);
  console.log(
    `seeded ${USERS.toLocaleString('en')} users in ${((performance.now() - seededAt) / 1000).toFixed(1)} s`,
  );
  const run = (what: 'plan' | 'scan') =>
    JSON.parse(
      execFileSync(process.execPath, [...process.execArgv, process.argv[1]!, '--child', file, what], {
        encoding: 'utf8',
        maxBuffer: 1 << 20,
      }),
    ) as {
      seconds: number;
      peakRssMb: number;
      users: number;
      batches: number;
      planned: Record<string, unknown>;
    };
  const scan = run('scan');
  const plan = run('plan');
  console.log('');
  console.log(
    `plan ${plan.users.toLocaleString('en')} consenting users (embedded store, real run: rows + queue)`,
  );
  console.log(
    `  time        ${plan.seconds.toFixed(1)} s   (limit 60 s)   ${plan.seconds < 60 ? 'OK' : 'OVER'}`,
  );
  console.log(
    `  peak RSS    ${plan.peakRssMb.toFixed(0)} MB  (limit 256 MB) ${plan.peakRssMb < 256 ? 'OK' : 'OVER'}`,
  );
  console.log(
    `  baseline    streaming the same users only: ${scan.seconds.toFixed(1)} s, ${scan.peakRssMb.toFixed(0)} MB; ` +
      `plan/scan ${(plan.seconds / scan.seconds).toFixed(1)}× time, ${(plan.peakRssMb / scan.peakRssMb).toFixed(2)}× memory`,
  );
  console.log(`  ${plan.batches} batches queued; planned ${JSON.stringify(plan.planned)}`);
}

async function child(file: string, what: 'plan' | 'scan'): Promise<void> {
  const store = new SqliteStore(file);
  const started = performance.now();
  let users = 0;
  let batches = 0;
  let planned: Record<string, unknown> = {};
  if (what === 'scan') {
    let after = 0;
    for (;;) {
      const page = await store.read((r) => r.users.listNotifiable({ afterUserId: after, limit: 1000 }));
      if (page.length === 0) break;
      users += page.length;
      after = page[page.length - 1]!.userId;
    }
  } else {
    const queue = new EmbeddedQueue(store);
    const report = await planCampaigns(
      {
        store,
        clock: { now: () => NOW },
        settings,
        enqueue: notifyQueueWriter(queue),
      },
      { campaigns: shippedCampaigns(), dryRun: false },
    );
    users = report.users;
    batches = report.batches;
    planned = report.planned;
  }
  const seconds = (performance.now() - started) / 1000;
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  await store.close();
  process.stdout.write(JSON.stringify({ seconds, peakRssMb, users, batches, planned }));
}

async function sendBench(file: string): Promise<void> {
  const faults = { rate: 0.1, errors: [6, 10, 'http500'] as Array<6 | 10 | 'http500'> };
  const sandbox = await new VkSandbox({
    groupId: 1,
    callbackSecret: 's',
    rateLimitPerSecond: RATE,
    echoReplies: false,
  }).start();
  const logger = createLogger({ level: 'error' });
  const options = { apiUrl: sandbox.apiUrl, version: '5.199', token: 'service', timeoutMs: 5000 };

  // Baseline: a bare client at the limit, no faults, for 5 s.
  const bare = new VkClient({ ...options, rateLimitPerSecond: RATE, bucket: new TokenBucket(RATE) });
  const bareStart = performance.now();
  let bareCalls = 0;
  while (performance.now() - bareStart < 5000) {
    await bare.sendNotification({
      userIds: [900_000_000 + bareCalls],
      text: `b${bareCalls}`,
      sendKey: `b${bareCalls}`,
    });
    bareCalls++;
  }
  const bareRate = bareCalls / ((performance.now() - bareStart) / 1000);
  sandbox.reset();
  sandbox.rateLimited = 0;

  seed(file, SEND_USERS, 1);
  const store = new SqliteStore(file);
  // Real time running from the bench's Wednesday noon (Moscow), so the seeded history fits the rules.
  const shift = NOW - Date.now();
  const clock = {
    offset: 0,
    now() {
      return Date.now() + shift + this.offset;
    },
    advance(milliseconds: number) {
      this.offset += milliseconds;
    },
  };
  const queue = new EmbeddedQueue(store, { clock });
  await planCampaigns(
    {
      store,
      clock,
      settings,
      enqueue: notifyQueueWriter(queue),
    },
    { campaigns: shippedCampaigns(), dryRun: false },
  );
  const expected = new Set<number>();
  const plannedRows = store.db
    .prepare("SELECT user_id FROM campaign_deliveries WHERE status = 'planned'")
    .all() as Array<{ user_id: number }>;
  for (const row of plannedRows) expected.add(row.user_id);

  sandbox.options.randomFaults = faults;
  const instances = [1, 2, 3].map((instance) =>
    createNotifyDispatcher({
      store,
      queue,
      clock,
      logger,
      appVk: new VkClient({
        ...options,
        rateLimitPerSecond: RATE,
        bucket: new SharedRateGate(store, 'vk-service-token', RATE),
        logger: logger.child({ instance }),
      }),
      settings,
      campaigns: shippedCampaigns(),
    }),
  );
  const started = performance.now();
  let idle = 0;
  await Promise.all(
    instances.map(async (dispatcher) => {
      while (idle < 3) {
        const { delivered } = await deliverBatch(
          queue,
          'notify',
          async (event) => {
            for (const message of event.messages)
              await dispatcher.handleMessage(message.details.message.body);
          },
          { batchSize: 1, visibilityTimeoutSeconds: 30 },
        );
        if (delivered > 0) {
          idle = 0;
          continue;
        }
        const depth = await queue.depth('notify');
        if (depth.visible + depth.inFlight + depth.delayed === 0) idle++;
        else if (depth.visible === 0) clock.advance(1000); // a batch waiting out its delay or visibility
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const calls = sandbox.calls.filter((call) => call.method === 'notifications.sendMessage');
  const admitted = calls.length - sandbox.rateLimited;
  const failed =
    calls.filter((call) => call.outcome !== 'ok' && call.outcome !== 'duplicate').length -
    sandbox.rateLimited;
  const received = new Map<number, number>();
  for (const notification of sandbox.notifications)
    for (const userId of notification.userIds) received.set(userId, (received.get(userId) ?? 0) + 1);
  const duplicates = [...received.values()].filter((count) => count > 1).length;
  const lost = [...expected].filter((userId) => !received.has(userId)).length;
  const rate = admitted / seconds;
  console.log('');
  console.log(
    `send ${expected.size.toLocaleString('en')} planned notifications, rate limit ${RATE}/s, 10 % of calls failing (6, 10, HTTP 500), 3 instances`,
  );
  console.log(
    `  calls       ${admitted} admitted in ${seconds.toFixed(1)} s (${failed} failed by injection, ${sandbox.rateLimited} refused by the limit)`,
  );
  console.log(
    `  rate        ${rate.toFixed(2)} calls/s = ${((rate / RATE) * 100).toFixed(1)} % of the limit (target ≥ 90 %)   ${rate / RATE >= 0.9 ? 'OK' : 'UNDER'}`,
  );
  console.log(
    `  baseline    a bare client at the limit, no faults: ${bareRate.toFixed(2)} calls/s; dispatcher/bare ${(rate / bareRate).toFixed(2)}×`,
  );
  console.log(`  goodput     ${(received.size / seconds).toFixed(0)} users/s`);
  console.log(`  duplicates  ${duplicates} (target 0)   ${duplicates === 0 ? 'OK' : 'FAIL'}`);
  console.log(`  lost        ${lost} (target 0)   ${lost === 0 ? 'OK' : 'FAIL'}`);
  await store.close();
  await sandbox.stop();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
