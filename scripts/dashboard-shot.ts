import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { DAY, HOUR, MINUTE } from '../lib/clock';
import { type AdjustableClock, type LocalStack, startLocalStack } from './local/stack';

/**
 * `npm run dashboard:shot [-- out.png]`: the operators' dashboard (/ops/) in a real browser over demo
 * data. Starts the local stack on a temporary DATA_DIR with its clock set `DEMO_DAYS` back, plays that
 * many days through the real API (users' events, tickets answered and resolved by operators, CSAT
 * ratings, NPS answers, the daily campaigns) while the clock moves forward to now, then has Debian's
 * headless Chromium screenshot the page and saves it (docs/dashboard.png by default).
 */

const DEMO_DAYS = 60;
const OPERATOR_TOKEN = 'dev-operator-token-0123456789';
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

/**
 * The stack's clock, started in the past and moved forward only by the seeding (OffsetClock's offset
 * cannot be negative): when the seeding ends it has caught up with the real time, so the browser's
 * "today" and the stack's agree.
 */
export class RewindClock implements AdjustableClock {
  #offset: number;

  constructor(start: number) {
    this.#offset = start - Date.now();
  }

  now(): number {
    return Date.now() + this.#offset;
  }

  advance(milliseconds: number): void {
    if (!(milliseconds >= 0)) throw new RangeError('a clock does not go back');
    this.#offset += milliseconds;
  }

  /** Moves to `instant` if it is ahead (time already spent is not given back). */
  advanceTo(instant: number): void {
    const ahead = instant - this.now();
    if (ahead > 0) this.advance(ahead);
  }

  /** The real time from now on. */
  catchUp(): void {
    if (this.#offset < 0) this.advance(-this.#offset);
  }
}

/** A seeded random source (mulberry32): the same demo every run. */
function randomSource(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    between: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T,
    chance: (probability: number) => next() < probability,
  };
}

interface DemoUser {
  userId: number;
  /** Chance to come back on a given day, falling as the user's interest does. */
  returnChance: number;
  activeDays: number;
  answeredNps: boolean;
}

export interface SeedSummary {
  users: number;
  eventBatches: number;
  tickets: number;
  replies: number;
  resolved: number;
  ratings: number;
  npsAnswers: number;
  /** `POST /api/me/nps` answered 404: the endpoint is not there yet. */
  npsMissing: boolean;
  dispatcherRuns: number;
  failures: Record<string, number>;
}

const CATEGORIES = ['bug', 'question', 'payment', 'suggestion'] as const;
const SCREENS = ['/home', '/quiz', '/shop/checkout', '/profile', '/settings'];
const SUBJECTS: Record<(typeof CATEGORIES)[number], string> = {
  bug: 'Не открывается экран',
  question: 'Как пройти викторину',
  payment: 'Не прошла оплата',
  suggestion: 'Добавьте тёмную тему',
};

/**
 * Plays `days` days of demo life through the stack's HTTP API, from `clock`'s start to now: each day
 * new users arrive and earlier ones come back with falling odds (retention cohorts, DAU/MAU), some
 * file tickets in business hours that operators answer and resolve (faster in later weeks: a trend
 * against the SLA), users rate resolved tickets (CSAT) and answer NPS, and the daily campaigns run at
 * 12:00 Moscow. The clock ends at the real now.
 */
