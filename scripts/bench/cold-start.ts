import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fakeCloudEnvironment } from '../fixtures/cloud-env';

/**
 * Cold-start cost of each built function (`npm run build` first): the wall time of a `node` process
 * that loads the bundle and checks it exports `handler`, with a complete environment so config
 * parsing is included, against bare `node -e ""` measured in the same rounds. Rounds interleave
 * bare node and every function, after one warm-up round, so drift on a shared machine hits all
 * alike; each figure is the median. Targets: load ≤ 3× bare node, zip under 1.5 MB. Exits 1 when a
 * function misses one.
 *
 * The YDB SDK sits in ydb.js beside index.js and is loaded by the first invocation that reaches the
 * store; the last column is load plus that file, what such a first invocation pays before any
 * network (not a target: the SDK alone is about 3.7× bare node here, see the README).
 */
const rounds = 21;
const maxRatio = 3;
const zipLimitBytes = 1.5 * 1024 * 1024;
const env = { PATH: process.env.PATH ?? '', ...fakeCloudEnvironment };

const functionNames = readdirSync('functions', { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();
const probes: { name: string; args: string[] }[] = [
  { name: 'bare', args: ['-e', ''] },
  ...functionNames.flatMap((name) => {
    const file = JSON.stringify(join(process.cwd(), 'dist', name, 'index.js'));
    const ydb = JSON.stringify(join(process.cwd(), 'dist', name, 'ydb.js'));
    const loads = `if (typeof require(${file}).handler !== 'function') process.exit(3);`;
    return [
      { name, args: ['-e', loads] },
      {
        name: `${name}+ydb`,
        args: ['-e', `${loads} if (typeof require(${ydb}).openYdbStore !== 'function') process.exit(4)`],
      },
    ];
  }),
];

function timeMs(args: string[]): number {
  const start = process.hrtime.bigint();
  execFileSync(process.execPath, args, { env, stdio: 'pipe' });
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const samples = new Map<string, number[]>(probes.map(({ name }) => [name, []]));
for (let round = -1; round < rounds; round++) {
  for (const { name, args } of probes) {
    const ms = timeMs(args);
    if (round >= 0) samples.get(name)!.push(ms);
  }
}
const median = (name: string) => {
  const sorted = [...samples.get(name)!].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

const bare = median('bare');
const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KB`;
console.log(
  `cold start, median of ${rounds} rounds (node ${process.version}): bare node -e "" ${bare.toFixed(0)} ms`,
);
console.log(`targets: load ≤ ${maxRatio.toFixed(2)}× bare node, zip < ${kb(zipLimitBytes)}\n`);
console.log(
  `${'function'.padEnd(18)}  ${'zip'.padStart(8)}  ${'load'.padStart(7)}  ${'overhead'.padStart(8)}  ratio (target)             with ydb.js (first store use)`,
);
let failed = false;
for (const name of functionNames) {
  const zipBytes = statSync(join('dist', `${name}.zip`)).size;
  const load = median(name);
  const ratio = load / bare;
  const zipOk = zipBytes < zipLimitBytes;
  const loadOk = ratio <= maxRatio;
  failed ||= !zipOk || !loadOk;
  const verdict = [loadOk ? 'ok' : `OVER ${maxRatio}×`, ...(zipOk ? [] : ['zip OVER'])].join(', ');
  const withYdb = median(`${name}+ydb`);
  console.log(
    `${name.padEnd(18)}  ${kb(zipBytes).padStart(8)}  ${`${load.toFixed(0)} ms`.padStart(7)}  ${`+${(load - bare).toFixed(0)} ms`.padStart(8)}  ${ratio.toFixed(2)}× bare  ${verdict.padEnd(12)}  ${`${withYdb.toFixed(0)} ms`.padStart(7)}  ${(withYdb / bare).toFixed(2)}× bare`,
  );
}
if (failed) process.exitCode = 1;
