import { invalid, type MethodContext, type MethodTable, ok } from './method-context';

/** VK's per-user refusal codes of a notification (vk-api-schema: `notifications_send_message_error`). */
type RefusalCode = 1 | 2 | 3 | 4;

/** What VK says for each per-user refusal of a notification. */
const refusals: Record<RefusalCode, string> = {
  1: 'notifications are disabled',
  2: 'hourly limit reached',
  3: 'daily limit reached',
  4: 'application is not installed',
};

/**
 * `notifications.sendMessage` answers per user as VK does: code 1 for users in `notificationsOff`,
 * 4 for `appNotInstalled`, 2 within an hour of the user's last notification, 3 past three a day,
 * and a failure for the same text twice in a row; a repeated `random_id` is answered as the first
 * call was, without delivering again.
 */
export const notificationMethods: MethodTable = {
  'notifications.sendMessage': (params, context) => {
    const userIds = String(params.user_ids ?? '')
      .split(',')
      .filter(Boolean)
      .map(Number);
    if (userIds.length < 1 || userIds.length > 100) return invalid('user_ids: from 1 to 100 users');
    const text = params.message ?? '';
    if (!text) return invalid('message');
    if (text.length > 254) return invalid('message is longer than 254 characters');
    if ((params.fragment ?? '').length > 2047) return invalid('fragment is longer than 2047 characters');
    // VK drops a repeated random_id within the hour and answers as the first time.
    const dedupKey = `notify:${params.random_id ?? ''}`;
    if (params.random_id && context.notificationAnswers.has(dedupKey))
      return ok(context.notificationAnswers.get(dedupKey), 'duplicate');
    const now = context.options.now?.() ?? Date.now();
    const reached: number[] = [];
    const answer = userIds.map((userId) => {
      const refusal = notificationRefusal(context, userId, text, now);
      if (refusal === 'repeated_text')
        // VK's schema has no code for it (its codes are 1–4): the failure carries only a description.
        return {
          user_id: userId,
          status: false,
          error: { description: 'the same text as the previous one' },
        };
      if (refusal !== null)
        return { user_id: userId, status: false, error: { code: refusal, description: refusals[refusal] } };
      reached.push(userId);
      context.delivered.set(userId, [...(context.delivered.get(userId) ?? []), { at: now, text }]);
      return { user_id: userId, status: true };
    });
    if (params.random_id) context.notificationAnswers.set(dedupKey, answer);
    context.notifications.push({
      userIds: reached,
      text,
      ...(params.fragment ? { fragment: params.fragment } : {}),
    });
    return ok(answer);
  },
};

/** VK's per-user refusals of a notification: codes 1–4, and a repeated text (no code of its own). */
function notificationRefusal(
  context: MethodContext,
  userId: number,
  text: string,
  now: number,
): RefusalCode | 'repeated_text' | null {
  if (context.appNotInstalled.has(userId)) return 4;
  if (context.notificationsOff.has(userId)) return 1;
  const history = context.delivered.get(userId) ?? [];
  if (history.some((entry) => now - entry.at < 3_600_000)) return 2;
  if (history.filter((entry) => now - entry.at < 86_400_000).length >= 3) return 3;
  if (history[history.length - 1]?.text === text) return 'repeated_text';
  return null;
}
