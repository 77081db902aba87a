import { signLaunchParams } from '../lib/api/launch-params';
import { devDefaults } from './local/stack';

/**
 * `npm run dev:launch-params -- [userId]`: prints launch params signed the way VK signs them, with
 * VK_APP_SECRET / VK_APP_ID from the environment or the local stack's dev defaults, for the
 * `X-VK-Launch-Params` header of curl calls to the local stack.
 */
const userId = process.argv[2] ?? '1001';
if (!/^\d{1,12}$/.test(userId)) {
  console.error('usage: npm run dev:launch-params -- <vk user id>');
  process.exit(2);
}
const secret = process.env.VK_APP_SECRET || devDefaults.VK_APP_SECRET || '';
const appId = process.env.VK_APP_ID || devDefaults.VK_APP_ID || '';
console.log(
  signLaunchParams(
    {
      vk_user_id: userId,
      vk_app_id: appId,
      vk_ts: String(Math.floor(Date.now() / 1000)),
      vk_language: 'ru',
      vk_platform: 'desktop_web',
      vk_are_notifications_enabled: '1',
    },
    secret,
  ),
);
