import { cancelOpenSurveys, scheduleSurvey } from '../csat/survey';
import type { StatusChangeRecord, TicketRecord, TicketStatus } from '../storage/port';
import { findCategory } from '../support/settings';
import { parkAnonymisation } from './anonymise';
import { TicketError } from './errors';
import { type Actor, actorLabel, canTransition, resolutionCount } from './lifecycle';
import type { TicketServiceDependencies, TransactionScope } from './service-types';
import { slaAfterStatusChange, slaCheckJobs, slaOf } from './sla';
import { queueWebhook } from './webhooks';

/**
 * A ticket's status change and everything it sets off, in the caller's transaction: the status
 * history, the SLA clock (paused, resumed, a new resolution period on a reopen), the auto-close and
 * the satisfaction survey of a resolution (a reopen drops the survey), the anonymisation parked at
 * the closing, the SLA checks, the user's update and the CRM event. The ticket as written.
 */
export async function changeTicketStatus(
  deps: Pick<TicketServiceDependencies, 'settings' | 'onTicketChanged'>,
  { repositories, outbox }: TransactionScope,
  ticket: TicketRecord,
  to: TicketStatus,
  actor: Actor,
  now: number,
  options: { notifyUser?: boolean } = {},
): Promise<TicketRecord> {
  const { settings } = deps;
  if (!canTransition(ticket.status, to)) {
    throw new TicketError('invalid_transition', `A ${ticket.status} ticket can't become ${to}.`);
  }
  const history = await repositories.tickets.listStatusChanges(ticket.ticketId);
  const change: StatusChangeRecord = {
    ticketId: ticket.ticketId,
    seq: history.length + 1,
    from: ticket.status,
    to,
    changedBy: actorLabel(actor),
    changedAt: now,
  };
  await repositories.tickets.addStatusChange(change);
  const category = findCategory(settings.support, ticket.category);
  const sla = slaOf(ticket);
  const nextSla =
    sla && category
      ? slaAfterStatusChange(sla, settings.hours, category, { from: ticket.status, to, at: now })
      : sla;
  const details: Record<string, unknown> = { ...ticket.details, ...(nextSla ? { sla: nextSla } : {}) };
  const resolution = resolutionCount([...history, change]);
  if (to === 'resolved') Object.assign(details, { resolvedAt: now, resolution });
  const updated: TicketRecord = { ...ticket, status: to, details, updatedAt: now };
  await repositories.tickets.update(updated);
  deps.onTicketChanged?.(updated, outbox, now);

  if (to === 'resolved') {
    outbox.jobs.push({
      jobId: `auto-close:${ticket.ticketId}:${resolution}`,
      kind: 'auto-close',
      payload: { ticketId: ticket.ticketId, resolution },
      dueAt: now + settings.autoCloseMs,
    });
    // Credit goes to whoever resolved it, else to whom it was assigned: fixed now, whatever follows.
    const credited = actor.kind === 'operator' ? actor.operatorId : ticket.assigneeId;
    await scheduleSurvey(repositories, outbox, updated, credited, now, settings.csat);
  } else if (ticket.status === 'resolved' && to !== 'closed') {
    // Reopened: the survey about a resolution that didn't hold is dropped.
    await cancelOpenSurveys(repositories, ticket.ticketId, now);
  }
  // Parked, not in the outbox: it waits months for a sweep, with no queue hops (see anonymise.ts).
  if (to === 'closed') await parkAnonymisation(repositories, change, settings.personalDataRetentionMs);
  if (nextSla) outbox.jobs.push(...slaCheckJobs(updated, nextSla, sla));
  // The user hears of changes an operator or the system made; their own they know about.
  if (actor.kind !== 'user' && options.notifyUser !== false) {
    outbox.jobs.push({
      jobId: `ticket-update:${ticket.ticketId}:status:${change.seq}`,
      kind: 'ticket-update',
      payload: { ticketId: ticket.ticketId, event: 'status', seq: change.seq, status: to },
      dueAt: now,
    });
  }
  if (settings.crmWebhooks)
    queueWebhook(outbox, updated, 'ticket.status_changed', now, { from: ticket.status, to });
  return updated;
}
