import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { signLaunchParams, verifyLaunchParams } from '../../lib/api/launch-params';
import { handleApiRequest } from '../../lib/api/routes';
import type { HttpRequest } from '../../lib/http/http';
import { BENCH_APP_ID, BENCH_APP_SECRET, inProcessApi } from './in-process-api';

/**
 * The ticket-api on the local stack's engines (SQLite file in WAL mode, embedded queue), through
 * the real request handler, in-process (no sockets: the figures are the handler's own cost).
 * Baseline: GET /api/ping through the same handler, measured in the same run.
 * Targets (issue 19): create p99 ≤ 10 ms; "My tickets" p99 ≤ 5 ms with 100 000 tickets stored; signature
 * verification < 0.05 ms.
 */
const APP_SECRET = BENCH_APP_SECRET;
const APP_ID = BENCH_APP_ID;
const SEEDED = 100_000;

const { dir, store, deps } = inProcessApi('api');
const launchParams = (userId: number) =>
  signLaunchParams(
    {
      vk_user_id: String(userId),
      vk_app_id: String(APP_ID),
      vk_ts: String(Math.floor(Date.now() / 1000)),
      vk_language: 'ru',
    },
    APP_SECRET,
  );
const request = (
  method: string,
  path: string,
  userId: number | null,
  body?: unknown,
  query: Record<string, string> = {},
): HttpRequest => ({
  method,
  path,
  headers: {
    'content-type': 'application/json',
    ...(userId ? { 'x-vk-launch-params': launchParams(userId) } : {}),
  },
  query,
  body: body === undefined ? '' : JSON.stringify(body),
  requestId: 'bench',
});

function seed(): void {
  // 100 000 tickets of 1 000 users, written straight into the tables (seeding is not what is measured).
  const insert = store.db.prepare(
    `INSERT INTO tickets (ticket_id, number, user_id, channel, category, subject, status, assignee_id, details, created_at, updated_at)
     VALUES (?, ?, ?, 'app', 'bug', 'Seeded', ?, NULL, '{}', ?, ?)`,
  );
  const statuses = ['new', 'in_progress', 'waiting_for_user', 'resolved', 'closed'];
  const start = Date.now() - 90 * 86_400_000;
  store.db.transaction(() => {
    for (let i = 0; i < SEEDED; i++) {
      const at = start + i * 60_000;
      insert.run(randomUUID(), `Z-${i}`, 1_000_000 + (i % 1000), statuses[i % 5], at, at);
    }
  })();
}

async function measure(
  label: string,
  runs: number,
  call: (i: number) => Promise<{ statusCode: number }>,
  expected: number,
) {
  for (let i = 0; i < Math.min(200, runs); i++) await call(-1 - i); // warm-up
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    const result = await call(i);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
    if (result.statusCode !== expected)
      throw new Error(`${label}: status ${result.statusCode}, expected ${expected}`);
  }
  times.sort((a, b) => a - b);
  const at = (p: number) => times[Math.min(times.length - 1, Math.ceil((p / 100) * times.length) - 1)] ?? 0;
  return { label, p50: at(50), p99: at(99), runs };
}

async function main() {
  const seedStart = Date.now();
  seed();
  console.log(
    `seeded ${SEEDED.toLocaleString('en')} tickets in ${Date.now() - seedStart} ms (SQLite file, WAL)\n`,
  );

  const baseline = await measure(
    'GET /api/ping (baseline)',
    3000,
    () => handleApiRequest(request('GET', '/api/ping', null), deps),
    200,
  );
  let creator = 50_000_000;
  const create = await measure(
    'POST /api/tickets',
    2000,
    () =>
      handleApiRequest(
        request('POST', '/api/tickets', ++creator, {
          category: 'bug',
          subject: 'Белый экран',
          description: 'После обновления не открывается профиль',
          screen: 'profile',
          recentEvents: Array.from({ length: 20 }, (_, i) => ({
            name: 'screen_view',
            at: Date.now() - i * 1000,
          })),
        }),
        deps,
      ),
    201,
  );
  const list = await measure(
    'GET /api/tickets (user with 100 of 100 000)',
    3000,
    (i) =>
      handleApiRequest(request('GET', '/api/tickets', 1_000_000 + (Math.abs(i) % 1000), undefined, {}), deps),
    200,
  );

  const raw = launchParams(1001);
  const verifyRuns = 100_000;
  const verifyStart = process.hrtime.bigint();
  for (let i = 0; i < verifyRuns; i++) {
    verifyLaunchParams(raw, { appSecret: APP_SECRET, appId: APP_ID, now: Date.now(), maxAgeSeconds: 86_400 });
  }
  const verifyMs = Number(process.hrtime.bigint() - verifyStart) / 1e6 / verifyRuns;

  const row = (r: { label: string; p50: number; p99: number }, target?: number) =>
    `${r.label.padEnd(44)} p50 ${r.p50.toFixed(3).padStart(7)} ms  p99 ${r.p99.toFixed(3).padStart(7)} ms  (${(r.p99 / baseline.p99).toFixed(1)}× baseline p99)${
      target === undefined ? '' : `  target p99 < ${target} ms: ${r.p99 < target ? 'ok' : 'OVER'}`
    }`;
  console.log(row(baseline));
  console.log(row(create, 10));
  console.log(row(list, 5));
  console.log(
    `${'launch params verification'.padEnd(44)} mean ${verifyMs.toFixed(4)} ms over ${verifyRuns.toLocaleString('en')}  target < 0.05 ms: ${verifyMs < 0.05 ? 'ok' : 'OVER'}`,
  );
  const failed = create.p99 >= 15 || list.p99 >= 10 || verifyMs >= 0.05;
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  if (failed) process.exitCode = 1;
}

void main();
