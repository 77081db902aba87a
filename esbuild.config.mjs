// Bundles each Cloud Function into dist/<name>/index.js (CommonJS, `exports.handler`, node22,
// minified, source map) and, beside it, dist/<name>/ydb.js: everything behind
// lib/storage/ydb/open.ts (the YDB SDK, gRPC, protobuf: three quarters of the code), which index.js
// requires on the first invocation that reaches the store. dist/<name>.zip holds just those files:
// no package.json, which would make the platform run `npm ci`. Fails if a zip is too big, holds
// anything dev-only, or index.js pulls YDB in at load.
//
// Every byte of index.js is parsed at cold start and most of it runs, so the bundle leaves out what
// a function never executes (`npm run bench` measures the load against bare node):
// - @grpc/proto-loader, and protobufjs behind it (~135 KB): grpc-js requires it only inside the
//   functions that serve channelz or ORCA, or read ORCA load reports for the weighted_round_robin
//   balancer, which the YDB driver never selects; a stub that throws stands in;
// - second copies of one package version: npm nests nice-grpc, nice-grpc-common and
//   abort-controller-x under several @ydbjs packages (~70 KB); each name@version is bundled once;
// - zod's JIT (lib/platform/zod-jitless.ts, imported ahead of the function).
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { zipSync } from 'fflate';

/** The platform's limit for a zip uploaded directly. */
export const ZIP_LIMIT_BYTES = 3.5 * 1024 * 1024;
/** Inputs that must never reach a function bundle: the embedded stack, the sandbox, tests. */
export const FORBIDDEN_INPUTS = [
  /node_modules\/better-sqlite3\//,
  /lib\/storage\/sqlite\//,
  /lib\/queue\/embedded/,
  /^scripts\//,
  /^test\//,
  /local-aws-sqs/,
  // The dashboard is bundled beforehand (below); esbuild itself is a dev dependency.
  /node_modules\/esbuild\//,
];

/** The one module through which a function reaches YDB; what lies behind it goes into ydb.js. */
const YDB_DOOR = 'lib/storage/ydb/open.ts';
/** Inputs that must stay out of index.js (they would be parsed by every cold start). */
export const YDB_ONLY = /node_modules\/(@ydbjs|@grpc|@bufbuild|nice-grpc)/;

/** @type {import('esbuild').Plugin} */
const ydbBehindItsDoor = {
  name: 'ydb-behind-its-door',
  setup(builder) {
    builder.onResolve({ filter: /\/storage\/ydb\/open$/ }, () => ({ path: './ydb.js', external: true }));
  },
};

/** What stands in for @grpc/proto-loader inside grpc-js: loud if anything ever calls it. */
const PROTO_LOADER_STUB = `
const unavailable = (name) => () => {
  throw new Error('@grpc/proto-loader ' + name + '() is not bundled: esbuild.config.mjs stubs it, as grpc-js needs it only for channelz and ORCA');
};
module.exports = {
  load: unavailable('load'),
  loadSync: unavailable('loadSync'),
  fromJSON: unavailable('fromJSON'),
  loadFileDescriptorSetFromBuffer: unavailable('loadFileDescriptorSetFromBuffer'),
  loadFileDescriptorSetFromObject: unavailable('loadFileDescriptorSetFromObject'),
};
`;

/** @type {import('esbuild').Plugin} */
const stubGrpcProtoLoader = {
  name: 'stub-grpc-proto-loader',
  setup(builder) {
    builder.onResolve({ filter: /^@grpc\/proto-loader$/ }, (args) =>
      /node_modules[\\/]@grpc[\\/]grpc-js[\\/]/.test(args.importer)
        ? { path: '@grpc/proto-loader', namespace: 'stub' }
        : undefined,
    );
    builder.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({
      contents: PROTO_LOADER_STUB,
      loader: 'js',
    }));
  },
};

/**
 * Every installed package by `name@version` → its shallowest folder (then alphabetical), found by
 * walking the nested node_modules folders once: the choice must not depend on the order in which
 * esbuild happens to resolve, or the zips (and their hashes, Terraform's `user_hash`) would vary.
 */
function canonicalPackageFolders(root) {
  const found = new Map();
  const visit = (modules, depth) => {
    if (!existsSync(modules)) return;
    for (const entry of readdirSync(modules)) {
      if (entry.startsWith('.')) continue;
      const folders = entry.startsWith('@')
        ? readdirSync(join(modules, entry)).map((name) => join(modules, entry, name))
        : [join(modules, entry)];
      for (const folder of folders) {
        let manifest;
        try {
          manifest = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8'));
        } catch {
          continue;
        }
        const key = `${manifest.name}@${manifest.version}`;
        const known = found.get(key);
        if (!known || depth < known.depth || (depth === known.depth && folder < known.folder))
          found.set(key, { folder, depth });
        visit(join(folder, 'node_modules'), depth + 1);
      }
    }
  };
  visit(realpathSync(join(root, 'node_modules')), 0);
  return new Map([...found].map(([key, { folder }]) => [key, folder]));
}

