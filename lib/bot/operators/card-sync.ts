import * as z from 'zod';
import { cancelJob, type NewJob } from '../../queue/jobs';
import type { Repositories, TicketMessageRecord, TicketRecord } from '../../storage/port';
import type { Outbox } from '../../tickets/service';
import { VK_EDIT_JOB } from '../turn';
import {
  type CardContent,
  type CardFrame,
  type CardView,
  cardFrameSchema,
  cardRecordOf,
  cardState,
  cardWords,
  renderCard,
  withCardRecord,
} from './card';
import { requesterHistory } from './card-history';

/**
 * Keeping a ticket's card in the operators' chat true to the ticket.
 *
 * - **Posting.** A card is an `ops-card` job (`ops-card:<ticket>`, its `random_id` key), sent by the
 *   deferred worker (`card-worker.ts`) with `peer_ids`: only that answer carries the card's
 *   conversation_message_id. The worker records it on the ticket (`details.opsCard.posted`) in the
 *   transaction that marks the job done; a retried send is dropped by VK and answers the same id.
 * - **Editing.** A change to the ticket's status or assignee queues a `vk-edit` job (the kind CSAT's
 *   edits use) with the whole card rendered in the change's transaction, numbered by the card's
 *   `version`. A newer edit cancels the one before it if that one is still pending, and the worker
 *   drops an edit whose version the card has passed, so a late retry never brings an old state back.
 * - **Before the id is known.** A change then leaves the card alone; the transaction that records
 *   the id compares the state the card was rendered with to the ticket's and queues the edit.
 * - **Elsewhere.** A user's message that changes the ticket queues an `ops-card` refresh job, which
 *   does the same in the worker. A change made through the API shows the next time the chat acts
 *   on the ticket (every action there, even a refused one, brings its card up to date).
 */

/** The deferred job kind that posts a card, or refreshes it after a change made elsewhere. */
export const OPS_CARD_JOB = 'ops-card';

/** An `ops-card` job's payload. */
export const cardJobSchema = z.discriminatedUnion('mode', [
  z.object({
    mode: z.literal('post'),
    ticketId: z.string(),
    peerId: z.number().int(),
    frame: cardFrameSchema,
    text: z.string().min(1),
    keyboard: z.record(z.string(), z.unknown()),
    /** The ticket's state the text shows (`cardState`). */
    shown: z.string(),
  }),
  z.object({ mode: z.literal('refresh'), ticketId: z.string() }),
  /** A ticket filed outside the chat bot (the mini app): the worker renders its card and posts it. */
  z.object({ mode: z.literal('announce'), ticketId: z.string() }),
  /** A user's message written in the mini app (its `seq`): the worker relays it to the card's chat. */
  z.object({ mode: z.literal('relay'), ticketId: z.string(), seq: z.number().int().positive() }),
]);

/** What a card's `vk-edit` job carries besides the edit itself. */
export const cardEditSchema = z.object({ ticketId: z.string(), version: z.number().int().positive() });

function cardPostJobId(ticketId: string): string {
  return `ops-card:${ticketId}`;
}

function cardEditJobId(ticketId: string, version: number): string {
  return `ops-card:${ticketId}:edit:${version}`;
}

/** The job that posts a ticket's card, rendered now (the worker sends it and records where it is). */
export function cardPostJob(
  ticket: TicketRecord,
  card: { peerId: number; frame: CardFrame; view: CardView },
  now: number,
): NewJob {
  return {
    jobId: cardPostJobId(ticket.ticketId),
    kind: OPS_CARD_JOB,
    payload: {
      mode: 'post',
      ticketId: ticket.ticketId,
      peerId: card.peerId,
      frame: card.frame,
      text: card.view.text,
      keyboard: card.view.keyboard,
      shown: cardState(ticket),
    },
    dueAt: now,
  };
}

/**
 * Whether a ticket changed in a way its posted card doesn't show yet: a caller that can't render
 * (no repositories at hand) queues `cardRefreshJob` then.
 */
export function cardIsStale(ticket: TicketRecord): boolean {
  const card = cardRecordOf(ticket);
  return card.posted !== undefined && card.shown !== cardState(ticket);
}

/** Edits the ticket's card to its current state in the worker (a no-op if it shows it already). */
export function cardRefreshJob(ticket: TicketRecord, now: number): NewJob {
  return {
    // One per card version and state: the same change seen twice is one refresh, two changes in the
    // same millisecond are two.
    jobId: `ops-card:${ticket.ticketId}:refresh:${cardRecordOf(ticket).version}:${cardState(ticket)}`,
    kind: OPS_CARD_JOB,
    payload: { mode: 'refresh', ticketId: ticket.ticketId },
    dueAt: now,
  };
}

