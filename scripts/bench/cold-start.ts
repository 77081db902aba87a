import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fakeCloudEnvironment } from '../fixtures/cloud-env';

/**
 * Cold-start cost of each built function: the time `node` takes to load its bundle (with a valid
 * environment, so config parsing is included) against bare `node -e ""`, measured in the same run,
 * median of several runs each. Targets: every zip under 1.5 MB, import overhead under 150 ms.
 */
const runs = 9;
const env = { PATH: process.env.PATH ?? '', ...fakeCloudEnvironment };

function medianMs(args: string[]): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    execFileSync(process.execPath, args, { env });
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

const bare = medianMs(['-e', '']);
console.log(`bare node -e "": ${bare.toFixed(0)} ms (median of ${runs})\n`);
console.log('function            zip (limit 1536 KB)   load    overhead (limit 150 ms)');
let failed = false;
for (const name of readdirSync('functions').sort()) {
  const zipBytes = statSync(join('dist', `${name}.zip`)).size;
  const load = medianMs(['-e', `require(${JSON.stringify(join(process.cwd(), 'dist', name, 'index.js'))})`]);
  const overhead = load - bare;
  const zipOk = zipBytes < 1.5 * 1024 * 1024;
  const loadOk = overhead < 150;
  failed ||= !zipOk || !loadOk;
  console.log(
    `${name.padEnd(18)}  ${`${(zipBytes / 1024).toFixed(0)} KB`.padStart(8)} ${zipOk ? 'ok ' : 'OVER'}        ${`${load.toFixed(0)} ms`.padStart(6)}  ${`+${overhead.toFixed(0)} ms`.padStart(7)} (${(load / bare).toFixed(2)}× bare) ${loadOk ? 'ok' : 'OVER'}`,
  );
}
if (failed) process.exitCode = 1;
