import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The operators' dashboard as written: dashboard/index.html, and dashboard/app.ts with what it imports
 * (dashboard/*.ts, dashboard/panels/) bundled for a browser.
 */
export interface DashboardSources {
  html: string;
  script: string;
}

/** How dashboard/app.ts is bundled; esbuild.config.mjs bundles it the same way for the function. */
const BUNDLE_OPTIONS = {
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: 'es2020',
  minify: true,
  legalComments: 'none',
  charset: 'utf8',
} as const;

const folder = join(__dirname, '../../dashboard');
let cached: { key: string; sources: Promise<DashboardSources> } | undefined;

/**
 * The page and its script, read from dashboard/ and bundled with esbuild's API on first use (again
 * when any file under dashboard/ changes, appears or goes: the script is split over many files), so
 * `npm start` and the tests need no build step. esbuild is a dev dependency: the function build
 * replaces this module with one holding both, prebuilt (esbuild.config.mjs), and refuses a bundle
 * that pulls esbuild in.
 */
export async function dashboardSources(): Promise<DashboardSources> {
  const key = await folderStamp();
  if (cached?.key !== key) {
    const sources = bundle();
    cached = { key, sources };
    sources.catch(() => {
      if (cached?.sources === sources) cached = undefined;
    });
  }
  return cached.sources;
}

/** Each file and folder under dashboard/ with its modification time, in name order. */
async function folderStamp(): Promise<string> {
  const names = (await readdir(folder, { recursive: true })).sort();
  const stamps = await Promise.all(
    names.map((name) =>
      stat(join(folder, name)).then(
        (info) => `${name}@${info.mtimeMs}`,
        // Gone between the listing and now (an editor saving by rename): a change all the same.
        () => `${name}@gone`,
      ),
    ),
  );
  return stamps.join('\n');
}

async function bundle(): Promise<DashboardSources> {
  const { build } = await import('esbuild');
  const [html, result] = await Promise.all([
    readFile(join(folder, 'index.html'), 'utf8'),
    build({ ...BUNDLE_OPTIONS, entryPoints: [join(folder, 'app.ts')], write: false, logLevel: 'silent' }),
  ]);
  return { html, script: result.outputFiles[0]?.text ?? '' };
}
