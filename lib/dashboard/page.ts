import { createHash } from 'node:crypto';
import type { DashboardSources } from './sources';

/** Where dashboard/index.html wants its script: replaced by the bundle, inline. */
export const SCRIPT_SLOT = '<script data-bundle="app.ts"></script>';

export interface DashboardPage {
  html: string;
  headers: Record<string, string>;
}

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/**
 * The page as served: the bundle inlined into the HTML, and a Content-Security-Policy that allows
 * exactly that script and the page's own `<style>` (by their hashes), fetches to this origin only,
 * and nothing else: no other script, frame, form target or base URL. One request, no second route.
 */
export function assembleDashboardPage(sources: DashboardSources): DashboardPage {
  if (!sources.html.includes(SCRIPT_SLOT)) throw new Error(`dashboard/index.html lacks ${SCRIPT_SLOT}`);
  // `</script` inside the bundle would end the inline element early; esbuild escapes it in strings.
  if (/<\/script/i.test(sources.script)) throw new Error('the dashboard bundle contains </script');
  const styles = [...sources.html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((match) => match[1] ?? '');
  const html = sources.html.replace(SCRIPT_SLOT, () => `<script>${sources.script}</script>`);
  const policy = [
    "default-src 'none'",
    `script-src ${sha256(sources.script)}`,
    `style-src ${styles.map(sha256).join(' ') || "'none'"}`,
    "img-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return {
    html,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': policy,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'x-frame-options': 'DENY',
      'cache-control': 'no-cache',
    },
  };
}
