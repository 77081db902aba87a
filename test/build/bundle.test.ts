import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { fakeCloudEnvironment } from '../../scripts/fixtures/cloud-env';

const functionNames = ['csat-followup', 'notify-dispatcher', 'ticket-api', 'vk-callback'];

describe('the build', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'build-'));
  beforeAll(() => {
    execFileSync(process.execPath, ['esbuild.config.mjs', '--outdir', outdir], { stdio: 'pipe' });
  }, 120_000);

  it.each(functionNames)(
    '%s.zip holds only index.js and its map, under 3.5 MB, with no dev-only code',
    (name) => {
      const zip = readFileSync(join(outdir, `${name}.zip`));
      expect(zip.length).toBeLessThan(3.5 * 1024 * 1024);
      const files = unzipSync(zip);
      expect(Object.keys(files).sort()).toEqual(['index.js', 'index.js.map']);
      const code = Buffer.from(files['index.js']!).toString('utf8');
      const sources: string[] = JSON.parse(Buffer.from(files['index.js.map']!).toString('utf8')).sources;
      expect(
        sources.filter((source) =>
          /better-sqlite3|lib\/storage\/sqlite|queue\/embedded|scripts\/|test\/|local-aws-sqs/.test(source),
        ),
      ).toEqual([]);
      expect(code).not.toMatch(/better_sqlite3|VkSandbox|\/sandbox\/sent/);
    },
  );

  it.each(functionNames)(
    '%s exports handler and stops at cold start naming every missing variable',
    (name) => {
      const file = join(outdir, name, 'index.js');
      const probe = `try { require(${JSON.stringify(file)}); console.log('loaded') } catch (e) { console.log(e.message) }`;
      const bare = execFileSync(process.execPath, ['-e', probe], {
        env: { PATH: process.env.PATH ?? '' },
      }).toString();
      expect(bare).toContain('YDB_CONNECTION_STRING: is required');
      expect(bare).toContain('YMQ_DEFERRED_QUEUE_URL: is required');
      const env = { PATH: process.env.PATH ?? '', ...fakeCloudEnvironment };
      const typeProbe = `console.log(typeof require(${JSON.stringify(file)}).handler)`;
      expect(execFileSync(process.execPath, ['-e', typeProbe], { env }).toString().trim()).toBe('function');
    },
  );
});
