import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { devDefaults } from '../local/stack';
import { VkSandbox } from '../sandbox/vk-sandbox';
import {
  BENCH_TIMEOUT_MS,
  COLD,
  DRAIN_TIMEOUT_MS,
  EVENTS,
  EXPECTED_REPLIES,
  FIRST_USER,
  GOALS,
  INSTANCES,
  LIMIT,
  PROFILE,
  RATE,
  REPLIES_TIMEOUT_MS,
  WARMUP_FIRST_USER,
  WARMUP_PER_INSTANCE,
} from './burst/config';
import { cpuTimes, type Instance, startInstance, stopInstances } from './burst/instances';
import { closeConnections, openConnections, postAll, seedKnownUsers } from './burst/load';
import {
  callsIn,
  countBy,
  countDuplicates,
  executeSizes,
  readReplyJobs,
  repliedUsers,
  replyTimesOf,
  sendRate,
  timeline,
} from './burst/measure';

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
 * is answered with one message: the greeting, then the article.
 *
 * `--profile` has each instance time where its work goes (see `burst-instance.ts`) and prints it;
 * BENCH_BURST_CPU_PROF=<dir> writes each instance's V8 CPU profile there (`--cpu-prof`).
 * BENCH_BURST_EVENTS (1000), BENCH_BURST_INSTANCES (2), BENCH_BURST_WARMUP (200 events per instance
 * before the burst; 3 for a burst that arrives right after a start).
 *
 * Here, the run's steps in order and the report; in `burst/`: the settings (`config.ts`), the child
 * processes (`instances.ts`), the users and their events (`load.ts`), what is measured (`measure.ts`).
 */

/** What the last line reports; filled in as the bench goes, so a failure still prints it. */
const summary = { events: EVENTS, instances: 0, ackP99: 0, replies: 0, duplicates: 0, sendRate: 0 };

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<boolean> {
  if (!(EVENTS >= 1) || !(INSTANCES >= 1)) throw new Error('BENCH_BURST_EVENTS and _INSTANCES: at least 1');
  if (!(WARMUP_PER_INSTANCE >= 1)) throw new Error('BENCH_BURST_WARMUP: at least 1');
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
    closeConnections();
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

    // The baseline, in the same run: the same burst against servers that only answer `ok`, each a
    // process of its own, over connections opened the same way. What is left is the machine's cost
    // of a thousand requests at once (this process sends them from one thread), not the stack's.
    const bareInstances = await Promise.all(
      Array.from({ length: INSTANCES }, () => startInstance(dir, sandbox, { bare: true })),
    );
    instances.push(...bareInstances);
    await openConnections(
      bareInstances.map((instance) => instance.url),
      Math.ceil(EVENTS / INSTANCES),
    );
    await sleep(500);
    const bareAcks = await postAll(
      sandbox,
      users.map((userId, index) => ({ userId, url: bareInstances[index % bareInstances.length]!.url })),
      'bare',
    );
    await stopInstances(bareInstances);
    instances.length = 0;
    const bareAckTimes = bareAcks.map((ack) => ack.ms).sort((a, b) => a - b);

    const startedAt = performance.now();
    instances.push(
      ...(await Promise.all(Array.from({ length: INSTANCES }, () => startInstance(dir, sandbox)))),
    );
    summary.instances = instances.length;
    console.log(
      `burst bench: ${EVENTS} ${COLD ? 'new' : 'known'} users, one message_new each, ${INSTANCES} stack instances ` +
        `(processes ${instances.map((instance) => instance.child.pid).join(', ')}) on one SQLite file, ` +
        `one VK sandbox at ${RATE} requests/s per token; instances up in ${Math.round(performance.now() - startedAt)} ms, ` +
        `warmed by ${WARMUP_PER_INSTANCE} events each`,
    );

    // Warm-up: VK's connections opened (as many as events will be in flight, kept alive), the
    // instances' everyday traffic before the burst (WARMUP_PER_INSTANCE events each), a quiet second.
    await openConnections(
      instances.map((instance) => instance.url),
      Math.ceil(EVENTS / instances.length),
    );
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
    const bareP99 = percentile(bareAckTimes, 99);
    console.log(
      `baseline      the same burst to ${INSTANCES} servers that only answer ok: acks p50 ${ms(percentile(bareAckTimes, 50))}` +
        `  p99 ${ms(bareP99)}; the stack's p99 is ${(summary.ackP99 / Math.max(1, bareP99)).toFixed(1)}× that`,
    );
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

async function waitFor(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + Math.max(0, timeoutMs);
  for (;;) {
    if (done()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(100);
  }
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
