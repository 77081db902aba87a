import { createHash } from 'node:crypto';
import { render } from '../i18n/catalog';
import { NOTIFICATION_LIMIT } from '../notifications/app-notification';
import type { Language, TicketMessageRecord, TicketStatus } from '../storage/port';

/**
 * What a user is owed about their tickets and has not been told yet, and how it reads when it goes
 * out: one update alone in its usual words, several as one digest per ticket ("B-1001: 2 ответа
 * оператора, статус — ждём вашего ответа"). Pure: the worker (lib/tickets/user-updates.ts) keeps the
 * state in a claim row per user and does the sending.
 */

/** One event the user should hear of: an operator's reply or a status change. */
export interface PendingUpdate {
  /** The event's job id (`ticket-update:<ticketId>:message:<seq>`): the dedup key. */
  key: string;
  ticketId: string;
  number: string;
  event: 'reply' | 'status';
  /** The reply's position in the thread, or the status change's. */
  seq: number;
  status: TicketStatus | null;
  at: number;
}

/** A send under way: repeated with the same key until it is confirmed. */
export interface InflightUpdates {
  channel: 'chat' | 'notification';
  updates: PendingUpdate[];
  /** `random_id` of the community message; for a notification, its claimed slot's send key. */
  sendKey: string;
  slot: { day: string; slot: number } | null;
  at: number;
}

export interface UserUpdateState {
  pending: PendingUpdate[];
  inflight: InflightUpdates | null;
  /** Keys of updates already sent (the latest 50): a redelivered job adds nothing. */
  sent: string[];
  /** When the pending updates are due out (quiet hours, VK's hourly or daily limit), if waiting. */
  waitUntil: number | null;
}

/**
 * The claim row holding a user's update state, under a hash of the id: erasure can only empty a
 * claim, not delete it, and the row must not name the user after that.
 */
export const userUpdatesKey = (userId: number) =>
  `ticket-updates:${createHash('sha256').update(`ticket-updates\u0000${userId}`).digest('base64url')}`;

const SENT_KEYS_KEPT = 50;
/** VK's ceiling on a community message's text. */
const MESSAGE_LIMIT = 4096;
/** VK's ceiling on a message's attachments. */
const ATTACHMENT_LIMIT = 10;

export const emptyUpdateState = (): UserUpdateState => ({
  pending: [],
  inflight: null,
  sent: [],
  waitUntil: null,
});

/** Reads a stored state leniently: a row from an older shape starts over rather than failing the job. */
export function parseUpdateState(value: Record<string, unknown> | undefined): UserUpdateState {
  if (!value || !Array.isArray(value.pending) || !Array.isArray(value.sent)) return emptyUpdateState();
  return {
    pending: value.pending as PendingUpdate[],
    inflight: (value.inflight as InflightUpdates | null) ?? null,
    sent: value.sent as string[],
    waitUntil: typeof value.waitUntil === 'number' ? value.waitUntil : null,
  };
}

/** Adds an update unless it is pending, in flight or sent already. */
export function withUpdate(state: UserUpdateState, update: PendingUpdate): UserUpdateState {
  const known =
    state.sent.includes(update.key) ||
    state.pending.some((pending) => pending.key === update.key) ||
    (state.inflight?.updates.some((pending) => pending.key === update.key) ?? false);
  return known ? state : { ...state, pending: [...state.pending, update] };
}

/** The state once a send is confirmed: its keys remembered, the in-flight mark cleared. */
export function afterSent(state: UserUpdateState, sendKey: string): UserUpdateState {
  if (state.inflight?.sendKey !== sendKey) return state;
  const keys = state.inflight.updates.map((update) => update.key);
  return { ...state, inflight: null, sent: [...state.sent, ...keys].slice(-SENT_KEYS_KEPT) };
}

/** The state once the user can't get what was in flight on its channel: it is pending again. */
export function afterUndeliverable(state: UserUpdateState, sendKey: string): UserUpdateState {
  if (state.inflight?.sendKey !== sendKey) return state;
  return { ...state, inflight: null, pending: [...state.inflight.updates, ...state.pending] };
}

/** The state once nobody can be told (no channel allowed): "My tickets" shows it all. */
export function dropped(state: UserUpdateState): UserUpdateState {
  const keys = state.pending.map((update) => update.key);
  return { ...state, pending: [], waitUntil: null, sent: [...state.sent, ...keys].slice(-SENT_KEYS_KEPT) };
}

