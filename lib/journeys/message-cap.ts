import { DAY } from '../clock';
import { utcDay } from '../notifications/daily-cap';
import type { Repositories } from '../storage/port';

const slotKey = (userId: number, day: string, slot: number) => `marketing-message:${userId}:${day}:${slot}`;

/**
 * Claims one of a user's marketing community messages of the UTC day (`MARKETING_MESSAGES_DAILY_CAP`),
 * in the caller's transaction with the send it allows: keys `marketing-message:<user>:<day>:<n>`, the
 * first free one taken. Ticket messages never come here, so support answers are never held by it.
 * Journeys' steps and daily campaigns' messages share it. False when the day's are all taken.
 */
export async function claimMarketingMessage(
  repositories: Repositories,
  userId: number,
  now: number,
  dailyCap: number,
  sendKey: string,
): Promise<boolean> {
  return (await takeMarketingMessageSlot(repositories, userId, now, dailyCap, sendKey)) !== null;
}

/** As `claimMarketingMessage`, answering which of the day's messages (1…cap) was taken, or null. */
export async function takeMarketingMessageSlot(
  repositories: Repositories,
  userId: number,
  now: number,
  dailyCap: number,
  sendKey: string,
): Promise<number | null> {
  const day = utcDay(now);
  for (let n = 1; n <= dailyCap; n++) {
    const outcome = await repositories.claims.take({
      key: slotKey(userId, day, n),
      value: { sendKey },
      createdAt: now,
      expiresAt: now + 2 * DAY,
    });
    if (outcome !== 'held') return n;
  }
  return null;
}

/** Gives a taken message back (VK certainly sent nothing): the claim expires now, and is free again. */
export async function releaseMarketingMessageSlot(
  repositories: Repositories,
  key: { userId: number; day: string; slot: number },
  now: number,
): Promise<void> {
  await repositories.claims.put({
    key: slotKey(key.userId, key.day, key.slot),
    value: { released: true },
    createdAt: now,
    expiresAt: now,
  });
}
