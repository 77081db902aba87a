import { createHmac, randomUUID } from 'node:crypto';
import * as z from 'zod';
import type { Clock } from '../clock';
import type { DeferredJobRecord, Store, TicketMessageRecord, TicketRecord } from '../storage/port';
import { requesterOf, requesterSchema } from '../users/requester';
import { ticketStatuses } from './lifecycle';
import { priorityOf, ticketPriorities } from './priority';
import type { Outbox } from './service';

/**
 * CRM webhooks: each ticket event a CRM can act on, POSTed signed to `CRM_WEBHOOK_URL`.
 *
 * The event is queued in the ticket's transaction as a `crm-webhook` job holding the ticket as the
 * change left it (status, priority, assignee); who filed it, the subject and a message's text are read
 * when the job runs, so the transaction reads nothing more for them (nothing at all when webhooks are
 * off), and an erasure before delivery leaves the CRM nothing to learn: the requester is then `null`
 * and the words the anonymised ones. `ticket.created` carries the user's first message (seq 1);
 * `ticket.message` each later one. Internal notes never make an event.
 */

const instant = z.iso.datetime();
const webhookTicket = z.strictObject({
  number: z.string(),
  status: z.enum(ticketStatuses),
  category: z.string(),
  priority: z.enum(ticketPriorities),
  channel: z.enum(['chat', 'app', 'operator']),
  assigneeId: z.number().int().nullable(),
  createdAt: instant,
});
const envelope = {
  /** Unique per event; the same through every retry of its POST (also `X-Webhook-Id`). */
  deliveryId: z.string(),
  occurredAt: instant,
  ticket: webhookTicket,
  /** Who filed it; null once the user was erased. */
  requester: requesterSchema.nullable(),
};

const webhookMessage = z.strictObject({
  seq: z.number().int(),
  author: z.enum(['user', 'operator', 'bot']),
  text: z.string(),
  /** VK attachment references (`photo123_456_key`). */
  attachments: z.array(z.string()),
});
const ticketCreated = z.strictObject({
  event: z.literal('ticket.created'),
  ...envelope,
  subject: z.string().describe('The subject the user gave; empty once the user was erased'),
  message: webhookMessage.describe(
    "The user's first message (seq 1), what they wrote when filing; later ones come as `ticket.message`",
  ),
});
const ticketMessage = z.strictObject({
  event: z.literal('ticket.message'),
  ...envelope,
  message: webhookMessage,
});
const ticketStatusChanged = z.strictObject({
  event: z.literal('ticket.status_changed'),
  ...envelope,
  from: z.enum(ticketStatuses),
  to: z.enum(ticketStatuses),
});
const ticketAssigned = z.strictObject({ event: z.literal('ticket.assigned'), ...envelope });
const ticketPriorityChanged = z.strictObject({
  event: z.literal('ticket.priority_changed'),
  ...envelope,
  from: z.enum(ticketPriorities),
  to: z.enum(ticketPriorities),
  changedBy: z
    .string()
    .describe("Who changed it: `system` when the user's later message said an urgent phrase"),
});

/** Each event's payload schema, its name in the OpenAPI document and what it means. */
export const webhookEvents = {
  'ticket.created': {
    id: 'TicketCreatedEvent',
    payload: ticketCreated,
    summary: "A ticket was filed, with its subject and the user's first message",
  },
  'ticket.message': {
    id: 'TicketMessageEvent',
    payload: ticketMessage,
    summary:
      'The user or an operator wrote on a ticket after filing it (the first message comes with `ticket.created`; internal notes are never sent)',
  },
  'ticket.status_changed': {
    id: 'TicketStatusChangedEvent',
    payload: ticketStatusChanged,
    summary: 'A ticket changed status',
  },
  'ticket.assigned': {
    id: 'TicketAssignedEvent',
    payload: ticketAssigned,
    summary:
      'A ticket was taken, assigned or unassigned (`ticket.assigneeId`): by an operator, by their first reply to an unassigned ticket, or by the shift rotation',
  },
  'ticket.priority_changed': {
    id: 'TicketPriorityChangedEvent',
    payload: ticketPriorityChanged,
    summary: "A ticket's priority changed (raised to urgent by an urgent phrase in the user's later message)",
  },
} as const;
export type WebhookEventName = keyof typeof webhookEvents;
export const webhookPayloadSchema = z.discriminatedUnion('event', [
  ticketCreated,
  ticketMessage,
  ticketStatusChanged,
  ticketAssigned,
  ticketPriorityChanged,
]);
export type WebhookPayload = z.infer<typeof webhookPayloadSchema>;

