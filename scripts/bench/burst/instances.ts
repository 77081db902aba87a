import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { VkSandbox } from '../../sandbox/vk-sandbox';
import { PROFILE, START_TIMEOUT_MS } from './config';

/** The stack instances of the burst bench: child processes (`../burst-instance.ts`), and their CPU time. */

export interface Instance {
  child: ChildProcessWithoutNullStreams;
  url: string;
  stderr: string[];
  stats?: InstanceStats;
  exited: Promise<void>;
}

export interface InstanceStats {
  pid: number;
  logs: Record<string, number>;
  /** The first line of each warning and error. */
  samples: Record<string, string>;
  loopDelayMs: { p99: number; max: number };
  /** With `--profile`: timings by probe. */
  profile?: Record<string, { count: number; p50: number; p99: number; max: number; total: number }>;
}

/**
 * One instance: the stack, or with `bare` the baseline, a server in a process of its own that reads
 * each request and answers `ok` (what the same burst costs the machine with nothing done).
 */
export async function startInstance(
  dir: string,
  sandbox: VkSandbox,
  options: { bare?: boolean } = {},
): Promise<Instance> {
  const cpuProfiles = process.env.BENCH_BURST_CPU_PROF;
  const profiling = cpuProfiles ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfiles}`] : [];
  const child = spawn(
    process.execPath,
    [...process.execArgv, ...profiling, join(__dirname, '..', 'burst-instance.ts')],
    {
      env: {
        ...process.env,
        DATA_DIR: dir,
        PORT: '0',
        VK_SANDBOX_PORT: '0',
        VK_API_URL: sandbox.apiUrl,
        LOG_LEVEL: 'info',
        ...(PROFILE ? { BENCH_BURST_PROFILE: '1' } : {}),
        ...(options.bare ? { BENCH_BURST_BARE: '1' } : {}),
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
export async function stopInstances(instances: Instance[]): Promise<void> {
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
export function cpuTimes(instances: Instance[]): number[] {
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
