import { DAY } from '../clock';
import { utcDay } from '../notifications/daily-cap';
import type { Repositories } from '../storage/port';

/**
 * Claims one of a user's marketing community messages of the UTC day (`MARKETING_MESSAGES_DAILY_CAP`),
 * in the caller's transaction with the send it allows: keys `marketing-message:<user>:<day>:<n>`, the
 * first free one taken. Ticket messages never come here, so support answers are never held by it.
 * False when the day's are all taken.
 */
export async function claimMarketingMessage(
  repositories: Repositories,
  userId: number,
  now: number,
  dailyCap: number,
  sendKey: string,
): Promise<boolean> {
  const day = utcDay(now);
  for (let n = 1; n <= dailyCap; n++) {
    const outcome = await repositories.claims.take({
      key: `marketing-message:${userId}:${day}:${n}`,
      value: { sendKey },
      createdAt: now,
      expiresAt: now + 2 * DAY,
    });
    if (outcome !== 'held') return true;
  }
  return false;
}
