import { createHmac, randomUUID } from 'node:crypto';
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

/** A ticket's audit entry by any actor (`user` for what the user did to their own data). */
export async function appendTicketEntry(
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

/**
 * How the audit names a user: an entry must not keep what an erasure removes, and a plain hash of a
 * VK id is no cover (every id can be hashed in minutes). Keyed with a secret the audit's readers
 * don't hold (the app's, from Lockbox), it still ties one user's entries together.
 */
export function userAuditSubject(userId: number, key: string): string {
  return `user:${createHmac('sha256', key).update(`audit-user\u0000${userId}`).digest('base64url').slice(0, 22)}`;
}

/** An action on a user's data (an export, an erasure), in the audit under the user's keyed subject. */
export async function auditUserAction(
  repositories: Repositories,
  entry: {
    userId: number;
    key: string;
    /** The admin acting on the user's request to support; absent: the user, from the mini app. */
    operator?: OperatorActor;
    action: string;
    details: Record<string, unknown>;
    at: number;
  },
): Promise<void> {
  await repositories.audit.append({
    subject: userAuditSubject(entry.userId, entry.key),
    at: entry.at,
    entryId: randomUUID(),
    actor: entry.operator ? `operator:${entry.operator.operatorId}` : 'user',
    role: entry.operator?.role ?? 'user',
    action: entry.action,
    details: entry.details,
  });
}
