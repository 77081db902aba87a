import { createHmac, timingSafeEqual } from 'node:crypto';

export interface LaunchIdentity {
  userId: number;
  appId: number;
  /** `vk_language` mapped to the languages the product speaks. */
  language: 'ru' | 'en';
  notificationsEnabled: boolean;
  platform: string | null;
  signedAt: number;
}

export type LaunchParamsFailure = 'missing' | 'bad_signature' | 'stale' | 'wrong_app' | 'malformed';

/**
 * Verifies VK mini app launch params (the query string VK opened the app with), as VK documents:
 * take every `vk_*` param (the list changes over time, so none is hard-coded), sort by key, join
 * `key=encodeURIComponent(value)` with `&`, HMAC-SHA256 with the app's protected key, base64url
 * without padding, compare with `sign` in constant time. Freshness (`vk_ts`) is our addition.
 */
export function verifyLaunchParams(
  raw: string | undefined,
  options: { appSecret: string; appId: number; now: number; maxAgeSeconds: number },
): { ok: true; identity: LaunchIdentity } | { ok: false; reason: LaunchParamsFailure } {
  if (!raw) return { ok: false, reason: 'missing' };
  const params = new URLSearchParams(raw.startsWith('?') ? raw.slice(1) : raw);
  const sign = params.get('sign');
  if (!sign) return { ok: false, reason: 'missing' };
  if (!signatureMatches(params, sign, options.appSecret)) return { ok: false, reason: 'bad_signature' };

  const userId = Number(params.get('vk_user_id'));
  const appId = Number(params.get('vk_app_id'));
  const signedAt = Number(params.get('vk_ts'));
  if (!Number.isSafeInteger(userId) || userId <= 0 || !Number.isSafeInteger(signedAt)) {
    return { ok: false, reason: 'malformed' };
  }
  if (appId !== options.appId) return { ok: false, reason: 'wrong_app' };
  const ageSeconds = options.now / 1000 - signedAt;
  // A little clock skew into the future is tolerated; a launch from tomorrow is not.
  if (ageSeconds > options.maxAgeSeconds || ageSeconds < -300) return { ok: false, reason: 'stale' };
  return {
    ok: true,
    identity: {
      userId,
      appId,
      language: params.get('vk_language')?.startsWith('ru') === false ? 'en' : 'ru',
      notificationsEnabled: params.get('vk_are_notifications_enabled') === '1',
      platform: params.get('vk_platform'),
      signedAt: signedAt * 1000,
    },
  };
}

/** The signature check alone (VK's own test vector exercises it). */
export function signatureMatches(params: URLSearchParams, sign: string, appSecret: string): boolean {
  // Compare the encoded strings: base64 decoding ignores a last character's spare bits, so a
  // tampered `sign` could decode to the right bytes.
  const expected = Buffer.from(launchParamsDigest(params.entries(), appSecret).toString('base64url'));
  const presented = Buffer.from(sign);
  return presented.length === expected.length && timingSafeEqual(presented, expected);
}

/** Signs launch params the way VK does: for the dev script, the local stack and tests. */
export function signLaunchParams(params: Record<string, string>, appSecret: string): string {
  const sign = launchParamsDigest(Object.entries(params), appSecret).toString('base64url');
  return `${new URLSearchParams(params).toString()}&sign=${sign}`;
}

function launchParamsDigest(entries: Iterable<[string, string]>, appSecret: string): Buffer {
  const signed = [...entries]
    .filter(([key]) => key.startsWith('vk_'))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => `${key}=${encodeURIComponent(value)}`)
    .join('&');
  return createHmac('sha256', appSecret).update(signed).digest();
}
