import { rmSync } from 'node:fs';
import { handleApiRequest } from '../../lib/api/routes';
import { MINUTE } from '../../lib/clock';
import type { HttpRequest } from '../../lib/http/http';
import { benchLaunchParams, inProcessApi } from './in-process-api';

/**
 * `npm run bench:journeys`: journeys at scale. 100 000 users each send a trigger event (`quiz_start`)
 * within one hour of event time, one `POST /api/events` each, through the real handler in one
 * process (one instance) on the local stack's engines (a SQLite file in WAL mode, the embedded
 * queue). Each trigger is evaluated on arrival: the user is registered, the event stored, the run
 * started and its first step queued as a deferred job.
 *
 * Baseline, measured in the same run: the same requests with an event no journey names
 * (`screen_view`): what logging an event costs without journeys.
 *
 * Prints events/s evaluated (goal ≥ 1 000/s), the time until the last step is queued, and peak RSS.
 * `BENCH_JOURNEY_USERS` changes the count.
 */
const USERS = Number(process.env.BENCH_JOURNEY_USERS ?? 100_000);
const BASELINE_USERS = Math.min(USERS, 20_000);
function eventRequest(userId: number, name: string, at: number): HttpRequest {
  return {
    method: 'POST',
    path: '/api/events',
    headers: { 'content-type': 'application/json', 'x-vk-launch-params': benchLaunchParams(userId) },
    query: {},
    body: JSON.stringify({
      events: [{ id: `e-${userId}`, name, at: new Date(at).toISOString(), screen: 'quiz' }],
    }),
    requestId: 'bench',
  };
}

/** One user after another, as one instance takes them; returns events/s and the wall time. */
async function send(users: number, name: string) {
  const { dir, store, queue, deps } = inProcessApi('journeys');
  // Event times spread over the last hour, as 100 000 users starting the quiz within an hour would be.
  const hourAgo = Date.now() - 60 * MINUTE;
  const started = process.hrtime.bigint();
  for (let i = 0; i < users; i++) {
    const answer = await handleApiRequest(
      eventRequest(10_000_000 + i, name, hourAgo + (i * 60 * MINUTE) / users),
      deps,
    );
    if (answer.statusCode !== 202)
      throw new Error(`POST /api/events answered ${answer.statusCode}: ${answer.body}`);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const runs = (store.db.prepare('SELECT count(*) AS n FROM journey_runs').get() as { n: number }).n;
  const { delayed, visible } = await queue.depth('deferred');
  store.close();
  rmSync(dir, { recursive: true, force: true });
  return { users, seconds, perSecond: users / seconds, runs, queued: delayed + visible };
}

async function main() {
  const baseline = await send(BASELINE_USERS, 'screen_view');
  const journeys = await send(USERS, 'quiz_start');
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  const fmt = (value: number, digits = 0) => value.toLocaleString('en', { maximumFractionDigits: digits });
  console.log(
    `baseline (screen_view, no journey): ${fmt(baseline.users)} events in ${fmt(baseline.seconds, 1)} s, ${fmt(baseline.perSecond)} events/s`,
  );
  console.log(
    `journeys (quiz_start → quiz-dropout): ${fmt(journeys.users)} events in ${fmt(journeys.seconds, 1)} s, ${fmt(journeys.perSecond)} events/s evaluated on one instance (${(journeys.perSecond / baseline.perSecond).toFixed(2)}× baseline's rate)  goal ≥ 1 000/s: ${journeys.perSecond >= 1000 ? 'ok' : 'UNDER'}`,
  );
  console.log(
    `runs started: ${fmt(journeys.runs)}; step jobs on the queue: ${fmt(journeys.queued)}; last step queued ${fmt(journeys.seconds, 1)} s after the first event arrived`,
  );
  console.log(`peak RSS: ${fmt(peakRssMb)} MB`);
  if (journeys.runs !== journeys.users)
    throw new Error(`expected ${journeys.users} runs, found ${journeys.runs}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
