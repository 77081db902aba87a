import { createServer, Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { Delivery } from '../../lib/bot/delivery';
import { FactsFetcher } from '../../lib/bot/prefetch';
import { SqliteStore } from '../../lib/storage/sqlite/store';
import { VkClient } from '../../lib/vk/client';
import { SharedRateGate } from '../../lib/vk/shared-rate-gate';
import { startLocalStack } from '../local/stack';

/**
 * One instance of `npm run bench:burst`: the local stack in a process of its own, on the bench's
 * SQLite file (`DATA_DIR`), its VK clients calling the bench's one sandbox (`VK_API_URL`). It prints
 * `{"url": …}` on one line once it listens, and on SIGTERM closes the stack and prints
 * `{"stats": …}`: its log lines counted by level and message (the first line of each warning and
 * error kept), and how long its event loop stalled (better-sqlite3 waits for another process's
 * write lock synchronously, up to `busy_timeout`).
 *
 * With BENCH_BURST_BARE=1 it is the bench's baseline instead: a server that answers `ok` to anything.
 *
 * With BENCH_BURST_PROFILE=1 it also times, by wrapping their prototypes before the stack starts:
 * store transactions (waiting for the process's connection, `BEGIN IMMEDIATE` — the cross-process
 * lock — and the work holding it), the rate gate's `take`, VK requests over HTTP, the callback's
 * VK lookups (`FactsFetcher.fetch`) and its reply delivery (`Delivery.deliver`).
 */
type Probes = Record<string, number[]>;

/** The baseline instance: reads each request and answers `ok`, nothing else. */
async function bare(): Promise<void> {
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => response.writeHead(200, { 'content-type': 'text/plain' }).end('ok'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${port}`, pid: process.pid })}\n`);
  const shutdown = () => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  };
  process.on('SIGTERM', shutdown);
  process.stdin.on('end', shutdown);
  process.stdin.resume();
}

async function main(): Promise<void> {
  if (process.env.BENCH_BURST_BARE) return bare();
  const vkApiUrl = process.env.VK_API_URL;
  if (!vkApiUrl) throw new Error('VK_API_URL: the bench sandbox API base is required');
  const probes: Probes | undefined = process.env.BENCH_BURST_PROFILE ? {} : undefined;
  if (probes) instrument(probes);
  const logs: Record<string, number> = {};
  const samples: Record<string, string> = {};
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const stack = await startLocalStack(process.env, {
    vkApiUrl,
    sink: (line) => {
      const entry = JSON.parse(line) as { level: string; msg: string };
      const key = `${entry.level} ${entry.msg}`;
      logs[key] = (logs[key] ?? 0) + 1;
      if (entry.level !== 'info' && !samples[key]) samples[key] = line.slice(0, 600);
    },
  });
  process.stdout.write(`${JSON.stringify({ url: stack.url, pid: process.pid })}\n`);

  let closing = false;
  const shutdown = () => {
    if (closing) return;
    closing = true;
    loop.disable();
    const stats = {
      pid: process.pid,
      logs,
      samples,
      loopDelayMs: { p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 },
      ...(probes ? { profile: summarize(probes) } : {}),
    };
    stack.close().then(
      () => {
        process.stdout.write(`${JSON.stringify({ stats })}\n`, () => process.exit(0));
      },
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  // The bench going away (its pipe closes) ends the instance too.
  process.stdin.on('end', shutdown);
  process.stdin.resume();
}

/** Wraps the methods the burst goes through to time them (profiling only; the code itself is unchanged). */
function instrument(probes: Probes): void {
  const record = (name: string, ms: number) => {
    const values = probes[name] ?? [];
    probes[name] = values;
    values.push(ms);
  };
  const timed = <T>(name: string, run: () => Promise<T>): Promise<T> => {
    const start = performance.now();
    return run().finally(() => record(name, performance.now() - start));
  };

  const exec = Database.prototype.exec;
  Database.prototype.exec = function (this: Database.Database, source: string) {
    if (source !== 'BEGIN IMMEDIATE') return exec.call(this, source);
    const start = performance.now();
    try {
      return exec.call(this, source);
    } finally {
      record('sqlite BEGIN IMMEDIATE (cross-process lock, blocks the loop)', performance.now() - start);
    }
  };
  const attempt = SqliteStore.prototype.attempt;
  SqliteStore.prototype.attempt = function <T>(
    this: SqliteStore,
    work: Parameters<typeof attempt>[0],
    owner: string,
  ) {
    const called = performance.now();
    return attempt.call(
      this,
      async (repositories) => {
        const began = performance.now();
        record('store tx: wait for the connection + BEGIN', began - called);
        try {
          return await work(repositories);
        } finally {
          record('store tx: work holding the write lock', performance.now() - began);
        }
      },
      owner,
    ) as Promise<T>;
  };
  const take = SharedRateGate.prototype.take;
  SharedRateGate.prototype.take = function (this: SharedRateGate, signal?: AbortSignal) {
    return timed('rate gate take', () => take.call(this, signal));
  };
  const execute = VkClient.prototype.execute;
  VkClient.prototype.execute = function (this: VkClient, code: string, options) {
    return timed('VkClient.execute (gate + HTTP + retries)', () => execute.call(this, code, options));
  } as typeof execute;
  const fetchFacts = FactsFetcher.prototype.fetch;
  FactsFetcher.prototype.fetch = function (this: FactsFetcher, ...args: Parameters<typeof fetchFacts>) {
    return timed('callback: FactsFetcher.fetch', () => fetchFacts.apply(this, args));
  };
  const deliver = Delivery.prototype.deliver;
  Delivery.prototype.deliver = function (this: Delivery, ...args: Parameters<typeof deliver>) {
    return timed('Delivery.deliver (callback and redelivery)', () => deliver.apply(this, args));
  };
  const emit = Server.prototype.emit;
  Server.prototype.emit = function (this: Server, event: string | symbol, ...args: unknown[]) {
    if (event === 'request') {
      const start = performance.now();
      (args[1] as ServerResponse).once('finish', () =>
        record('HTTP request in the instance (headers → answer sent)', performance.now() - start),
      );
    }
    return emit.apply(this, [event, ...args] as Parameters<typeof emit>);
  } as typeof emit;
  const realFetch = globalThis.fetch;
  globalThis.fetch = ((input: Parameters<typeof fetch>[0], init?: RequestInit) => {
    const method = String(input instanceof Request ? input.url : input).split('/method/')[1] ?? 'other';
    return timed(`HTTP to VK: ${method}`, () => realFetch(input, init));
  }) as typeof fetch;
}

function summarize(probes: Probes) {
  return Object.fromEntries(
    Object.entries(probes).map(([name, values]) => {
      const sorted = [...values].sort((a, b) => a - b);
      const at = (p: number) =>
        sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
      return [
        name,
        {
          count: sorted.length,
          p50: at(50),
          p99: at(99),
          max: sorted.at(-1) ?? 0,
          total: sorted.reduce((sum, value) => sum + value, 0),
        },
      ];
    }),
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`burst instance failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
