import { rmSync } from 'node:fs';
import { dayOf, markActive } from '../../lib/analytics/activity';
import { handleApiRequest } from '../../lib/api/routes';
import { DAY, HOUR, MINUTE } from '../../lib/clock';
import type { HttpRequest } from '../../lib/http/http';
import type { ActivityRecord, EventRecord, Repositories, Store, TicketRecord } from '../../lib/storage/port';
import { benchLaunchParams, inProcessApi } from './in-process-api';

/**
 * `npm run bench:analytics`: the relationship analytics at scale, on the local stack's engines (a
 * SQLite file in WAL mode) through the real handler in-process.
 *
 * 1. Seeds 100 000 users with 2 000 000 events over 120 days (their daily activity records built
 *    from those events, as `POST /api/events` keeps them), 50 000 tickets over 90 days with first
 *    responses and resolutions, and 20 000 NPS answers; then times each metrics endpoint over a
 *    90-day range (goal ≤ 1 s on SQLite), best and median of 5.
 * 2. The write cost of the activity record on `POST /api/events`: 20 000 requests of one event, as
 *    a day's traffic (10 batches per user, the first writes the record) and in the worst case (every
 *    batch a user's first of the day), against a baseline measured in the same run: the same handler
 *    with the activity repository a no-op (what the endpoint cost before it). Goal ≤ 10 % over the
 *    baseline. Rounds alternate to even out warm-up; CPU time and wall time per request.
 *
 * `BENCH_ANALYTICS_USERS`, `BENCH_ANALYTICS_EVENTS`, `BENCH_ANALYTICS_TICKETS` change the sizes.
 */
const USERS = Number(process.env.BENCH_ANALYTICS_USERS ?? 100_000);
const EVENTS = Number(process.env.BENCH_ANALYTICS_EVENTS ?? 2_000_000);
const TICKETS = Number(process.env.BENCH_ANALYTICS_TICKETS ?? 50_000);
const NPS_ANSWERS = Math.min(USERS, 20_000);
const WRITE_REQUESTS = 20_000;
const TIMEZONE = 'Europe/Moscow';
const ADMIN_TOKEN = 'bench-admin-token-0123456789';

