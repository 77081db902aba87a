import { randomUUID } from 'node:crypto';
import type { Repositories, TicketRecord } from '../storage/port';
import type { Actor } from './lifecycle';

/** An operator or admin acting through the API or the operators' chat. */
export interface OperatorActor {
  operatorId: number;
  role: 'operator' | 'admin';
}

export function operatorActor(operator: OperatorActor): Actor {
  return { kind: 'operator', operatorId: operator.operatorId };
}

/** The audit feed's entry for an operator's action on a ticket (admins read it). */
export function audit(
  repositories: Repositories,
  operator: OperatorActor,
  ticket: TicketRecord,
  action: string,
  details: Record<string, unknown>,
  at: number,
): Promise<void> {
  return appendTicketEntry(repositories, ticket, {
    actor: `operator:${operator.operatorId}`,
    role: operator.role,
    action,
    details,
    at,
  });
}

/** The audit feed's entry for what the system did on its own to a ticket (a priority raised by words). */
export function auditBySystem(
  repositories: Repositories,
  ticket: TicketRecord,
  action: string,
  details: Record<string, unknown>,
  at: number,
): Promise<void> {
  return appendTicketEntry(repositories, ticket, { actor: 'system', role: 'system', action, details, at });
}

async function appendTicketEntry(
  repositories: Repositories,
  ticket: TicketRecord,
  entry: { actor: string; role: string; action: string; details: Record<string, unknown>; at: number },
): Promise<void> {
  await repositories.audit.append({
    subject: `ticket:${ticket.ticketId}`,
    at: entry.at,
    entryId: randomUUID(),
    actor: entry.actor,
    role: entry.role,
    action: entry.action,
    details: { number: ticket.number, ...entry.details },
  });
}
