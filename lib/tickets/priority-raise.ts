import type { Repositories, TicketMessageRecord, TicketRecord } from '../storage/port';
import { auditBySystem } from './audit';
import { priorityOf } from './priority';
import { mentionsUrgentPhrase, type UrgentPhrases } from './routing';
import type { Outbox } from './service-types';

/** What raising a ticket's priority tells: the composition root's card refresh, the CRM. */
export interface PriorityRaiseHooks {
  phrases: UrgentPhrases;
  onTicketChanged: ((ticket: TicketRecord, outbox: Outbox, now: number) => void) | undefined;
  /** Queues `ticket.priority_changed` (when a CRM webhook is configured). */
  webhook: (ticket: TicketRecord, extra: Record<string, unknown>) => void;
}

/**
 * The user's later message says an urgent phrase: the open ticket becomes urgent (never lowered),
 * audited by `system`, announced (`ticket.priority_changed`) and handed to `onTicketChanged` (the
 * operators' card shows the priority). In the caller's transaction; the ticket as it is now.
 */
export async function raiseOnUrgentWords(
  repositories: Repositories,
  outbox: Outbox,
  ticket: TicketRecord,
  message: TicketMessageRecord,
  now: number,
  hooks: PriorityRaiseHooks,
): Promise<TicketRecord> {
  const from = priorityOf(ticket);
  if (from === 'urgent' || !mentionsUrgentPhrase(message.text, hooks.phrases)) return ticket;
  const raised: TicketRecord = {
    ...ticket,
    details: { ...ticket.details, priority: 'urgent' },
    updatedAt: now,
  };
  await repositories.tickets.update(raised);
  await auditBySystem(
    repositories,
    raised,
    'ticket.priority',
    { from, to: 'urgent', by: 'urgent_phrase', seq: message.seq },
    now,
  );
  hooks.onTicketChanged?.(raised, outbox, now);
  hooks.webhook(raised, { from, to: 'urgent', changedBy: 'system' });
  return raised;
}
