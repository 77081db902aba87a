import { DAY } from '../../lib/clock';
import type { Store, UserRecord } from '../../lib/storage/port';
import { newUserRecord } from '../../lib/users/account';

/**
 * Users a campaign's segment can find, written straight to the store: each registered 10 days ago
 * (notifications on, Russian, `changes` on top) with one event `daysAgo` days back (by default the
 * quiz started two days ago, which `quiz-unfinished` looks for).
 */
export async function seedAudience(
  store: Store,
  now: number,
  users: ReadonlyArray<{ userId: number; changes?: Partial<UserRecord> }>,
  event: { name?: string; daysAgo?: number; eventPrefix?: string; screen?: string | null } = {},
): Promise<void> {
  const { name = 'quiz_start', daysAgo = 2, eventPrefix = 'start', screen = 'quiz' } = event;
  await store.transaction(async (r) => {
    for (const { userId, changes } of users) {
      await r.users.put(
        newUserRecord(userId, now - 10 * DAY, { notificationsAllowed: true, language: 'ru', ...changes }),
      );
      await r.events.append([
        {
          userId,
          eventId: `${eventPrefix}-${userId}`,
          name,
          occurredAt: now - daysAgo * DAY,
          screen,
          props: {},
        },
      ]);
    }
  });
}
