import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { unzipSync } from 'fflate';
import { fakeCloudEnvironment } from '../../scripts/fixtures/cloud-env';

const functionNames = ['csat-followup', 'notify-dispatcher', 'ticket-api', 'vk-callback'];

describe('the build', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'build-'));
  beforeAll(() => {
    execFileSync(process.execPath, ['esbuild.config.mjs', '--outdir', outdir], { stdio: 'pipe' });
  }, 120_000);

  it.each(functionNames)(
    '%s.zip holds index.js, ydb.js and their maps, under 3.5 MB, with no dev-only code',
    (name) => {
      const zip = readFileSync(join(outdir, `${name}.zip`));
      expect(zip.length).toBeLessThan(3.5 * 1024 * 1024);
      const files = unzipSync(zip);
      expect(Object.keys(files).sort()).toEqual(['index.js', 'index.js.map', 'ydb.js', 'ydb.js.map']);
      for (const file of ['index.js', 'ydb.js']) {
        const code = Buffer.from(files[file]!).toString('utf8');
        const sources: string[] = JSON.parse(Buffer.from(files[`${file}.map`]!).toString('utf8')).sources;
        expect(
          sources.filter((source) =>
            /better-sqlite3|lib\/storage\/sqlite|queue\/embedded|scripts\/|test\/|local-aws-sqs/.test(source),
          ),
        ).toEqual([]);
        expect(code).not.toMatch(/better_sqlite3|VkSandbox|\/sandbox\/sent/);
      }
    },
  );

  it.each(functionNames)(
    '%s/index.js leaves YDB to ydb.js, which it requires only when the store is first used',
    (name) => {
      const folder = join(outdir, name);
      const sources: string[] = JSON.parse(readFileSync(join(folder, 'index.js.map'), 'utf8')).sources;
      expect(
        sources.filter((source) => /@ydbjs|@grpc|@bufbuild|nice-grpc|lib\/storage\/ydb/.test(source)),
      ).toEqual([]);
      const env = { PATH: process.env.PATH ?? '', ...fakeCloudEnvironment };
      // Loading index.js loads neither ydb.js nor HTTP/2; ydb.js opens a store from the config.
      const probe = `
        require(${JSON.stringify(join(folder, 'index.js'))});
        const loaded = Object.keys(require.cache).map((file) => file.split('/').pop());
        const http2 = process.moduleLoadList.some((entry) => entry.endsWith(' http2'));
        const { openYdbStore } = require(${JSON.stringify(join(folder, 'ydb.js'))});
        console.log(JSON.stringify({ loaded, http2, open: typeof openYdbStore }));`;
      const seen = JSON.parse(execFileSync(process.execPath, ['-e', probe], { env }).toString());
      expect(seen).toEqual({ loaded: ['index.js'], http2: false, open: 'function' });
      expect(readFileSync(join(folder, 'index.js'), 'utf8')).toContain('require("./ydb.js")');
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

  it.each(functionNames)(
    '%s leaves out @grpc/proto-loader and protobufjs, and bundles each package version once',
    (name) => {
      const folder = join(outdir, name);
      const sources: string[] = ['index.js.map', 'ydb.js.map'].flatMap(
        (map) => JSON.parse(readFileSync(join(folder, map), 'utf8')).sources as string[],
      );
      expect(sources).toContain('stub:@grpc/proto-loader');
      expect(
        sources.filter((source) => /@grpc\/proto-loader\/|\/protobufjs\/|\/@protobufjs\//.test(source)),
      ).toEqual([]);
      const foldersByPackage = new Map<string, Set<string>>();
      for (const source of sources) {
        const match = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(source);
        if (!match) continue;
        const packageFolder = resolve(folder, match[1]!);
        // Sources come through packages' own source maps too (`@js-sdsl/.build-data/…`): no manifest.
        if (!existsSync(join(packageFolder, 'package.json'))) continue;
        const manifest = JSON.parse(readFileSync(join(packageFolder, 'package.json'), 'utf8'));
        const key = `${manifest.name}@${manifest.version}`;
        foldersByPackage.set(key, (foldersByPackage.get(key) ?? new Set()).add(packageFolder));
      }
      const duplicated = [...foldersByPackage].filter(([, folders]) => folders.size > 1).map(([key]) => key);
      expect(duplicated).toEqual([]);
    },
  );

  it('grpc-js requires @grpc/proto-loader only in channelz and ORCA, where the stub stands in', () => {
    // If a grpc-js update requires it anywhere else, the stub in esbuild.config.mjs needs a new look.
    const grpcSources = join('node_modules', '@grpc', 'grpc-js', 'build', 'src');
    const requirers = readdirSync(grpcSources).filter(
      (file) =>
        file.endsWith('.js') &&
        readFileSync(join(grpcSources, file), 'utf8').includes("require('@grpc/proto-loader')"),
    );
    expect(requirers.sort()).toEqual(['channelz.js', 'orca.js']);
  });
});
