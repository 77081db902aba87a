import { MINUTE } from '../clock';
import type { NewJob } from '../queue/jobs';
import type { BusinessHours } from '../schedule/business-hours';
import type { TicketRecord, TicketStatus } from '../storage/port';
import type { Category } from '../support/settings';

/**
 * The SLA clock of a ticket, kept in `details.sla`. Targets are in business time; the resolution
 * clock stops while the ticket waits for the user and its due time moves by the business time spent
 * waiting. The first response is owed once per ticket; the resolution once per period, and a reopen
 * starts a new period with a fresh due time. A breach is recorded once per target and period, after
 * its alert was sent (the alert is keyed by ticket, target and period: `slaAlertKey`).
 */
export interface SlaClock {
  firstResponseDueAt: number | null;
  resolutionDueAt: number | null;
  firstRespondedAt: number | null;
  waitingSince: number | null;
  /** The breaches of the current period (the first response has one period: the ticket's life). */
  breachedAt: { firstResponse?: number; resolution?: number };
  /** The resolution target's period: one more per reopen; absent on a ticket never reopened (0). */
  resolutionPeriod?: number;
  /** When earlier periods breached the resolution target, oldest first; absent: none did. */
  earlierResolutionBreaches?: number[];
}

export type SlaTarget = 'firstResponse' | 'resolution';
export type SlaState = 'ok' | 'at_risk' | 'breached' | 'paused' | 'met';

export function startSla(hours: BusinessHours, category: Category, createdAt: number): SlaClock {
  return {
    firstResponseDueAt: hours.addBusinessTime(createdAt, category.sla.firstResponseMinutes * MINUTE),
    resolutionDueAt: hours.addBusinessTime(createdAt, category.sla.resolutionMinutes * MINUTE),
    firstRespondedAt: null,
    waitingSince: null,
    breachedAt: {},
  };
}

export function slaOf(ticket: TicketRecord): SlaClock | null {
  const sla = ticket.details.sla as SlaClock | undefined;
  return sla ?? null;
}

/** The clock after a status change: pause on waiting, resume (moving the due time) on leaving it. */
export function slaAfterStatusChange(
  sla: SlaClock,
  hours: BusinessHours,
  category: Category,
  change: { from: TicketStatus; to: TicketStatus; at: number },
): SlaClock {
  const next = { ...sla, breachedAt: { ...sla.breachedAt } };
  if (change.to === 'waiting_for_user' && sla.waitingSince === null) next.waitingSince = change.at;
  if (change.from === 'waiting_for_user' && sla.waitingSince !== null) {
    const paused = hours.businessTimeBetween(sla.waitingSince, change.at);
    next.resolutionDueAt =
      sla.resolutionDueAt === null ? null : hours.addBusinessTime(sla.resolutionDueAt, paused);
    next.waitingSince = null;
  }
  if (change.from === 'resolved' && (change.to === 'new' || change.to === 'in_progress')) {
    // A reopen starts a new resolution period, due from now, owed (and alerted) afresh; a breach of
    // the period before is history, kept for the reports.
    next.resolutionDueAt = hours.addBusinessTime(change.at, category.sla.resolutionMinutes * MINUTE);
    next.resolutionPeriod = resolutionPeriodOf(sla) + 1;
    const { resolution: earlierBreach, ...current } = next.breachedAt;
    if (earlierBreach !== undefined) {
      next.earlierResolutionBreaches = [...(sla.earlierResolutionBreaches ?? []), earlierBreach];
      next.breachedAt = current;
    }
  }
  return next;
}

/** The resolution target's current period: 0 until the first reopen. */
export function resolutionPeriodOf(sla: SlaClock): number {
  return sla.resolutionPeriod ?? 0;
}

/** The target's current period: the first response has only one. */
export function slaPeriodOf(sla: SlaClock, target: SlaTarget): number {
  return target === 'resolution' ? resolutionPeriodOf(sla) : 0;
}

/**
 * The key (VK's `random_id` source) of the one alert a target's breach gets in a period: retries of
 * a check repeat it, a later period's breach has its own. The first period keeps the plain key.
 */
