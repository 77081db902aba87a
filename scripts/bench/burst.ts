import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import { VK_MESSAGE_JOB } from '../../lib/bot/turn';
import { SqliteStore } from '../../lib/storage/sqlite/store';
import { newUserRecord } from '../../lib/users/account';
import { randomIdFor } from '../../lib/vk/random-id';
import { devDefaults } from '../local/stack';
import { type RecordedCall, VkSandbox } from '../sandbox/vk-sandbox';

/**
 * `npm run bench:burst`: a burst of `message_new` events arriving at once across several instances
 * of the local stack, each a process of its own (`burst-instance.ts`) on one SQLite file, all calling
 * one VK sandbox that enforces VK's 20 requests a second per token. As on VK's side: every event is
 * posted at once, round-robin over the instances' `POST /vk/callback`, and nothing is retried.
 *
 * Measured: each callback's time to its `ok` (the fast ack); every user's replies in the sandbox
 * (`R`, users with a reply, within 120 s), messages a user got beyond the reply jobs their event
 * committed (`D`), and the rate `messages.send` calls went through over the sending window
 * (`S`, as a share of 20 requests a second × 25 calls in an `execute`).
 * Goals: acks p99 ≤ 500 ms, R = E, D = 0, S ≥ 90 %.
 *
 * The users are known (they wrote before: name and dialog in the store), as `bench:callback`'s are;
 * `--cold` makes them new, so each event also asks VK for the user's name (`users.get`) first and
 * is answered with a greeting and the article.
 *
 * `--profile` has each instance time where its work goes (see `burst-instance.ts`) and prints it;
 * BENCH_BURST_CPU_PROF=<dir> writes each instance's V8 CPU profile there (`--cpu-prof`).
 * BENCH_BURST_EVENTS (1000), BENCH_BURST_INSTANCES (2).
 */
const EVENTS = Number(process.env.BENCH_BURST_EVENTS ?? 1000);
const INSTANCES = Number(process.env.BENCH_BURST_INSTANCES ?? 2);
const COLD = process.argv.includes('--cold');
const PROFILE = process.argv.includes('--profile');
const RATE = 20;
const CALLS_PER_EXECUTE = 25;
const LIMIT = RATE * CALLS_PER_EXECUTE;
const GOALS = { ackP99Ms: 500, sendRatePercent: 90 };
const FIRST_USER = 10_001;
const WARMUP_FIRST_USER = 900_001;
const WARMUP_PER_INSTANCE = 3;
const REPLIES_TIMEOUT_MS = 120_000;
const DRAIN_TIMEOUT_MS = 10_000;
const START_TIMEOUT_MS = 30_000;
const BENCH_TIMEOUT_MS = 170_000;
const QUESTIONS = [
  'Не проходит оплата картой',
  'Как отключить уведомления?',
  'Приложение зависает на загрузке',
];
/** What each user's one event gets: the article, and for a new user the greeting before it. */
const EXPECTED_REPLIES = COLD ? 2 : 1;

interface Instance {
  child: ChildProcessWithoutNullStreams;
  url: string;
  stderr: string[];
  stats?: InstanceStats;
  exited: Promise<void>;
}

interface InstanceStats {
  pid: number;
  logs: Record<string, number>;
  /** The first line of each warning and error. */
  samples: Record<string, string>;
  loopDelayMs: { p99: number; max: number };
  /** With `--profile`: timings by probe. */
  profile?: Record<string, { count: number; p50: number; p99: number; max: number; total: number }>;
}

/** VK's connections to the instances: as many as there are events in flight, kept open. */
const agent = new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });

