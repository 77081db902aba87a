import type { StatusChangeRecord, TicketRecord, TicketStatus } from '../storage/port';

export const ticketStatuses = ['new', 'in_progress', 'waiting_for_user', 'resolved', 'closed'] as const;
export const openStatuses: readonly TicketStatus[] = ['new', 'in_progress', 'waiting_for_user'];

/** How a status shows in chat lists (the bot's "My tickets", the operators' queue). */
export const statusEmoji: Record<TicketStatus, string> = {
  new: '🆕',
  in_progress: '🔧',
  waiting_for_user: '⏳',
  resolved: '✅',
  closed: '📁',
};

/**
 * Where a ticket may go from each status. `resolved → new | in_progress` is a reopen; `closed` is
 * final (a message on a closed ticket starts a new, linked one).
 */
const allowedTransitions: Record<TicketStatus, readonly TicketStatus[]> = {
  new: ['in_progress', 'waiting_for_user', 'resolved', 'closed'],
  in_progress: ['new', 'waiting_for_user', 'resolved', 'closed'],
  waiting_for_user: ['in_progress', 'resolved', 'closed'],
  resolved: ['new', 'in_progress', 'closed'],
  closed: [],
};

export function canTransition(from: TicketStatus, to: TicketStatus): boolean {
  return allowedTransitions[from].includes(to);
}

/** Who acted, as recorded in the status history and the audit log. */
export type Actor =
  | { kind: 'user'; userId: number }
  | { kind: 'operator'; operatorId: number }
  | { kind: 'system' };

export function actorLabel(actor: Actor): string {
  switch (actor.kind) {
    case 'user':
      // The ticket's owner is the only user who changes it: no id, so erasure leaves none behind.
      return 'user';
    case 'operator':
      return `operator:${actor.operatorId}`;
    case 'system':
      return 'system';
  }
}

/** The status a reopened ticket returns to: back with its operator, or to the queue. */
export function reopenStatus(ticket: TicketRecord): TicketStatus {
  return ticket.assigneeId === null ? 'new' : 'in_progress';
}

/** How many times the ticket has been resolved: numbers each resolution (one CSAT survey each). */
export function resolutionCount(changes: readonly StatusChangeRecord[]): number {
  return changes.filter((change) => change.to === 'resolved').length;
}
