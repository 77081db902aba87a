import * as z from 'zod';
import type { UserRecord } from '../storage/port';

/** Who filed a ticket, as operators' views and CRM webhooks show them. */
export const requesterSchema = z
  .strictObject({
    userId: z.number().int().positive(),
    /** The first name VK gave when the user wrote or opened the app; null until it is known. */
    name: z.string().nullable(),
    profileUrl: z.url(),
  })
  .meta({ id: 'Requester' });
export type Requester = z.infer<typeof requesterSchema>;

/**
 * Who filed a ticket, for operators and the CRM: the VK id, the name the bot knows, the profile
 * link. Read from the user's record when asked, so an erased user (a ticket's `userId` null) is `null`.
 */
export function requesterOf(userId: number | null, user: UserRecord | null): Requester | null {
  if (userId === null) return null;
  return { userId, name: user?.firstName ?? null, profileUrl: `https://vk.com/id${userId}` };
}