/**
 * In the transaction that changed `ticket` (as it is now): queues the edit that shows its status and
 * assignee on its card, unless the card shows them already or is not posted yet. Records the acting
 * operator's name for the card. Returns the ticket as written.
 */
export async function queueCardEdit(
  repositories: Repositories,
  outbox: Outbox,
  ticket: TicketRecord,
  options: { now: number; holdMs: number; operator?: { operatorId: number; name: string | null } },
): Promise<TicketRecord> {
  const card = cardRecordOf(ticket);
  const { operator } = options;
  const names =
    operator?.name && card.names[String(operator.operatorId)] !== operator.name
      ? { ...card.names, [String(operator.operatorId)]: operator.name }
      : card.names;
  const state = cardState(ticket);
  const { posted } = card;
  if (!posted || card.shown === state) {
    if (names === card.names) return ticket;
    const named = withCardRecord(ticket, { ...card, names });
    await repositories.tickets.update(named);
    return named;
  }
  const version = card.version + 1;
  const view = renderCard(posted.frame, await cardContent(repositories, ticket), ticket, names);
  // The edit this one replaces, if not sent yet, never will be: this one shows the newer state.
  const replaced = cardEditJobId(ticket.ticketId, card.version);
  const queuedHere = outbox.jobs.findIndex((job) => job.jobId === replaced);
  if (queuedHere >= 0) outbox.jobs.splice(queuedHere, 1);
  else await cancelJob(repositories, replaced, options.now);
  outbox.jobs.push({
    jobId: cardEditJobId(ticket.ticketId, version),
    kind: VK_EDIT_JOB,
    payload: {
      peerId: posted.peerId,
      conversationMessageId: posted.conversationMessageId,
      text: view.text,
      keyboard: view.keyboard,
      card: { ticketId: ticket.ticketId, version },
    },
    dueAt: options.now + options.holdMs,
  });
  const updated = withCardRecord(ticket, { ...card, names, version, shown: state });
  await repositories.tickets.update(updated);
  return updated;
}

/** The user's side of the card, read now: an erased user's name and words are gone from it too. */
async function cardContent(repositories: Repositories, ticket: TicketRecord): Promise<CardContent> {
  const user = ticket.userId === null ? null : await repositories.users.get(ticket.userId);
  const [first] = await repositories.tickets.listMessages(ticket.ticketId);
  return {
    userId: ticket.userId,
    firstName: user?.firstName ?? null,
    text: cardWords(ticket, first),
    photos: first?.attachments ?? [],
    history: await requesterHistory(repositories, ticket),
  };
}

/**
 * The ticket service's `onTicketChanged` (set by each composition root): a status or assignee change
 * made anywhere — the API, the mini app, a timer — queues its card's refresh, a no-op in the worker
 * when the chat's own action has already shown it.
 */
export function refreshCardOnChange(ticket: TicketRecord, outbox: Outbox, now: number): void {
  if (!cardIsStale(ticket)) return;
  const job = cardRefreshJob(ticket, now);
  if (!outbox.jobs.some((queued) => queued.jobId === job.jobId)) outbox.jobs.push(job);
}

/**
 * The ticket service's `onTicketFiled` (set by each composition root): a ticket filed in the mini app
 * gets its card in the operators' chat like one filed in the chat, rendered by the worker, which
 * holds the community's settings (the API has no VK token). The chat bot posts its own tickets' cards.
 */
export function announceCardOnFiling(ticket: TicketRecord, outbox: Outbox, now: number): void {
  if (ticket.channel !== 'app') return;
  outbox.jobs.push({
    jobId: `${cardPostJobId(ticket.ticketId)}:announce`,
    kind: OPS_CARD_JOB,
    payload: { mode: 'announce', ticketId: ticket.ticketId },
    dueAt: now,
  });
}

/**
 * The ticket service's `onAppMessage` (set by each composition root): what a user writes on their
 * ticket in the mini app reaches the operators' chat as what they write to the community does
 * ("✉️ B-1042 · Анна: …", answered by replying to it), relayed by the worker, which holds the
 * community's token. Keyed by the message: a retried job is one message in the chat.
 */
export function relayAppMessage(
  ticket: TicketRecord,
  message: TicketMessageRecord,
  outbox: Outbox,
  now: number,
): void {
  outbox.jobs.push({
    jobId: `ops-relay:${ticket.ticketId}:${message.seq}`,
    kind: OPS_CARD_JOB,
    payload: { mode: 'relay', ticketId: ticket.ticketId, seq: message.seq },
    dueAt: now,
  });
}
