import { render } from '../i18n/catalog';
import type { TicketRecord } from '../storage/port';
import type { Category } from '../support/settings';
import type { VkClient } from '../vk/client';
import { priorityOf } from './priority';
import { escalationPeerId, type OperatorsChats } from './routing';
import type { SlaTarget } from './sla';

/**
 * A ticket past its SLA escalates once, to the leads' chat (LEAD_CHAT_PEER_ID, else the default
 * operators' chat), on the first breach of either target; a breach after a reopen alerts the
 * ticket's chat again (lib/tickets/sla.ts) but does not escalate twice. Like the SLA alert, the message goes first
 * and under a key of its own (`escalation:<ticket>`, VK's `random_id`), and `details.escalatedAt` is
 * committed after it: a send that fails leaves the mark unset and the retried check sends it again;
 * a send whose mark then fails to commit is repeated under the same key and dropped by VK.
 */

/** When the ticket escalated; null if it has not. */
export function escalatedAtOf(ticket: Pick<TicketRecord, 'details'>): number | null {
  const at = ticket.details.escalatedAt;
  return typeof at === 'number' ? at : null;
}

export function escalationMessageKey(ticketId: string): string {
  return `escalation:${ticketId}`;
}

/**
 * Sends the ticket's escalation unless it escalated already or there is no chat to send it to.
 * Returns whether the caller is to mark it (`escalatedAt`) when it flags the breach.
 */
export async function sendEscalation(
  deps: { groupVk: VkClient; chats: OperatorsChats },
  escalation: {
    ticket: TicketRecord;
    category: Category | undefined;
    target: SlaTarget;
    assignee: string;
  },
): Promise<boolean> {
  const { ticket, category, target } = escalation;
  const peerId = escalationPeerId(deps.chats);
  if (peerId === undefined || escalatedAtOf(ticket) !== null) return false;
  await deps.groupVk.sendMessage({
    peerId,
    messageKey: escalationMessageKey(ticket.ticketId),
    text: render('ru', 'sla.escalation', {
      number: ticket.number,
      category: category?.label.ru ?? ticket.category,
      target: render('ru', `sla.target.${target}`),
      priority: render('ru', `priority.${priorityOf(ticket)}`),
      assignee: escalation.assignee,
    }),
  });
  return true;
}
