import { createHash } from 'node:crypto';
import { HOUR } from '../clock';
import type { Repositories } from '../storage/port';
import { TicketError } from './errors';

// One hourly limit for every path that files a ticket, and the claim keys of Idempotency-Keys.

/**
 * Spends one of the user's tickets of the hour, or refuses with `too_many_tickets` having written
 * nothing (a caller's transaction that catches the refusal can go on). Every path that files a
 * ticket comes through here, in the transaction that inserts it, so a filing rolled back gives
 * its place back.
 *
 * The times of the user's tickets of the last hour are one claim row, read and rewritten in this
 * transaction. That makes the check and the count one step: SQLite runs write transactions one at
 * a time, and of two YDB transactions that read the row and both write it the second is aborted,
 * and its re-run reads the first one's ticket.
 */
export async function spendTicketBudget(
  repositories: Repositories,
  userId: number,
  now: number,
  limit: number,
): Promise<void> {
  const key = ticketBudgetKey(userId);
  const held = await repositories.claims.get(key, now);
  const decision = admitTicket(ticketTimes(held?.value), now, limit);
  if (!decision.admitted) {
    throw new TicketError('too_many_tickets', `At most ${limit} tickets an hour.`, {
      retryAfterSeconds: decision.retryAfterSeconds,
    });
  }
  await repositories.claims.put({
    key,
    value: { createdAt: decision.times },
    createdAt: held?.createdAt ?? now,
    // Once the newest ticket is an hour old the row says nothing any more.
    expiresAt: Math.max(...decision.times) + HOUR,
  });
}

/**
 * The claim holding the times of a user's tickets of the last hour (see `spendTicketBudget`):
 * hashed like an Idempotency-Key's, so the claims table still names no user; it expires an hour
 * after the user's last ticket.
 */
function ticketBudgetKey(userId: number): string {
  return `ticket-limit:${createHash('sha256').update(`ticket-limit\u0000${userId}`).digest('base64url')}`;
}

function ticketTimes(value: Record<string, unknown> | undefined): number[] {
  const times = value?.createdAt;
  return Array.isArray(times) ? times.filter((at): at is number => typeof at === 'number') : [];
}

/**
 * Whether a user who filed tickets at `times` may file one more at `now`, at most `limit` in any
 * hour: if so, the times to keep (this one included); if not, when a place frees up.
 */
function admitTicket(
  times: readonly number[],
  now: number,
  limit: number,
): { admitted: true; times: number[] } | { admitted: false; retryAfterSeconds: number } {
  const inWindow = times.filter((at) => at > now - HOUR).sort((a, b) => a - b);
  // The ticket whose leaving the window brings the count below the limit (the oldest, at the limit).
  const blocking = inWindow[inWindow.length - limit];
  if (blocking !== undefined) {
    return { admitted: false, retryAfterSeconds: Math.max(1, Math.ceil((blocking + HOUR - now) / 1000)) };
  }
  return { admitted: true, times: [...inWindow, now] };
}

/**
 * The claim key of an Idempotency-Key: hashed with the user id, so keys of different users never
 * collide and the claims table holds no user id (erasure need not find it; it expires in a day).
 */
export function idempotencyClaimKey(userId: number, key: string): string {
  return `idem:${createHash('sha256').update(`${userId}\u0000${key}`).digest('base64url')}`;
}