/** What the last line reports; filled in as the bench goes, so a failure still prints it. */
const summary = { events: EVENTS, instances: 0, ackP99: 0, replies: 0, duplicates: 0, sendRate: 0 };

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<boolean> {
  if (!(EVENTS >= 1) || !(INSTANCES >= 1)) throw new Error('BENCH_BURST_EVENTS and _INSTANCES: at least 1');
  const dir = mkdtempSync(join(tmpdir(), 'bench-burst-'));
  const file = join(dir, 'local.sqlite');
  const instances: Instance[] = [];
  const sandbox = new VkSandbox({
    groupId: Number(devDefaults.VK_GROUP_ID),
    callbackSecret: devDefaults.VK_CALLBACK_SECRET!,
    rateLimitPerSecond: RATE,
    // VK would echo every reply back as `message_reply`; the bench leaves them out, as bench:callback does.
    echoReplies: false,
  });
  const cleanup = async () => {
    agent.destroy();
    await stopInstances(instances);
    await sandbox.stop().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  };
  const onSignal = () => {
    printLine();
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const watchdog = setTimeout(() => {
    console.log(`timed out after ${BENCH_TIMEOUT_MS / 1000} s`);
    printLine();
    void cleanup().finally(() => process.exit(1));
  }, BENCH_TIMEOUT_MS);
  watchdog.unref();

  try {
    const users = Array.from({ length: EVENTS }, (_, index) => FIRST_USER + index);
    const warmupUsers = Array.from(
      { length: WARMUP_PER_INSTANCE * INSTANCES },
      (_, index) => WARMUP_FIRST_USER + index,
    );
    if (!COLD) await seedKnownUsers(file, [...users, ...warmupUsers]);
    await sandbox.start(0);

    const startedAt = performance.now();
    instances.push(
      ...(await Promise.all(Array.from({ length: INSTANCES }, () => startInstance(dir, sandbox)))),
    );
    summary.instances = instances.length;
    console.log(
      `burst bench: ${EVENTS} ${COLD ? 'new' : 'known'} users, one message_new each, ${INSTANCES} stack instances ` +
        `(processes ${instances.map((instance) => instance.child.pid).join(', ')}) on one SQLite file, ` +
        `one VK sandbox at ${RATE} requests/s per token; instances up in ${Math.round(performance.now() - startedAt)} ms`,
    );

    // Warm-up: a few events per instance (code paths loaded, connections open), then a quiet second.
    const warmup = await postAll(
      sandbox,
      warmupUsers.map((userId, index) => ({ userId, url: instances[index % instances.length]!.url })),
      'warmup',
    );
    if (warmup.some((ack) => !ack.ok)) throw new Error(`warm-up failed: ${JSON.stringify(warmup[0])}`);
    if (!(await waitFor(() => repliedUsers(sandbox.sent, warmupUsers) === warmupUsers.length, 20_000)))
      throw new Error('warm-up: not every warm-up user got a reply within 20 s');
    await sleep(1500);
    const callsFrom = sandbox.calls.length;
    const sentFrom = sandbox.sent.length;
    const rateLimitedFrom = sandbox.rateLimited;

    // The burst: every event at once.
    const cpuAtStart = cpuTimes(instances);
    const burstStart = Date.now();
    const acks = await postAll(
      sandbox,
      users.map((userId, index) => ({ userId, url: instances[index % instances.length]!.url })),
      'burst',
    );
    const ackTimes = acks.map((ack) => ack.ms).sort((a, b) => a - b);
    summary.ackP99 = Math.round(percentile(ackTimes, 99));
    const notOk = acks.filter((ack) => !ack.ok);
    const acksDoneAt = Date.now();
    const cpuAtAcks = cpuTimes(instances);

    const allReplied = () =>
      repliedUsers(sandbox.sent.slice(sentFrom), users, EXPECTED_REPLIES) === users.length;
    await waitFor(allReplied, REPLIES_TIMEOUT_MS - (Date.now() - burstStart));
    const cpuAtReplies = cpuTimes(instances);
    const repliedAt = Date.now();
    // Then until no reply job is pending in the store (anything still to go out would show up now).
    const eventIds = new Map(acks.map((ack) => [ack.userId, ack.eventId]));
    await waitFor(() => readReplyJobs(file).pending === 0, DRAIN_TIMEOUT_MS);
    await sleep(500);

    const sent = sandbox.sent.slice(sentFrom);
    const calls = sandbox.calls.slice(callsFrom);
    const jobs = readReplyJobs(file);
    summary.replies = repliedUsers(sent, users);
    const duplicates = countDuplicates(sent, users, eventIds, jobs.ids);
    summary.duplicates = duplicates.total;
    const rate = sendRate(calls);
    summary.sendRate = rate.percent;

    const replyTimes = replyTimesOf(calls, new Set(users));
    const executes = calls.filter((call) => call.method === 'execute' && !call.via);
    const executeOutcomes = countBy(executes, (call) => call.outcome);
    const ranExecutes = executes.filter((call) => call.outcome !== 'error 6');
    const innerCalls = ranExecutes.reduce((sum, call) => sum + callsIn(call), 0);
    const direct = calls.filter((call) => !call.via && call.method !== 'execute');
    const errors6 = sandbox.rateLimited - rateLimitedFrom;
    const sizes = executeSizes(ranExecutes);

    await stopInstances(instances);
    const ms = (value: number) => `${Math.round(value)} ms`;
    console.log('');
    console.log(
      `acks          p50 ${ms(percentile(ackTimes, 50))}  p99 ${ms(percentile(ackTimes, 99))}  max ${ms(ackTimes.at(-1) ?? 0)}` +
        `  (all ${EVENTS} answered in ${ms(acksDoneAt - burstStart)}; not ok: ${notOk.length}` +
        `${notOk.length > 0 ? `, e.g. ${JSON.stringify(notOk[0])}` : ''})`,
    );
    console.log(
      `replies       ${summary.replies}/${EVENTS} users, ${sent.length} messages` +
        `${replyTimes ? `; every user had a reply ${ms(replyTimes.lastFirst - burstStart)} after the burst began, every reply ${ms(replyTimes.last - burstStart)}` : ''}` +
        `${allReplied() ? '' : `; NOT all within ${REPLIES_TIMEOUT_MS / 1000} s`}`,
    );
    console.log(
      `reply jobs    ${jobs.ids.size} committed for the burst's events, ${jobs.pending} still pending; ` +
        `duplicates ${duplicates.total} (same random_id twice ${duplicates.sameRandomId}, ` +
        `not one of the user's jobs ${duplicates.unexpected}); repeats VK dropped by random_id ${calls.filter((call) => call.method === 'messages.send' && call.outcome === 'duplicate').length}`,
    );
    console.log(
      `execute       ${executes.length} requests (${Object.entries(executeOutcomes)
        .map(([outcome, count]) => `${outcome} ${count}`)
        .join(
          ', ',
        )}), ${(ranExecutes.length > 0 ? innerCalls / ranExecutes.length : 0).toFixed(1)} calls each on average` +
        ` (sizes: ${sizes}); direct calls ${direct.length} (${Object.entries(
          countBy(direct, (call) => `${call.method} ${call.outcome}`),
        )
          .map(([what, count]) => `${what} ${count}`)
          .join(', ')})`,
    );
    console.log(
      `send rate     ${rate.sends} messages.send went through in ${ms(rate.windowMs)} ` +
        `(first to last request + one request's ${1000 / RATE} ms) = ${rate.perSecond.toFixed(1)}/s of ${LIMIT}/s; ` +
        `error 6 from the limit: ${errors6}`,
    );
    console.log(`timeline      ${timeline(calls, burstStart, acksDoneAt)}`);
    const cpu = (from: number[], to: number[]) =>
      to
        .map((value, index) => `${index === 0 ? 'bench' : `instance ${index}`} ${ms(value - from[index]!)}`)
        .join(', ');
    console.log(
      `CPU           until the last ack (${ms(acksDoneAt - burstStart)}): ${cpu(cpuAtStart, cpuAtAcks)}; ` +
        `then until all replies (${ms(repliedAt - acksDoneAt)}): ${cpu(cpuAtAcks, cpuAtReplies)}`,
    );
    for (const [index, instance] of instances.entries()) {
      const stats = instance.stats;
      if (!stats) {
        console.log(`instance ${index + 1}   no stats (exited without them)`);
        continue;
      }
      const notable = Object.entries(stats.logs)
        .filter(([key]) => !key.startsWith('info sandbox'))
        .sort((a, b) => b[1] - a[1])
        .slice(0, 6)
        .map(([key, count]) => `${count}× ${key}`)
        .join('; ');
      console.log(
        `instance ${index + 1}    event loop stalls p99 ${ms(stats.loopDelayMs.p99)} max ${ms(stats.loopDelayMs.max)}; log: ${notable || 'nothing'}`,
      );
      for (const [key, line] of Object.entries(stats.samples)) {
        if (key.startsWith('error') || PROFILE) console.log(`              first "${key}": ${line}`);
      }
      for (const [name, probe] of Object.entries(stats.profile ?? {})) {
        console.log(
          `              ${name.padEnd(62)} ${String(probe.count).padStart(5)}×  p50 ${probe.p50.toFixed(1).padStart(7)}  ` +
            `p99 ${probe.p99.toFixed(1).padStart(7)}  max ${probe.max.toFixed(1).padStart(7)}  total ${Math.round(probe.total)} ms`,
        );
      }
    }
    return (
      summary.ackP99 <= GOALS.ackP99Ms &&
      summary.replies === EVENTS &&
      summary.duplicates === 0 &&
      summary.sendRate >= GOALS.sendRatePercent &&
      notOk.length === 0
    );
  } finally {
    clearTimeout(watchdog);
    await cleanup();
  }
}

/** The final line: the issue's figures, printed whatever happened. */
function printLine(): void {
  console.log(
    `burst: ${summary.events} events, ${summary.instances} instances, acks p99 ${summary.ackP99} ms, ` +
      `replies ${summary.replies}/${summary.events}, duplicates ${summary.duplicates}, ` +
      `send rate ${summary.sendRate.toFixed(1)} % of limit`,
  );
}

/** Users who wrote before: their name and an idle dialog are in the store, as after a first conversation. */
async function seedKnownUsers(file: string, userIds: number[]): Promise<void> {
  const store = new SqliteStore(file);
  const now = Date.now();
  await store.transaction(async (repositories) => {
    for (const userId of userIds) {
      await repositories.users.put(
        newUserRecord(userId, now, { language: 'ru', messagesAllowed: true, firstName: `User${userId}` }),
      );
      await repositories.dialogs.put({
        peerId: userId,
        userId,
        state: 'idle',
        data: {},
        operatorSilentUntil: null,
        updatedAt: now,
      });
    }
  });
  await store.close();
}

async function startInstance(dir: string, sandbox: VkSandbox): Promise<Instance> {
  const cpuProfiles = process.env.BENCH_BURST_CPU_PROF;
  const profiling = cpuProfiles ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfiles}`] : [];
  const child = spawn(
    process.execPath,
    [...process.execArgv, ...profiling, join(__dirname, 'burst-instance.ts')],
    {
      env: {
        ...process.env,
        DATA_DIR: dir,
        PORT: '0',
        VK_SANDBOX_PORT: '0',
        VK_API_URL: sandbox.apiUrl,
        LOG_LEVEL: 'info',
        ...(PROFILE ? { BENCH_BURST_PROFILE: '1' } : {}),
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  const stderr: string[] = [];
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr.push(chunk);
    if (stderr.length > 50) stderr.shift();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const instance: Partial<Instance> = { child, stderr, exited };
  const lines = createInterface({ input: child.stdout });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('an instance did not start in time')), START_TIMEOUT_MS);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`an instance exited at start: ${stderr.join('').slice(-2000)}`));
    });
    lines.on('line', (line) => {
      let message: { url?: string; stats?: InstanceStats };
      try {
        message = JSON.parse(line);
      } catch {
        return;
      }
      if (message.url) {
        clearTimeout(timer);
        resolve(message.url);
      }
      if (message.stats) instance.stats = message.stats;
    });
  });
  instance.url = url;
  return instance as Instance;
}

/** SIGTERM (the instance closes its stack and reports), then SIGKILL for any still up after 10 s. */
async function stopInstances(instances: Instance[]): Promise<void> {
  await Promise.all(
    instances.map(async (instance) => {
      const { child } = instance;
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await instance.exited;
      clearTimeout(killer);
    }),
  );
}

/**
 * CPU time so far in ms: the bench's own first (the sandbox lives here), then each instance's from
 * /proc (Linux; 0 elsewhere).
 */
function cpuTimes(instances: Instance[]): number[] {
  const own = process.cpuUsage();
  return [
    (own.user + own.system) / 1000,
    ...instances.map(({ child }) => {
      try {
        const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
        // utime and stime, fields 14 and 15 of stat, in clock ticks (100 a second on Linux).
        return (Number(fields[11]) + Number(fields[12])) * 10;
      } catch {
        return 0;
      }
    }),
  ];
}

interface Ack {
  userId: number;
  eventId: string;
  ms: number;
  ok: boolean;
  status?: number;
  answer?: string;
}

/** Each user's `message_new` posted at once to its instance, as VK would; each timed to its answer. */
async function postAll(
  sandbox: VkSandbox,
  targets: Array<{ userId: number; url: string }>,
  prefix: string,
): Promise<Ack[]> {
  const prepared = targets.map(({ userId, url }, index) => {
    const eventId = `${prefix}${userId}x${Date.now().toString(36)}`;
    const question = QUESTIONS[index % QUESTIONS.length]!;
    return {
      userId,
      eventId,
      url: `${url}/vk/callback`,
      body: sandbox.callbackBody('message_new', sandbox.userMessageObject(userId, question), eventId),
    };
  });
  return Promise.all(
    prepared.map(async ({ userId, eventId, url, body }): Promise<Ack> => {
      const start = performance.now();
      try {
        const { status, answer } = await post(url, body);
        return {
          userId,
          eventId,
          ms: performance.now() - start,
          ok: status === 200 && answer === 'ok',
          status,
          answer: answer.slice(0, 100),
        };
      } catch (error) {
        return {
          userId,
          eventId,
          ms: performance.now() - start,
          ok: false,
          answer: error instanceof Error ? error.message : String(error),
        };
      }
    }),
  );
}

/**
 * One POST with node:http: about a third of `fetch`'s CPU per request, and the load generator shares
 * this machine's cores with the instances (the sandbox runs in this process too).
 */
function post(url: string, body: string): Promise<{ status: number; answer: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      url,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        timeout: 30_000,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, answer: Buffer.concat(chunks).toString('utf8') }),
        );
        response.on('error', reject);
      },
    );
    request.on('timeout', () => request.destroy(new Error('no answer in 30 s')));
    request.on('error', reject);
    request.end(body);
  });
}

async function waitFor(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + Math.max(0, timeoutMs);
  for (;;) {
    if (done()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(100);
  }
}

/** Users among `userIds` with at least `atLeast` messages in `sent`. */
function repliedUsers(sent: VkSandbox['sent'], userIds: number[], atLeast = 1): number {
  const counts = new Map<number, number>();
  for (const message of sent) counts.set(message.peerId, (counts.get(message.peerId) ?? 0) + 1);
  return userIds.filter((userId) => (counts.get(userId) ?? 0) >= atLeast).length;
}

/** The reply jobs (`vk:<event_id>:<n>`) in the store, and how many are still pending. */
function readReplyJobs(file: string): { ids: Set<string>; pending: number } {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    const rows = db
      .prepare("SELECT job_id, status FROM deferred_jobs WHERE kind = ? AND job_id LIKE 'vk:burst%'")
      .all(VK_MESSAGE_JOB) as Array<{ job_id: string; status: string }>;
    return {
      ids: new Set(rows.map((row) => row.job_id)),
      pending: rows.filter((row) => row.status === 'pending').length,
    };
  } finally {
    db.close();
  }
}

/**
 * Messages a user got more than once: the same `random_id` twice (VK would have dropped it), or a
 * message whose `random_id` is none of the reply jobs their event committed (a send outside them).
 */
function countDuplicates(
  sent: VkSandbox['sent'],
  userIds: number[],
  eventIds: Map<number, string>,
  jobIds: Set<string>,
): { total: number; sameRandomId: number; unexpected: number } {
  const expected = new Map<number, Set<number>>();
  for (const userId of userIds) expected.set(userId, new Set());
  const userOfEvent = new Map([...eventIds].map(([userId, eventId]) => [eventId, userId]));
  for (const jobId of jobIds) {
    const userId = userOfEvent.get(jobId.split(':')[1] ?? '');
    if (userId !== undefined) expected.get(userId)?.add(randomIdFor(jobId));
  }
  let sameRandomId = 0;
  let unexpected = 0;
  const seen = new Set<string>();
  for (const message of sent) {
    const allowed = expected.get(message.peerId);
    if (!allowed) continue;
    const key = `${message.peerId}:${message.randomId}`;
    if (seen.has(key)) sameRandomId++;
    else if (!allowed.has(message.randomId)) unexpected++;
    seen.add(key);
  }
  return { total: sameRandomId + unexpected, sameRandomId, unexpected };
}

/**
 * `messages.send` calls that went through (inside `execute` or direct) per second, over the window
 * from the first request carrying one to the last, plus one request interval: full `execute`s at
 * exactly VK's pace make 100 %.
 */
function sendRate(calls: RecordedCall[]): {
  sends: number;
  windowMs: number;
  perSecond: number;
  percent: number;
} {
  const sends = calls.filter((call) => call.method === 'messages.send' && call.outcome === 'ok');
  if (sends.length === 0) return { sends: 0, windowMs: 0, perSecond: 0, percent: 0 };
  const times = sends.map((call) => call.at);
  const windowMs = Math.max(...times) - Math.min(...times) + 1000 / RATE;
  const perSecond = sends.length / (windowMs / 1000);
  return {
    sends: sends.length,
    windowMs,
    perSecond,
    percent: Math.round((perSecond / LIMIT) * 1000) / 10,
  };
}

/** When the last of `userIds` got its first message, and the last message (from the sandbox's call log). */
function replyTimesOf(
  calls: RecordedCall[],
  userIds: Set<number>,
): { lastFirst: number; last: number } | null {
  const first = new Map<number, number>();
  let last = 0;
  for (const call of calls) {
    if (call.method !== 'messages.send' || call.outcome !== 'ok') continue;
    const peerId = Number(call.params.peer_id);
    if (!userIds.has(peerId)) continue;
    if (!first.has(peerId)) first.set(peerId, call.at);
    last = Math.max(last, call.at);
  }
  return first.size === 0 ? null : { lastFirst: Math.max(...first.values()), last };
}

/**
 * Requests carrying sends and the sends that went through, per 500 ms since the burst began, with
 * a `|` where the last ack left: how evenly the gate's turns were used.
 */
function timeline(calls: RecordedCall[], burstStart: number, acksDoneAt: number): string {
  const slots: Array<{ requests: number; sends: number }> = [];
  const slotOf = (at: number) => Math.max(0, Math.floor((at - burstStart) / 500));
  for (const call of calls) {
    const index = slotOf(call.at);
    const slot = slots[index] ?? { requests: 0, sends: 0 };
    slots[index] = slot;
    if (!call.via && (call.method === 'execute' || call.method === 'messages.send')) slot.requests++;
    if (call.method === 'messages.send' && call.outcome === 'ok') slot.sends++;
  }
  const acked = slotOf(acksDoneAt);
  return `per 500 ms, requests/sends: ${Array.from(slots, (slot, index) => `${index === acked ? '| ' : ''}${slot?.requests ?? 0}/${slot?.sends ?? 0}`).join(' ')}`;
}

/** The calls in one `execute` request's code (`API.<method>(…)` each). */
const callsIn = (call: RecordedCall) =>
  (call.params.code ?? '').match(/API\.[a-z]+\.[A-Za-z]+\(/g)?.length ?? 0;

/** How many calls the `execute` requests that ran held, as `calls×requests`, largest first. */
function executeSizes(executes: RecordedCall[]): string {
  return Object.entries(countBy(executes.map(callsIn), String))
    .sort((a, b) => Number(b[0]) - Number(a[0]))
    .map(([size, count]) => `${size}×${count}`)
    .join(' ');
}

function countBy<T>(items: T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

main().then(
  (met) => {
    printLine();
    if (!met) process.exitCode = 1;
  },
  (error: unknown) => {
    console.error(error instanceof Error ? error.stack : String(error));
    printLine();
    process.exitCode = 1;
  },
);