export function slaAlertKey(ticketId: string, target: SlaTarget, period: number): string {
  return period === 0 ? `sla-alert:${ticketId}:${target}` : `sla-alert:${ticketId}:${target}:${period}`;
}

/** Whether the target was ever breached on this ticket, in this period or an earlier one (reports). */
export function everBreached(sla: SlaClock, target: SlaTarget): boolean {
  if (sla.breachedAt[target] !== undefined) return true;
  return target === 'resolution' && (sla.earlierResolutionBreaches?.length ?? 0) > 0;
}

export function slaAfterOperatorReply(sla: SlaClock, at: number): SlaClock {
  return sla.firstRespondedAt === null ? { ...sla, firstRespondedAt: at } : sla;
}

/**
 * Whether the ticket still owes what a target promises: a first response while no operator has
 * answered (in the chat, in the dialog or through the API; internal notes don't count), a resolution
 * while it is open and not waiting for the user. A resolved or closed ticket owes neither.
 */
export function owes(sla: SlaClock, status: TicketStatus, target: SlaTarget): boolean {
  if (status === 'resolved' || status === 'closed') return false;
  if (target === 'firstResponse') return sla.firstRespondedAt === null;
  return sla.waitingSince === null;
}

/**
 * Whether a target is breached at `now` and not yet flagged: its due time has passed and the ticket
 * still owes it. The breach check alerts on it and then flags it.
 */
export function dueBreach(sla: SlaClock, status: TicketStatus, target: SlaTarget, now: number): boolean {
  if (sla.breachedAt[target] !== undefined || !owes(sla, status, target)) return false;
  const dueAt = target === 'firstResponse' ? sla.firstResponseDueAt : sla.resolutionDueAt;
  return dueAt !== null && now >= dueAt;
}

/**
 * The queue's SLA column: breached, at risk (under 20 % of the target left), paused, met or ok. A
 * resolution breached before a reopen does not count: the new period is judged on its own.
 */
export function slaState(
  sla: SlaClock | null,
  status: TicketStatus,
  category: Category | undefined,
  hours: BusinessHours,
  now: number,
): SlaState {
  if (!sla) return 'ok';
  if (sla.breachedAt.firstResponse !== undefined || sla.breachedAt.resolution !== undefined)
    return 'breached';
  if (status === 'resolved' || status === 'closed') return 'met';
  if (dueBreach(sla, status, 'firstResponse', now) || dueBreach(sla, status, 'resolution', now))
    return 'breached';
  if (sla.waitingSince !== null) return 'paused';
  const [due, targetMinutes] =
    sla.firstRespondedAt === null
      ? [sla.firstResponseDueAt, category?.sla.firstResponseMinutes]
      : [sla.resolutionDueAt, category?.sla.resolutionMinutes];
  if (due === null || targetMinutes === undefined) return 'ok';
  return hours.businessTimeBetween(now, due) < targetMinutes * MINUTE * 0.2 ? 'at_risk' : 'ok';
}

/** One check per target and due time: a due time that moved gets a new check, the old one finds nothing. */
export function slaCheckJobs(ticket: TicketRecord, sla: SlaClock, previous: SlaClock | null): NewJob[] {
  const jobs: NewJob[] = [];
  const targets: Array<[SlaTarget, number | null, number | null | undefined]> = [
    [
      'firstResponse',
      sla.firstRespondedAt === null ? sla.firstResponseDueAt : null,
      previous?.firstResponseDueAt,
    ],
    ['resolution', sla.waitingSince === null ? sla.resolutionDueAt : null, previous?.resolutionDueAt],
  ];
  for (const [target, dueAt, previousDueAt] of targets) {
    if (dueAt === null || (previous && previousDueAt === dueAt && previous.waitingSince === sla.waitingSince))
      continue;
    jobs.push({
      jobId: `sla:${ticket.ticketId}:${target}:${dueAt}`,
      kind: 'sla-check',
      payload: { ticketId: ticket.ticketId, target },
      dueAt,
    });
  }
  return jobs;
}