/**
 * Queues one event for the CRM in the caller's transaction, with the ticket as the change left it.
 * `extra` is what the event adds: `seq` of the message for `ticket.message`, `from` and `to` for
 * `ticket.status_changed`, `from`, `to` and `changedBy` for `ticket.priority_changed`.
 */
export function queueWebhook(
  outbox: Outbox,
  ticket: TicketRecord,
  event: string,
  at: number,
  extra: Record<string, unknown> = {},
): void {
  // Unique, not derived: two events of one kind on one ticket within a millisecond, from different
  // transactions, are two webhooks. A retried attempt of the transaction makes a new id, but only the
  // committed attempt's job exists; the job then keeps its id through every retry of the POST.
  const deliveryId = `${event}:${ticket.ticketId}:${at}:${randomUUID()}`;
  outbox.jobs.push({
    jobId: `crm:${deliveryId}`,
    kind: 'crm-webhook',
    payload: {
      deliveryId,
      event,
      occurredAt: new Date(at).toISOString(),
      ticketId: ticket.ticketId,
      ticket: {
        number: ticket.number,
        status: ticket.status,
        category: ticket.category,
        priority: priorityOf(ticket),
        channel: ticket.channel,
        assigneeId: ticket.assigneeId,
        createdAt: new Date(ticket.createdAt).toISOString(),
      },
      ...extra,
    },
    dueAt: at,
  });
}

export interface WebhookDeliveryDependencies {
  store: Store;
  clock: Clock;
  crmWebhook: { url: string; secret: string } | undefined;
  fetch?: typeof fetch;
}

/**
 * What the CRM gets for a queued event: the snapshot, the requester as known now and, for a message
 * or a new ticket, the words (the subject, the message's text and attachments). `null`: nothing to
 * send (a message that turned out internal).
 */
export async function webhookPayload(
  store: Store,
  job: Pick<DeferredJobRecord, 'payload'>,
): Promise<Record<string, unknown> | null> {
  const { ticketId, seq, author: _author, ...queued } = job.payload;
  // Jobs queued before the requester was added carry no ticket id: they go as they were built.
  if (typeof ticketId !== 'string') return job.payload;
  return store.read(async (repositories) => {
    const ticket = await repositories.tickets.get(ticketId);
    const userId = ticket?.userId ?? null;
    const requester = requesterOf(userId, userId === null ? null : await repositories.users.get(userId));
    const carriesMessage = queued.event === 'ticket.message' || queued.event === 'ticket.created';
    if (!carriesMessage) return { ...queued, requester };
    const messageSeq = queued.event === 'ticket.created' ? 1 : Number(seq);
    const messages = await repositories.tickets.listMessages(ticketId);
    const found = messages.find((candidate) => candidate.seq === messageSeq);
    if (queued.event === 'ticket.created') {
      // The filing still happened when its words are gone (a ticket deleted by retention): say so, empty.
      const message = found ?? { seq: 1, author: 'user', text: '', attachments: [] };
      return { ...queued, requester, subject: ticket?.subject ?? '', message: messageOf(message) };
    }
    if (!found || found.internal) return null;
    return { ...queued, requester, message: messageOf(found) };
  });
}

function messageOf(message: Pick<TicketMessageRecord, 'seq' | 'author' | 'text' | 'attachments'>) {
  return { seq: message.seq, author: message.author, text: message.text, attachments: message.attachments };
}

/**
 * POSTs a ticket event to the CRM, signed: `X-Webhook-Signature: sha256=<hex HMAC of
 * "<timestamp>.<body>">` with `X-Webhook-Timestamp` and `X-Webhook-Id` (the receiver's dedup key).
 * A failure throws, so the queue redelivers it and dead-letters it after its maxReceiveCount.
 */
export async function deliverWebhook(
  deps: WebhookDeliveryDependencies,
  job: DeferredJobRecord,
): Promise<void> {
  if (!deps.crmWebhook) return;
  const payload = await webhookPayload(deps.store, job);
  if (!payload) return;
  const body = JSON.stringify(payload);
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