export async function seedDemoData(
  stack: LocalStack,
  clock: RewindClock,
  options: { days?: number; seed?: number; log?: (line: string) => void } = {},
): Promise<SeedSummary> {
  const days = options.days ?? DEMO_DAYS;
  const random = randomSource(options.seed ?? 21);
  const summary: SeedSummary = {
    users: 0,
    eventBatches: 0,
    tickets: 0,
    replies: 0,
    resolved: 0,
    ratings: 0,
    npsAnswers: 0,
    npsMissing: false,
    dispatcherRuns: 0,
    failures: {},
  };
  const fail = (what: string) => {
    summary.failures[what] = (summary.failures[what] ?? 0) + 1;
  };
  const call = async (
    path: string,
    body: unknown,
    identity: { userId: number } | 'operator',
  ): Promise<{ status: number; json: Record<string, unknown> }> => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (identity === 'operator') headers['x-operator-token'] = OPERATOR_TOKEN;
    else headers['x-vk-launch-params'] = stack.launchParamsFor(identity.userId);
    const response = await fetch(`${stack.url}${path}`, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
    });
    const text = await response.text();
    let json: Record<string, unknown> = {};
    try {
      json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      // an answer that is not JSON: the status is enough here
    }
    return { status: response.status, json };
  };

  /** Timed actions, run in time order as the clock moves to each. */
  const agenda: Array<{ at: number; run: () => Promise<void> }> = [];
  const schedule = (at: number, run: () => Promise<void>) => agenda.push({ at, run });

  const users: DemoUser[] = [];
  let nextUserId = 300_001;
  let eventCounter = 0;
  const firstDay = Math.floor(clock.now() / DAY) * DAY;

  const visit = async (user: DemoUser) => {
    const names = [
      'app_open',
      'screen_view',
      random.pick(['quiz_start', 'screen_view', 'button_click', 'kb_article_open']),
    ];
    if (user.activeDays === 0 && random.chance(0.3)) names.push('quiz_finish');
    const now = clock.now();
    const answer = await call(
      '/api/events',
      {
        events: names.map((name, index) => ({
          id: `demo-${user.userId}-${++eventCounter}`,
          name,
          at: now - (names.length - index) * MINUTE,
          screen: random.pick(SCREENS),
        })),
      },
      user,
    );
    if (answer.status >= 300) fail(`events ${answer.status}`);
    else summary.eventBatches++;
    user.activeDays++;
    user.returnChance *= 0.93;
    if (!user.answeredNps && user.activeDays >= 3 && random.chance(0.35)) {
      user.answeredNps = true;
      const score = random.chance(0.68)
        ? random.between(9, 10)
        : random.chance(0.55)
          ? random.between(7, 8)
          : random.between(2, 6);
      const nps = await call(
        '/api/me/nps',
        score <= 6 ? { score, comment: 'Долго ждал ответа' } : { score },
        user,
      );
      if (nps.status === 404) summary.npsMissing = true;
      else if (nps.status >= 300) fail(`nps ${nps.status}`);
      else summary.npsAnswers++;
    }
  };

  const fileTicket = async (user: DemoUser, dayIndex: number) => {
    const category = random.pick(CATEGORIES);
    const created = await call(
      '/api/tickets',
      {
        category,
        subject: SUBJECTS[category],
        description: 'Демо-обращение для панели: что-то пошло не так.',
        screen: random.pick(SCREENS),
        platform: 'desktop_web',
      },
      user,
    );
    const ticketNumber = created.json.number;
    if (created.status >= 300 || typeof ticketNumber !== 'string') return fail(`ticket ${created.status}`);
    summary.tickets++;
    // Operators get faster week by week: a first response of ~2 h early on, ~30 min lately.
    const progress = dayIndex / days;
    const replyMinutes = Math.round(
      (20 + random.next() * 160 * (1 - progress) + random.next() * 40) * (random.chance(0.1) ? 3 : 1),
    );
    const resolveMinutes = random.between(30, 60 * (8 - Math.round(5 * progress)));
    const number = encodeURIComponent(ticketNumber);
    schedule(clock.now() + replyMinutes * MINUTE, async () => {
      const reply = await call(
        `/api/ops/tickets/${number}/messages`,
        { text: 'Здравствуйте! Уже разбираемся.' },
        'operator',
      );
      if (reply.status >= 300) return fail(`reply ${reply.status}`);
      summary.replies++;
      schedule(clock.now() + resolveMinutes * MINUTE, async () => {
        const resolved = await call(`/api/ops/tickets/${number}/status`, { status: 'resolved' }, 'operator');
        if (resolved.status >= 300) return fail(`resolve ${resolved.status}`);
        summary.resolved++;
        if (!random.chance(0.7)) return;
        schedule(clock.now() + random.between(10, 240) * MINUTE, async () => {
          const rating = random.chance(0.75) ? random.between(4, 5) : random.between(1, 3);
          const rated = await call(`/api/tickets/${number}/rating`, { rating }, user);
          if (rated.status >= 300) return fail(`rating ${rated.status}`);
          summary.ratings++;
        });
      });
    });
  };

  for (let dayIndex = 0; dayIndex < days; dayIndex++) {
    const day = firstDay + dayIndex * DAY;
    const weekday = new Date(day).getUTCDay();
    // New users, more on weekends; earlier users come back with their own odds.
    const arrivals = random.between(5, 9) + (weekday === 0 || weekday === 6 ? 3 : 0);
    const visitors: DemoUser[] = users.filter((user) => random.chance(user.returnChance));
    for (let index = 0; index < arrivals; index++) {
      const user: DemoUser = {
        userId: nextUserId++,
        returnChance: random.pick([0.75, 0.5, 0.3, 0.12, 0.05]),
        activeDays: 0,
        answeredNps: false,
      };
      users.push(user);
      visitors.push(user);
      summary.users++;
    }
    // Visits between 08:00 and 20:00 Moscow (05:00–17:00 UTC).
    for (const user of visitors)
      schedule(day + 5 * HOUR + random.between(0, 12 * 60) * MINUTE, () => visit(user));
    // Tickets in business hours (Mon–Sat, from 10:00 Moscow), from users who visit that day.
    if (weekday !== 0) {
      const filing = visitors.filter(() => random.chance(0.12)).slice(0, 5);
      for (const user of filing)
        schedule(day + 7 * HOUR + random.between(0, 5 * 60) * MINUTE + MINUTE, () =>
          fileTicket(user, dayIndex),
        );
    }
    // The dispatcher's daily run: 09:00 UTC (12:00 Moscow), as the cloud timer.
    schedule(day + 9 * HOUR + 5 * MINUTE, async () => {
      await stack.fireDispatcher();
      summary.dispatcherRuns++;
    });
  }

  const end = Date.now();
  let step = 0;
  while (agenda.length > 0) {
    agenda.sort((a, b) => a.at - b.at);
    const next = agenda.shift();
    if (!next) break;
    if (next.at > end) continue; // past the real now: not yet
    clock.advanceTo(next.at);
    await next.run();
    if (++step % 500 === 0)
      options.log?.(
        `  … ${new Date(clock.now()).toISOString().slice(0, 10)}: ${summary.tickets} tickets, ${summary.eventBatches} visits`,
      );
  }
  clock.catchUp();
  // Let the queues finish what the seeding set off (surveys, journey steps, CRM).
  for (let waited = 0; waited < 10_000 && stack.busy() > 0; waited += 100)
    await new Promise((done) => setTimeout(done, 100));
  return summary;
}

