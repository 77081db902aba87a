import { createHmac } from 'node:crypto';
import type { Clock } from '../clock';
import { render } from '../i18n/catalog';
import type { Logger } from '../log/logger';
import type { AppNotifications } from '../notifications/app-notification';
import type { JobHandler } from '../queue/jobs';
import { quietHoursEnd } from '../schedule/quiet-hours';
import type {
  DeferredJobRecord,
  Language,
  Store,
  TicketRecord,
  TicketStatus,
  UserRecord,
} from '../storage/port';
import { findCategory } from '../support/settings';
import { recordNotAllowed } from '../users/account';
import type { VkClient } from '../vk/client';
import { VkRecipientUnavailableError } from '../vk/errors';
import type { TicketService } from './service';
import { dueBreach, type SlaTarget, slaOf } from './sla';

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
  schedule: (job: {
    jobId: string;
    kind: string;
    payload: Record<string, unknown>;
    dueAt: number;
  }) => Promise<void>;
  fetch?: typeof fetch;
}

/**
 * The deferred work of the ticket lifecycle, run by the deferred worker (csat-followup):
 * telling the user of a reply or status change, SLA breach checks, auto-close, CRM webhooks.
 * Each is safe to run twice: VK sends are keyed by the job id (`random_id`), notifications by the
 * (user, day) claim, an SLA alert by its ticket and target (sent before its breach is flagged).
 */
export function ticketJobHandlers(deps: TicketJobDependencies): Record<string, JobHandler> {
  return {
    'ticket-update': (job) => notifyUser(deps, job),
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

async function notifyUser(deps: TicketJobDependencies, job: DeferredJobRecord): Promise<void> {
  const { store, clock, logger } = deps;
  const found = await store.read(async (repositories) => {
    const ticket = await repositories.tickets.get(String(job.payload.ticketId));
    if (!ticket || ticket.userId === null) return null; // erased: nobody to tell
    const user = await repositories.users.get(ticket.userId);
    const messages =
      job.payload.event === 'reply' ? await repositories.tickets.listMessages(ticket.ticketId) : [];
    return { ticket, user, reply: messages.find((message) => message.seq === Number(job.payload.seq)) };
  });
  if (!found?.user) return;
  const { ticket, user, reply } = found;
  const language: Language = user.language ?? 'ru';
  const status = render(language, `status.${(job.payload.status ?? ticket.status) as TicketStatus}`);
  const isReply = job.payload.event === 'reply';
  if (user.messagesAllowed) {
    try {
      await deps.groupVk.sendMessage({
        peerId: user.userId,
        messageKey: job.jobId,
        text: isReply
          ? render(language, 'ticket.reply', { number: ticket.number, text: reply?.text ?? '' })
          : render(language, 'ticket.status', { number: ticket.number, status }),
        ...(reply?.attachments.length ? { attachment: reply.attachments.join(',') } : {}),
      });
      return;
    } catch (error) {
      if (!(error instanceof VkRecipientUnavailableError)) throw error;
      // The user no longer accepts messages: remember it and fall back to a notification.
      await store.transaction((repositories) => recordNotAllowed(repositories, user.userId, clock.now()));
    }
  }
  if (!user.notificationsAllowed || !user.notificationTypes.ticketUpdates) return; // "My tickets" shows it
  await sendTicketNotification(deps, job, user, {
    text: isReply
      ? render(language, 'ticket.reply.notification', { number: ticket.number })
      : render(language, 'ticket.status.notification', { number: ticket.number, status }),
    fragment: `ticket=${encodeURIComponent(ticket.number)}`,
  });
  logger.debug('ticket update delivered', { jobId: job.jobId });
}

async function sendTicketNotification(
  deps: TicketJobDependencies,
  job: DeferredJobRecord,
  user: UserRecord,
  notification: { text: string; fragment: string },
): Promise<void> {
  const timezone = deps.tickets.settings.hours.timezone;
  const quietEnd = quietHoursEnd(user.quietHours, deps.clock.now(), timezone);
  if (quietEnd !== null) {
    await deps.schedule({ ...job, jobId: `${job.jobId}:after-quiet`, dueAt: quietEnd });
    return;
  }
  const outcome = await deps.appNotifications.send(user.userId, { ...notification, kind: 'ticket_update' });
  // Past the cap the update waits in "My tickets"; it is not worth a notification tomorrow.
  if (outcome === 'capped')
    deps.logger.info('ticket notification skipped: daily cap reached', { jobId: job.jobId });
}

/**
 * A target's due time has come: if the ticket still owes it (`dueBreach`), one alert to the operators'
 * chat, then the breach flag. The alert goes first and under a key of its own (`random_id`), so a send
 * that fails (VK's error 10, a timeout) leaves the breach unflagged and the retried job sends it
 * again, and a send whose flag then fails to commit is repeated under the same key and dropped by VK.
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
    return { ticket, assigneeName: assignee?.firstName ?? null };
  });
  if (!found) return;
  const { ticket } = found;
  if (deps.operatorsChatPeerId !== undefined) {
    const category = findCategory(deps.tickets.settings.support, ticket.category);
    await deps.groupVk.sendMessage({
      peerId: deps.operatorsChatPeerId,
      // Keyed by ticket and target: the one alert a breach gets, whatever retries happen.
      messageKey: `sla-alert:${ticket.ticketId}:${target}`,
      text: render('ru', 'sla.alert', {
        number: ticket.number,
        category: category?.label.ru ?? ticket.category,
        target: render('ru', `sla.target.${target}`),
        assignee: assigneeLabel(ticket, found.assigneeName),
      }),
    });
  }
  await deps.tickets.systemUpdate(ticketId, (current, now) => {
    const sla = slaOf(current);
    if (!sla || sla.breachedAt[target] !== undefined) return null;
    return { details: { sla: { ...sla, breachedAt: { ...sla.breachedAt, [target]: now } } } };
  });
  deps.logger.warn('sla breached', { ticket: ticket.number, target });
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

/**
 * POSTs a ticket event to the CRM, signed: `X-Webhook-Signature: sha256=<hex HMAC of
 * "<timestamp>.<body>">` with `X-Webhook-Timestamp` and `X-Webhook-Id` (the receiver's dedup key).
 * A failure throws, so the queue redelivers it and dead-letters it after its maxReceiveCount.
 */
async function deliverWebhook(deps: TicketJobDependencies, job: DeferredJobRecord): Promise<void> {
  if (!deps.crmWebhook) return;
  const body = JSON.stringify(job.payload);
  const timestamp = String(Math.floor(deps.clock.now() / 1000));
  const signature = createHmac('sha256', deps.crmWebhook.secret).update(`${timestamp}.${body}`).digest('hex');
  const response = await (deps.fetch ?? fetch)(deps.crmWebhook.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-webhook-id': String(job.payload.deliveryId),
      'x-webhook-timestamp': timestamp,
      'x-webhook-signature': `sha256=${signature}`,
    },
    body,
    signal: AbortSignal.timeout(10_000),
  });
  if (!response.ok) throw new Error(`CRM webhook answered ${response.status}`);
}
