import { signLaunchParams } from '../lib/api/launch-params';
import { createLogger } from '../lib/log/logger';
import { persistedDevClock } from './local/dev-clock';
import { devDefaults } from './local/stack';

/**
 * `npm run dev:launch-params -- [userId]`: prints launch params signed the way VK signs them, with
 * VK_APP_SECRET / VK_APP_ID from the environment or the local stack's dev defaults, for the
 * `X-VK-Launch-Params` header of curl calls to the local stack. Signed at the stack's dev clock
 * (`DATA_DIR/dev-clock.json`): after `POST /dev/clock/advance` the API would find real-time params
 * stale, as VK's own would be a day later.
 */
const userId = process.argv[2] ?? '1001';
if (!/^\d{1,12}$/.test(userId)) {
  console.error('usage: npm run dev:launch-params -- <vk user id>');
  process.exit(2);
}
const devClock = persistedDevClock(process.env.DATA_DIR || '.data', createLogger({ level: 'warn' }));
const secret = process.env.VK_APP_SECRET || devDefaults.VK_APP_SECRET || '';
const appId = process.env.VK_APP_ID || devDefaults.VK_APP_ID || '';
console.log(
  signLaunchParams(
    {
      vk_user_id: userId,
      vk_app_id: appId,
      vk_ts: String(Math.floor(devClock.now() / 1000)),
      vk_language: 'ru',
      vk_platform: 'desktop_web',
      vk_are_notifications_enabled: '1',
    },
    secret,
  ),
);
