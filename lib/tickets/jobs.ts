import type { Clock } from '../clock';
import { render } from '../i18n/catalog';
import type { Logger } from '../log/logger';
import type { AppNotifications } from '../notifications/app-notification';
import type { JobHandler, NewJob } from '../queue/jobs';
import type { DeferredJobRecord, Store, TicketRecord } from '../storage/port';
import { findCategory } from '../support/settings';
import type { VkClient } from '../vk/client';
import { escalatedAtOf, sendEscalation } from './escalation';
import { chatPeerIdOf } from './routing';
import type { TicketService } from './service';
import { dueBreach, type SlaTarget, slaAlertKey, slaOf, slaPeriodOf } from './sla';
import { userUpdateJobHandlers } from './user-updates';
import { deliverWebhook } from './webhooks';

export interface TicketJobDependencies {
  store: Store;
  clock: Clock;
  logger: Logger;
  tickets: TicketService;
  /** Community token: messages to users and to the operators' chat. */
  groupVk: VkClient;
  /** Mini app notifications (service token, daily cap). */
  appNotifications: AppNotifications;
  operatorsChatPeerId: number | undefined;
  crmWebhook: { url: string; secret: string } | undefined;
  /** Schedules a follow-up job (a notification postponed past quiet hours). */
  schedule: (job: NewJob) => Promise<void>;
  fetch?: typeof fetch;
}

/**
 * The deferred work of the ticket lifecycle, run by the deferred worker (csat-followup):
 * telling the user of a reply or status change, SLA breach checks, auto-close, CRM webhooks.
 * Each is safe to run twice: VK sends are keyed by the job id (`random_id`), notifications by the
 * (user, day) claim, an SLA alert by its ticket, target and period (sent before its breach is flagged).
 */
export function ticketJobHandlers(deps: TicketJobDependencies): Record<string, JobHandler> {
  return {
    ...userUpdateJobHandlers({
      store: deps.store,
      clock: deps.clock,
      logger: deps.logger,
      groupVk: deps.groupVk,
      appNotifications: deps.appNotifications,
      timezone: deps.tickets.settings.hours.timezone,
      defaultQuietHours: deps.tickets.settings.csat.defaultQuietHours,
      schedule: deps.schedule,
    }),
    'sla-check': (job) => checkSla(deps, job),
    'auto-close': async (job) => {
      const resolution = Number(job.payload.resolution);
      await deps.tickets.systemUpdate(String(job.payload.ticketId), (ticket) =>
        ticket.status === 'resolved' && Number(ticket.details.resolution) === resolution
          ? { status: 'closed' }
          : null,
      );
    },
    'crm-webhook': (job) => deliverWebhook(deps, job),
  };
}

/**
 * A target's due time has come: if the ticket still owes it (`dueBreach`), one alert to the ticket's
 * operators' chat per target and period (a reopened ticket's new resolution period alerts again) and,
 * on the ticket's first breach, its one escalation to the leads (lib/tickets/escalation.ts), then the
 * breach flag (and the escalation mark). The messages go first, each under a key of its own
 * (`random_id`), so a send that fails (VK's error 10, a timeout) leaves the breach unflagged and the
 * retried job sends it again, and a send whose flag then fails to commit is repeated under the same
 * key and dropped by VK.
 */
async function checkSla(deps: TicketJobDependencies, job: DeferredJobRecord): Promise<void> {
  const target = job.payload.target as SlaTarget;
  const ticketId = String(job.payload.ticketId);
  const found = await deps.store.read(async (repositories) => {
    const ticket = await repositories.tickets.get(ticketId);
    if (!ticket) return null;
    const sla = slaOf(ticket);
    if (!sla || !dueBreach(sla, ticket.status, target, deps.clock.now())) return null;
    const assignee = ticket.assigneeId === null ? null : await repositories.users.get(ticket.assigneeId);
    return { ticket, period: slaPeriodOf(sla, target), assigneeName: assignee?.firstName ?? null };
  });
  if (!found) return;
  const { ticket, period } = found;
  const { support, operatorsChats } = deps.tickets.settings;
  const category = findCategory(support, ticket.category);
  const assignee = assigneeLabel(ticket, found.assigneeName);
  // The ticket's own chat: its category's, else the default one.
  const chatPeerId = chatPeerIdOf(category, operatorsChats) ?? deps.operatorsChatPeerId;
  if (chatPeerId !== undefined) {
    await deps.groupVk.sendMessage({
      peerId: chatPeerId,
      // Keyed by ticket, target and period: the one alert a breach gets, whatever retries happen.
      messageKey: slaAlertKey(ticket.ticketId, target, period),
      text: render('ru', 'sla.alert', {
        number: ticket.number,
        category: category?.label.ru ?? ticket.category,
        target: render('ru', `sla.target.${target}`),
        assignee,
      }),
    });
  }
  // The first breach also escalates, once (lib/tickets/escalation.ts); marked with the breach below.
  const escalated = await sendEscalation(
    { groupVk: deps.groupVk, chats: operatorsChats },
    { ticket, category, target, assignee },
  );
  await deps.tickets.systemUpdate(ticketId, (current, now) => {
    const sla = slaOf(current);
    const details: Record<string, unknown> = {};
    // Flags the period alerted: a reopen in between started a period this alert was not about.
    if (sla && sla.breachedAt[target] === undefined && slaPeriodOf(sla, target) === period)
      details.sla = { ...sla, breachedAt: { ...sla.breachedAt, [target]: now } };
    if (escalated && escalatedAtOf(current) === null) details.escalatedAt = now;
    return Object.keys(details).length > 0 ? { details } : null;
  });
  deps.logger.warn('sla breached', { ticket: ticket.number, target, period, escalated });
}

/**
 * The assignee as the operators' chat knows them: the first name their ticket's card learned in the
 * chat (`details.opsCard.names`), else the one VK gave when they wrote to the community, else the id.
 */
function assigneeLabel(ticket: TicketRecord, storedName: string | null): string {
  if (ticket.assigneeId === null) return '—';
  const card = ticket.details.opsCard as { names?: Record<string, unknown> } | undefined;
  const cardName = card?.names?.[String(ticket.assigneeId)];
  if (typeof cardName === 'string' && cardName !== '') return cardName;
  return storedName ?? `id${ticket.assigneeId}`;
}
