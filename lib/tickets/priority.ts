import type { TicketRecord } from '../storage/port';

/**
 * How soon a ticket should be taken: set when it is filed (its category's priority, raised by urgent
 * phrases in its text) and kept in `details.priority`; tickets filed before priorities existed are
 * `normal`.
 */
export const ticketPriorities = ['low', 'normal', 'high', 'urgent'] as const;
export type TicketPriority = (typeof ticketPriorities)[number];

export function priorityOf(ticket: Pick<TicketRecord, 'details'>): TicketPriority {
  const stored = ticket.details.priority;
  return ticketPriorities.includes(stored as TicketPriority) ? (stored as TicketPriority) : 'normal';
}

/** How the operators' chat marks a priority, beside its name. */
export const priorityEmoji: Record<TicketPriority, string> = {
  low: '⚪',
  normal: '🟢',
  high: '🟠',
  urgent: '🔴',
};
