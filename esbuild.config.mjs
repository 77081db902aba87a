// Bundles each Cloud Function into dist/<name>/index.js (CommonJS, `exports.handler`, node22,
// minified, source map) and dist/<name>.zip holding just those files: no package.json, which would
// make the platform run `npm ci`. Fails if a zip is too big or holds anything dev-only.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
];

const outdirFlag = process.argv.indexOf('--outdir');
const outdir = outdirFlag > 0 ? process.argv[outdirFlag + 1] : 'dist';
const functionNames = readdirSync('functions', { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();

rmSync(outdir, { recursive: true, force: true });
let failed = false;
for (const name of functionNames) {
  const folder = join(outdir, name);
  mkdirSync(folder, { recursive: true });
  const result = await build({
    entryPoints: [`functions/${name}/index.ts`],
    outfile: join(folder, 'index.js'),
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
  });
  const forbidden = Object.keys(result.metafile.inputs).filter((input) =>
    FORBIDDEN_INPUTS.some((pattern) => pattern.test(input)),
  );
  const files = {
    'index.js': readFileSync(join(folder, 'index.js')),
    'index.js.map': readFileSync(join(folder, 'index.js.map')),
  };
  const zip = zipSync(files, { level: 9, mtime: new Date('2026-01-01T00:00:00Z') });
  writeFileSync(join(outdir, `${name}.zip`), zip);
  writeFileSync(join(outdir, `${name}.zip.sha256`), createHash('sha256').update(zip).digest('hex'));
  const kb = (bytes) => `${(bytes / 1024).toFixed(0)} KB`;
  console.log(
    `${name.padEnd(18)} zip ${kb(zip.length).padStart(8)}  (index.js ${kb(files['index.js'].length)}, limit ${kb(ZIP_LIMIT_BYTES)})`,
  );
  if (zip.length > ZIP_LIMIT_BYTES) {
    console.error(`  ✗ ${name}.zip is over the ${kb(ZIP_LIMIT_BYTES)} limit`);
    failed = true;
  }
  if (forbidden.length > 0) {
    console.error(`  ✗ ${name} bundles dev-only code: ${forbidden.join(', ')}`);
    failed = true;
  }
}
if (failed) process.exit(1);