/** Resolves each bare import to the canonical folder of its package's name@version. */
function dedupePackages(canonical) {
  return {
    name: 'dedupe-packages',
    setup(builder) {
      builder.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (args.pluginData?.dedupe || args.kind === 'entry-point') return undefined;
        const { kind, importer, namespace, resolveDir, with: attributes } = args;
        const resolved = await builder.resolve(args.path, {
          kind,
          importer,
          namespace,
          resolveDir,
          with: attributes,
          pluginData: { dedupe: true },
        });
        if (resolved.errors.length > 0 || resolved.external || resolved.namespace !== 'file')
          return undefined;
        const match = /^(.*node_modules[\\/](?:@[^\\/]+[\\/])?[^\\/]+)([\\/].*)$/.exec(resolved.path);
        if (!match) return undefined;
        const [, folder, rest] = match;
        let manifest;
        try {
          manifest = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8'));
        } catch {
          return undefined;
        }
        const target = canonical.get(`${manifest.name}@${manifest.version}`);
        if (!target || target === folder) return undefined;
        return { ...resolved, path: target + rest };
      });
    },
  };
}

/**
 * The operators' dashboard (dashboard/index.html, dashboard/app.ts bundled for a browser with the
 * options lib/dashboard/sources.ts uses) put in place of lib/dashboard/sources.ts, which would
 * bundle it with esbuild at run time: the function serves the page from its own index.js.
 */
async function prebuiltDashboard() {
  const script = await build({
    entryPoints: ['dashboard/app.ts'],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    minify: true,
    legalComments: 'none',
    charset: 'utf8',
    write: false,
    logLevel: 'warning',
  });
  const sources = { html: readFileSync('dashboard/index.html', 'utf8'), script: script.outputFiles[0].text };
  /** @type {import('esbuild').Plugin} */
  return {
    name: 'prebuilt-dashboard',
    setup(builder) {
      builder.onResolve({ filter: /\/dashboard\/sources$/ }, () => ({
        path: 'sources',
        namespace: 'dashboard',
      }));
      builder.onLoad({ filter: /.*/, namespace: 'dashboard' }, () => ({
        contents: `const sources = ${JSON.stringify(sources)};\nexport const dashboardSources = async () => sources;\n`,
        loader: 'js',
      }));
    },
  };
}

const outdirFlag = process.argv.indexOf('--outdir');
const outdir = outdirFlag > 0 ? process.argv[outdirFlag + 1] : 'dist';
const functionNames = readdirSync('functions', { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();

const canonical = canonicalPackageFolders(process.cwd());
const dashboard = await prebuiltDashboard();
rmSync(outdir, { recursive: true, force: true });
let failed = false;
for (const name of functionNames) {
  const folder = join(outdir, name);
  mkdirSync(folder, { recursive: true });
  const common = {
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node22',
    minify: true,
    sourcemap: 'external',
    sourcesContent: false,
    metafile: true,
    legalComments: 'none',
    logLevel: 'warning',
    // `import()` becomes `require()`, so index.js loads ./ydb.js only when the store is first used.
    supported: { 'dynamic-import': false },
  };
  const main = await build({
    ...common,
    // The function's module, after lib/platform/zod-jitless.ts: imports evaluate in order, so zod is
    // configured before any schema is built.
    stdin: {
      contents: `import './lib/platform/zod-jitless';\nexport * from './functions/${name}/index';\n`,
      resolveDir: process.cwd(),
      sourcefile: `functions/${name}/bundle-entry.ts`,
      loader: 'ts',
    },
    outfile: join(folder, 'index.js'),
    plugins: [ydbBehindItsDoor, stubGrpcProtoLoader, dashboard, dedupePackages(canonical)],
  });
  const ydb = await build({
    ...common,
    entryPoints: [YDB_DOOR],
    outfile: join(folder, 'ydb.js'),
    plugins: [stubGrpcProtoLoader, dedupePackages(canonical)],
  });
  const inputs = [...Object.keys(main.metafile.inputs), ...Object.keys(ydb.metafile.inputs)];
  const forbidden = inputs.filter((input) => FORBIDDEN_INPUTS.some((pattern) => pattern.test(input)));
  const ydbAtLoad = Object.keys(main.metafile.inputs).filter((input) => YDB_ONLY.test(input));
  const files = {
    'index.js': readFileSync(join(folder, 'index.js')),
    'index.js.map': readFileSync(join(folder, 'index.js.map')),
    'ydb.js': readFileSync(join(folder, 'ydb.js')),
    'ydb.js.map': readFileSync(join(folder, 'ydb.js.map')),
  };
  const zip = zipSync(files, { level: 9, mtime: new Date('2026-01-01T00:00:00Z') });
  writeFileSync(join(outdir, `${name}.zip`), zip);
  writeFileSync(join(outdir, `${name}.zip.sha256`), createHash('sha256').update(zip).digest('hex'));
  const kb = (bytes) => `${(bytes / 1024).toFixed(0)} KB`;
  console.log(
    `${name.padEnd(18)} zip ${kb(zip.length).padStart(8)}  (index.js ${kb(files['index.js'].length)}, ydb.js ${kb(files['ydb.js'].length)}; limit ${kb(ZIP_LIMIT_BYTES)})`,
  );
  if (zip.length > ZIP_LIMIT_BYTES) {
    console.error(`  ✗ ${name}.zip is over the ${kb(ZIP_LIMIT_BYTES)} limit`);
    failed = true;
  }
  if (ydbAtLoad.length > 0) {
    console.error(`  ✗ ${name}/index.js loads YDB at cold start: ${ydbAtLoad.slice(0, 5).join(', ')}`);
    failed = true;
  }
  if (forbidden.length > 0) {
    console.error(`  ✗ ${name} bundles dev-only code: ${forbidden.join(', ')}`);
    failed = true;
  }
}
if (failed) process.exit(1);