interface TicketDigest {
  number: string;
  replies: TicketMessageRecord[];
  /** The latest status the user hasn't been told, if any. */
  status: TicketStatus | null;
}

/** Updates grouped by ticket in the order they happened; replies with their messages, if still there. */
function digestsOf(
  updates: readonly PendingUpdate[],
  messages: ReadonlyMap<string, readonly TicketMessageRecord[]>,
): TicketDigest[] {
  const byTicket = new Map<string, TicketDigest>();
  for (const update of [...updates].sort((a, b) => a.at - b.at)) {
    const digest = byTicket.get(update.ticketId) ?? { number: update.number, replies: [], status: null };
    byTicket.set(update.ticketId, digest);
    if (update.event === 'status') digest.status = update.status;
    else {
      const reply = messages.get(update.ticketId)?.find((message) => message.seq === update.seq);
      if (reply && !reply.internal) digest.replies.push(reply);
    }
  }
  return [...byTicket.values()].filter((digest) => digest.replies.length > 0 || digest.status !== null);
}

function repliesPhrase(language: Language, count: number): string {
  const form = new Intl.PluralRules(language).select(count);
  const key =
    language === 'ru' && (form === 'few' || form === 'many') ? form : form === 'one' ? 'one' : 'many';
  return render(language, `ticket.digest.replies.${key}` as 'ticket.digest.replies.one', {
    count: String(count),
  });
}

function summaryOf(language: Language, digest: TicketDigest): string {
  const parts: string[] = [];
  if (digest.replies.length > 0) parts.push(repliesPhrase(language, digest.replies.length));
  if (digest.status)
    parts.push(
      render(language, 'ticket.digest.status', { status: render(language, `status.${digest.status}`) }),
    );
  return render(language, 'ticket.digest.line', { number: digest.number, summary: parts.join(', ') });
}

/** A single update in its usual words; several as one line per ticket. Within VK's 254 characters. */
export function notificationOf(
  language: Language,
  updates: readonly PendingUpdate[],
  messages: ReadonlyMap<string, readonly TicketMessageRecord[]>,
): { text: string; alternatives: string[]; fragment: string } | null {
  const digests = digestsOf(updates, messages);
  const [first] = digests;
  if (!first) return null;
  const fragment = digests.length === 1 ? `ticket=${encodeURIComponent(first.number)}` : 'tickets';
  const digest = fitted(digests.map((each) => summaryOf(language, each)).join('; '), NOTIFICATION_LIMIT);
  // VK refuses the same text twice in a row (two replies on one ticket a few hours apart): other wordings.
  const alternatives = [digest, fitted(`🔔 ${digest}`, NOTIFICATION_LIMIT)];
  if (digests.length === 1 && first.replies.length + (first.status ? 1 : 0) === 1) {
    const text = first.status
      ? render(language, 'ticket.status.notification', {
          number: first.number,
          status: render(language, `status.${first.status}`),
        })
      : render(language, 'ticket.reply.notification', { number: first.number });
    return { text, alternatives, fragment };
  }
  return { text: digest, alternatives: alternatives.slice(1), fragment };
}

/**
 * The community message: a single reply or status change as always; several as a header per ticket
 * with the operator's words below it, so nothing the operator wrote is lost in the summary.
 */
export function chatMessageOf(
  language: Language,
  updates: readonly PendingUpdate[],
  messages: ReadonlyMap<string, readonly TicketMessageRecord[]>,
): { text: string; attachments: string[] } | null {
  const digests = digestsOf(updates, messages);
  const [first] = digests;
  if (!first) return null;
  const attachments = digests
    .flatMap((digest) => digest.replies.flatMap((reply) => reply.attachments))
    .slice(0, ATTACHMENT_LIMIT);
  if (digests.length === 1 && first.replies.length + (first.status ? 1 : 0) === 1) {
    const [reply] = first.replies;
    const text = reply
      ? render(language, 'ticket.reply', { number: first.number, text: reply.text })
      : render(language, 'ticket.status', {
          number: first.number,
          status: render(language, `status.${first.status ?? 'new'}`),
        });
    return { text: fitted(text, MESSAGE_LIMIT), attachments };
  }
  const blocks = digests.map((digest) =>
    [`📬 ${summaryOf(language, digest)}`, ...digest.replies.map((reply) => `💬 ${reply.text}`)].join('\n\n'),
  );
  return { text: fitted(blocks.join('\n\n'), MESSAGE_LIMIT), attachments };
}

function fitted(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;
}
