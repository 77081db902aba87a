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
export async function audit(
  repositories: Repositories,
  operator: OperatorActor,
  ticket: TicketRecord,
  action: string,
  details: Record<string, unknown>,
  at: number,
): Promise<void> {
  await repositories.audit.append({
    subject: `ticket:${ticket.ticketId}`,
    at,
    entryId: randomUUID(),
    actor: `operator:${operator.operatorId}`,
    role: operator.role,
    action,
    details: { number: ticket.number, ...details },
  });
}
