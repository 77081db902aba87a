import type { Repositories, TicketRecord } from '../storage/port';

/**
 * A finished ticket's follow-up: a message to a closed ticket (or one resolved before the reopen
 * window) starts a new ticket linked to it (`details.linkedTo`), and the finished ticket records it
 * (`details.followUp`). The user's next messages to the finished ticket go to that follow-up while it
 * can take them, as the mini app keeps showing the old thread: one new ticket per return, not one per
 * message (each would spend the hourly ticket budget).
 */

/** Follow-ups followed at most this deep: a chain longer than this is a user returning again and again. */
const FOLLOW_UP_HOPS = 5;

/** Whether a message to the ticket starts a new one: closed, or resolved longer ago than the window. */
export function isBeyondReopen(ticket: TicketRecord, now: number, reopenWindowMs: number): boolean {
  if (ticket.status === 'closed') return true;
  const resolvedAt = typeof ticket.details.resolvedAt === 'number' ? ticket.details.resolvedAt : null;
  return ticket.status === 'resolved' && resolvedAt !== null && now - resolvedAt > reopenWindowMs;
}

/**
 * The ticket a message to `ticket` belongs to: `ticket` itself, unless it is finished and has a
 * follow-up of the same user, then that follow-up's (recursively). The last one reached may itself
 * be finished: the caller then starts a new follow-up from it.
 */
export async function followUpOf(
  repositories: Repositories,
  ticket: TicketRecord,
  now: number,
  reopenWindowMs: number,
): Promise<TicketRecord> {
  let current = ticket;
  for (let hop = 0; hop < FOLLOW_UP_HOPS && isBeyondReopen(current, now, reopenWindowMs); hop++) {
    const number = current.details.followUp;
    if (typeof number !== 'string') break;
    const next = await repositories.tickets.getByNumber(number);
    if (!next || next.userId !== ticket.userId) break;
    current = next;
  }
  return current;
}
