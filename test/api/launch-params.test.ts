import { signatureMatches, signLaunchParams, verifyLaunchParams } from '../../lib/api/launch-params';

describe('launch params', () => {
  it("accepts VK's official test vector", () => {
    const query =
      'vk_user_id=494075&vk_app_id=6736218&vk_is_app_user=1&vk_are_notifications_enabled=1&vk_language=ru&vk_access_token_settings=&vk_platform=android';
    const params = new URLSearchParams(query);
    expect(
      signatureMatches(params, 'htQFduJpLxz7ribXRZpDFUH-XEUhC9rBPTJkjUFEkRA', 'wvl68m4dR1UpLrVRli'),
    ).toBe(true);
    expect(
      signatureMatches(params, 'htQFduJpLxz7ribXRZpDFUH-XEUhC9rBPTJkjUFEkRB', 'wvl68m4dR1UpLrVRli'),
    ).toBe(false);
    expect(signatureMatches(params, 'htQFduJpLxz7ribXRZpDFUH-XEUhC9rBPTJkjUFEkRA', 'another-key')).toBe(
      false,
    );
  });

  const now = Date.UTC(2026, 10, 21, 12, 0, 0);
  const options = { appSecret: 'app-secret', appId: 51000001, now, maxAgeSeconds: 86_400 };
  const signed = (overrides: Record<string, string> = {}) =>
    signLaunchParams(
      {
        vk_user_id: '1001',
        vk_app_id: '51000001',
        vk_ts: String(now / 1000 - 60),
        vk_language: 'en',
        vk_are_notifications_enabled: '0',
        vk_platform: 'mobile_android',
        ...overrides,
      },
      'app-secret',
    );

  it('gives the identity of fresh, correctly signed params, whatever unsigned params ride along', () => {
    const result = verifyLaunchParams(`${signed()}&utm_source=x`, options);
    expect(result).toEqual({
      ok: true,
      identity: expect.objectContaining({ userId: 1001, language: 'en', notificationsEnabled: false }),
    });
  });

  it('refuses a changed user id, stale or future params, another app, and nothing at all', () => {
    expect(verifyLaunchParams(signed().replace('vk_user_id=1001', 'vk_user_id=1002'), options)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
    expect(verifyLaunchParams(signed({ vk_ts: String(now / 1000 - 86_401) }), options)).toEqual({
      ok: false,
      reason: 'stale',
    });
    expect(verifyLaunchParams(signed({ vk_ts: String(now / 1000 + 3600) }), options)).toEqual({
      ok: false,
      reason: 'stale',
    });
    expect(verifyLaunchParams(signed({ vk_app_id: '7' }), options)).toEqual({
      ok: false,
      reason: 'wrong_app',
    });
    expect(verifyLaunchParams(undefined, options)).toEqual({ ok: false, reason: 'missing' });
    expect(verifyLaunchParams('vk_user_id=1', options)).toEqual({ ok: false, reason: 'missing' });
  });
});