/** Debian's Chromium, headless, on a fresh profile: the page after its fetches settle, as a PNG. */
export function screenshot(url: string, output: string): Promise<void> {
  const profile = mkdtempSync(join(tmpdir(), 'dashboard-chromium-'));
  const args = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    `--user-data-dir=${profile}`,
    '--window-size=1400,2000',
    '--virtual-time-budget=10000',
    '--hide-scrollbars',
    `--screenshot=${output}`,
    url,
  ];
  return new Promise<void>((done, failed) => {
    execFile(CHROMIUM, args, { timeout: 90_000 }, (error, _stdout, stderr) => {
      rmSync(profile, { recursive: true, force: true });
      if (error) failed(new Error(`chromium failed: ${error.message}\n${stderr}`));
      else done();
    });
  });
}

async function main(): Promise<void> {
  const output = resolve(process.argv[2] ?? 'docs/dashboard.png');
  if (!existsSync(CHROMIUM)) {
    console.error(`${CHROMIUM} is missing: apt-get install -y chromium (Debian's package), or set CHROMIUM.`);
    process.exit(1);
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'dashboard-shot-'));
  const start = Math.floor(Date.now() / DAY) * DAY - DEMO_DAYS * DAY;
  const clock = new RewindClock(start);
  const stack = await startLocalStack(
    { DATA_DIR: dataDir, PORT: '0', VK_SANDBOX_PORT: '0', LOG_LEVEL: 'error' },
    { clock, sink: () => {} },
  );
  try {
    console.log(`seeding ${DEMO_DAYS} days of demo data into ${dataDir} …`);
    const summary = await seedDemoData(stack, clock, { log: (line) => console.log(line) });
    console.log(JSON.stringify(summary));
    mkdirSync(dirname(output), { recursive: true });
    const url = `${stack.url}/ops/#token=${OPERATOR_TOKEN}`;
    console.log(`${CHROMIUM} --headless … --screenshot=${output} ${stack.url}/ops/#token=…`);
    await screenshot(url, output);
    const png = readFileSync(output);
    const width = png.readUInt32BE(16);
    const height = png.readUInt32BE(20);
    console.log(`saved ${output}: ${width}×${height} px, ${Math.round(statSync(output).size / 1024)} KB`);
  } finally {
    await stack.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (require.main === module)
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