/** A small deterministic generator: the same data on every run. */
function random(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

async function seed(store: Store, now: number) {
  const next = random(21);
  const today = dayOf(now, TIMEZONE);
  const eventsPerUser = EVENTS / USERS;
  const records: ActivityRecord[] = [];
  let events: EventRecord[] = [];
  const flush = async () => {
    const batch = events;
    events = [];
    await store.transaction((r) => r.events.append(batch).then(() => undefined));
  };
  for (let user = 0; user < USERS; user++) {
    const userId = 20_000_000 + user;
    // First seen within the last 120 days; active on a few days after, fewer as time goes on.
    const first = now - Math.floor(next() * 120) * DAY;
    const times: number[] = [];
    for (let i = 0; i < eventsPerUser; i++) {
      const later = Math.floor(-Math.log(1 - next() * 0.999) * 12) * DAY + Math.floor(next() * 12) * HOUR;
      times.push(Math.min(now - MINUTE, first + (i === 0 ? 0 : later)));
    }
    for (const [index, occurredAt] of times.entries())
      events.push({
        userId,
        eventId: `b-${index}`,
        name: 'screen_view',
        occurredAt,
        screen: 'home',
        props: {},
      });
    const record = markActive(
      null,
      userId,
      times.map((time) => dayOf(time, TIMEZONE)),
      now,
    );
    if (record) records.push(record);
    if (events.length >= 50_000) await flush();
  }
  await flush();
  for (let start = 0; start < records.length; start += 10_000)
    await store.transaction(async (r) => {
      for (const record of records.slice(start, start + 10_000)) await r.activity.put(record);
    });

  const categories = ['bug', 'payment', 'account', 'question', 'other'];
  const screens = ['home', 'quiz', 'profile', 'payment', 'settings'];
  const statuses = ['resolved', 'closed', 'in_progress', 'waiting_for_user', 'new'] as const;
  for (let start = 0; start < TICKETS; start += 5000)
    await store.transaction(async (r: Repositories) => {
      for (let i = start; i < Math.min(TICKETS, start + 5000); i++) {
        const createdAt = now - Math.floor(next() * 90 * DAY);
        const status = statuses[Math.floor(next() * statuses.length)]!;
        const respondedAt = status === 'new' ? null : createdAt + Math.floor(next() * 3 * HOUR);
        const resolvedAt =
          status === 'resolved' || status === 'closed' ? createdAt + Math.floor(next() * 2 * DAY) : null;
        const ticket: TicketRecord = {
          ticketId: `bench-ticket-${i}`,
          number: `B-${100_000 + i}`,
          userId: 20_000_000 + Math.floor(next() * USERS),
          channel: next() < 0.5 ? 'app' : 'chat',
          category: categories[i % categories.length]!,
          subject: 'Не проходит оплата',
          status,
          assigneeId: respondedAt ? 1 + (i % 5) : null,
          details: {
            screen: screens[i % screens.length]!,
            priority: 'normal',
            sla: {
              firstResponseDueAt: createdAt + HOUR,
              resolutionDueAt: createdAt + DAY,
              firstRespondedAt: respondedAt,
              waitingSince: null,
              breachedAt: {},
            },
            ...(resolvedAt ? { resolvedAt } : {}),
          },
          createdAt,
          updatedAt: resolvedAt ?? respondedAt ?? createdAt,
        };
        await r.tickets.create(ticket);
      }
    });
  await store.transaction(async (r) => {
    for (let i = 0; i < NPS_ANSWERS; i++)
      await r.nps.put({
        userId: 20_000_000 + i * Math.floor(USERS / NPS_ANSWERS),
        respondedAt: now - Math.floor(next() * 90 * DAY),
        score: Math.min(10, Math.floor(next() * 11.5)),
        comment: null,
        source: next() < 0.5 ? 'app' : 'bot',
      });
  });
  return { today };
}

function get(path: string): HttpRequest {
  const [pathname, query = ''] = path.split('?');
  return {
    method: 'GET',
    path: pathname!,
    // The export is gzipped for a client that takes it, as a browser does: 50 000 tickets pass the
    // 3.5 MB a function may answer in plain text.
    headers: { 'x-operator-token': ADMIN_TOKEN, 'accept-encoding': 'gzip' },
    query: Object.fromEntries(new URLSearchParams(query)),
    body: '',
    requestId: 'bench',
  };
}

async function timeEndpoints() {
  const { dir, store, deps } = inProcessApi('analytics');
  const api = {
    ...deps,
    settings: {
      ...deps.settings,
      operators: [{ operatorId: 1, role: 'admin' as const, token: ADMIN_TOKEN }],
    },
  };
  const now = deps.clock.now();
  const seeding = Date.now();
  await seed(store, now);
  console.log(
    `seeded ${USERS.toLocaleString('en')} users, ${EVENTS.toLocaleString('en')} events, ${TICKETS.toLocaleString('en')} tickets, ${NPS_ANSWERS.toLocaleString('en')} NPS answers in ${((Date.now() - seeding) / 1000).toFixed(1)} s`,
  );
  const to = new Date(now + 3 * HOUR).toISOString().slice(0, 10);
  const from = new Date(now + 3 * HOUR - 89 * DAY).toISOString().slice(0, 10);
  const endpoints = [
    `/api/ops/metrics/retention?from=${from}&to=${to}`,
    `/api/ops/metrics/nps?from=${from}&to=${to}`,
    `/api/ops/metrics/support?from=${from}&to=${to}`,
    `/api/ops/export/tickets.csv?from=${from}&to=${to}`,
  ];
  for (const path of endpoints) {
    const times: number[] = [];
    let status = 0;
    let bytes = 0;
    for (let round = 0; round < 5; round++) {
      const started = process.hrtime.bigint();
      const answer = await handleApiRequest(get(path), api);
      times.push(Number(process.hrtime.bigint() - started) / 1e6);
      status = answer.statusCode;
      bytes = (answer.body ?? '').length;
    }
    times.sort((a, b) => a - b);
    const best = times[0]!;
    const median = times[2]!;
    const name = path.split('?')[0];
    if (status !== 200) {
      console.log(`${name} (90 days): answered ${status}; not measured`);
      continue;
    }
    console.log(
      `${name} (90 days): best ${best.toFixed(0)} ms, median ${median.toFixed(0)} ms, ${(bytes / 1024).toFixed(0)} KiB  goal ≤ 1 000 ms: ${median <= 1000 ? 'ok' : 'OVER'}`,
    );
  }
  store.close();
  rmSync(dir, { recursive: true, force: true });
}

/** The activity repository doing nothing: `POST /api/events` as it was before the record. */
function withoutActivity(store: Store): Store {
  const activity = {
    get: async () => null,
    put: async () => {},
    listActiveSince: async () => [],
    deleteByUser: async () => {},
  };
  return {
    transaction: (work, options) => store.transaction((r) => work({ ...r, activity }), options),
    read: (work, options) => store.read((r) => work({ ...r, activity }), options),
    ping: (options) => store.ping(options),
    close: () => store.close(),
  };
}

/**
 * One round of `WRITE_REQUESTS` requests, `perUser` batches per user (the first of a user's day
 * writes the record, the rest only read it). Wall time and the process's CPU time per request: the
 * SQLite work runs in this process, so CPU time shows the cost with less of the machine's other load.
 */
async function writeRound(withRecord: boolean, perUser: number, round: number) {
  const {
    dir,
    store,
    deps: api,
  } = inProcessApi(`analytics-write-${round}`, withRecord ? {} : { wrapStore: withoutActivity });
  const now = api.clock.now();
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  for (let i = 0; i < WRITE_REQUESTS; i++) {
    const answer = await handleApiRequest(
      {
        method: 'POST',
        path: '/api/events',
        headers: {
          'content-type': 'application/json',
          'x-vk-launch-params': benchLaunchParams(30_000_000 + Math.floor(i / perUser)),
        },
        query: {},
        body: JSON.stringify({
          events: [{ id: `w-${i}`, name: 'screen_view', at: new Date(now).toISOString() }],
        }),
        requestId: 'bench',
      },
      api,
    );
    if (answer.statusCode !== 202) throw new Error(`POST /api/events answered ${answer.statusCode}`);
  }
  const wall = Number(process.hrtime.bigint() - started) / 1e3 / WRITE_REQUESTS;
  const used = process.cpuUsage(cpu);
  const cpuMicros = (used.user + used.system) / WRITE_REQUESTS;
  const records = (store.db.prepare('SELECT count(*) AS n FROM user_activity').get() as { n: number }).n;
  store.close();
  rmSync(dir, { recursive: true, force: true });
  return { wall, cpu: cpuMicros, records };
}

async function writeCost(perUser: number, label: string) {
  const baseline = { wall: [] as number[], cpu: [] as number[] };
  const recorded = { wall: [] as number[], cpu: [] as number[] };
  let records = 0;
  for (let round = 0; round < 5; round++) {
    // Alternating, so warm-up and the machine's other load fall on both alike.
    const base = await writeRound(false, perUser, round);
    const run = await writeRound(true, perUser, round);
    baseline.wall.push(base.wall);
    baseline.cpu.push(base.cpu);
    recorded.wall.push(run.wall);
    recorded.cpu.push(run.cpu);
    records = run.records;
  }
  const best = (values: number[]) => Math.min(...values);
  const over = (measure: 'wall' | 'cpu') => (best(recorded[measure]) / best(baseline[measure]) - 1) * 100;
  const sign = (value: number) => `${value >= 0 ? '+' : ''}${value.toFixed(1)} %`;
  console.log(
    `POST /api/events, ${label} (${WRITE_REQUESTS.toLocaleString('en')} requests, ${records.toLocaleString('en')} records written), best of 5: ` +
      `CPU ${best(baseline.cpu).toFixed(0)} → ${best(recorded.cpu).toFixed(0)} µs/request (${sign(over('cpu'))}), ` +
      `wall ${best(baseline.wall).toFixed(0)} → ${best(recorded.wall).toFixed(0)} µs/request (${sign(over('wall'))})  goal ≤ +10 %: ${over('cpu') <= 10 ? 'ok' : 'OVER'}`,
  );
}

async function main() {
  console.log('baseline: the same handler with the activity repository a no-op (before the record)');
  await writeCost(10, '10 batches per user a day, the first writes');
  await writeCost(1, "every batch a user's first of the day (worst case)");
  await timeEndpoints();
  console.log(`peak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
