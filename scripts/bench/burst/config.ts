/**
 * The burst bench's settings: BENCH_BURST_EVENTS, BENCH_BURST_INSTANCES, `--cold` and `--profile`
 * (see `../burst.ts`), VK's limit and the goals, the users and the time limits.
 */

export const EVENTS = Number(process.env.BENCH_BURST_EVENTS ?? 1000);
export const INSTANCES = Number(process.env.BENCH_BURST_INSTANCES ?? 2);
export const COLD = process.argv.includes('--cold');
export const PROFILE = process.argv.includes('--profile');
export const RATE = 20;
export const CALLS_PER_EXECUTE = 25;
export const LIMIT = RATE * CALLS_PER_EXECUTE;
export const GOALS = { ackP99Ms: 500, sendRatePercent: 90 };
export const FIRST_USER = 10_001;
export const WARMUP_FIRST_USER = 900_001;
/**
 * Events each instance serves before the burst (BENCH_BURST_WARMUP, 200): a burst meets instances that
 * have been answering the community's everyday traffic, whose code V8 has optimized by then (after a
 * few hundred calls; the first hundred of a path run several times slower). 3 measures a burst that
 * arrives right after a start.
 */
export const WARMUP_PER_INSTANCE = Number(process.env.BENCH_BURST_WARMUP ?? 200);
export const REPLIES_TIMEOUT_MS = 120_000;
export const DRAIN_TIMEOUT_MS = 10_000;
export const START_TIMEOUT_MS = 30_000;
export const BENCH_TIMEOUT_MS = 170_000;
export const QUESTIONS = [
  'Не проходит оплата картой',
  'Как отключить уведомления?',
  'Приложение зависает на загрузке',
];
/** What each user's one event gets: one message, the article (for a new user, greeted in it). */
export const EXPECTED_REPLIES = 1;
