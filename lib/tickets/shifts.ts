import { randomUUID } from 'node:crypto';
import type { OperatorShiftRecord, Repositories, TicketRecord } from '../storage/port';
import { isOnShift, nextOnShift } from './routing';

/**
 * Operators' shifts in their chats (`/shift on`, `/shift off`) and the rotation that gives each new
 * ticket of a chat to the next operator on shift there. Everything runs in the caller's transaction:
 * the rotation reads the chat's shifts and writes its pick's `lastAssignedAt` in the transaction that
 * files the ticket, so of two tickets filed at once the second reads the first's pick (SQLite runs
 * them one after the other; YDB aborts the second, which read the row the first wrote, and re-runs it).
 */

/** More than any chat has on shift at once; the rotation reads at most this many. */
export const SHIFT_LIST_LIMIT = 100;

/**
 * Starts the operator's shift in the chat; false (nothing changed but the name) if already on it. A
 * shift that ended on its own (past `shiftMs`) starts anew, as after `/shift off`.
 */
export async function startShift(
  repositories: Repositories,
  shift: { chatPeerId: number; operatorId: number; name: string | null },
  now: number,
  shiftMs: number,
): Promise<boolean> {
  const current = await repositories.shifts.get(shift.chatPeerId, shift.operatorId);
  if (current && isOnShift(current, now, shiftMs)) {
    if (shift.name !== null && current.name !== shift.name)
      await repositories.shifts.put({ ...current, name: shift.name });
    return false;
  }
  await repositories.shifts.put({ ...shift, onSince: now, lastAssignedAt: null });
  return true;
}

/**
 * Ends the operator's shift in the chat (the row goes, ended on its own or not); false if they were
 * not on shift at `now`.
 */
export async function endShift(
  repositories: Repositories,
  chatPeerId: number,
  operatorId: number,
  now: number,
  shiftMs: number,
): Promise<boolean> {
  const current = await repositories.shifts.get(chatPeerId, operatorId);
  if (!current) return false;
  await repositories.shifts.delete(chatPeerId, operatorId);
  return isOnShift(current, now, shiftMs);
}

/** The chat's operators on shift at `now` (rows of shifts that ended on their own are left out). */
export async function shiftsOf(
  repositories: Repositories,
  chatPeerId: number,
  now: number,
  shiftMs: number,
): Promise<OperatorShiftRecord[]> {
  const rows = await repositories.shifts.listByChat(chatPeerId, SHIFT_LIST_LIMIT);
  return rows.filter((shift) => isOnShift(shift, now, shiftMs));
}

/**
 * Picks the operator on shift in the chat whose turn it is and records the pick; null (nothing
 * written) when nobody is on shift there.
 */
export async function takeTurn(
  repositories: Repositories,
  chatPeerId: number,
  now: number,
  shiftMs: number,
): Promise<OperatorShiftRecord | null> {
  const rows = await repositories.shifts.listByChat(chatPeerId, SHIFT_LIST_LIMIT);
  const next = nextOnShift(rows, now, shiftMs);
  if (!next) return null;
  // Never backwards: two tickets in one millisecond still move the rotation on.
  const lastAssignedAt = Math.max(now, (next.lastAssignedAt ?? now - 1) + 1);
  const taken = { ...next, lastAssignedAt };
  await repositories.shifts.put(taken);
  return taken;
}

/** The audit entry of an assignment the rotation made: like an operator's `ticket.assign`, by `system`. */
export async function auditShiftAssignment(
  repositories: Repositories,
  ticket: TicketRecord,
  shift: OperatorShiftRecord,
  now: number,
): Promise<void> {
  await repositories.audit.append({
    subject: `ticket:${ticket.ticketId}`,
    at: now,
    entryId: randomUUID(),
    actor: 'system',
    role: 'system',
    action: 'ticket.assign',
    details: { number: ticket.number, from: null, to: shift.operatorId, by: 'shift', chat: shift.chatPeerId },
  });
}
