import * as z from 'zod';
import type { TicketMessageRecord, TicketRecord } from '../../storage/port';
import { findCategory, type SupportSettings } from '../../support/settings';
import { statusEmoji } from '../../tickets/lifecycle';
import { priorityEmoji, priorityOf } from '../../tickets/priority';
import { type Button, buildKeyboard } from '../keyboard';
import { OPERATORS_LANGUAGE, opsText } from './voice';

/**
 * A ticket's card in the operators' chat, as data: what it shows (the user's words, the ticket's
 * current status and assignee, the buttons that status allows) and what the ticket remembers of it
 * (`details.opsCard`: where the card is, the state it shows, the operators' names). Pure: rendering
 * takes what was read; `card-sync.ts` reads, writes and sends.
 */

/** Operators' VK clients are current: cards carry callback buttons. */
export const OPERATOR_CLIENT = { callback: true, inline: true, keyboard: true } as const;

/** What a card shows besides the user's words and the ticket's state; fixed when it is posted. */
export const cardFrameSchema = z.object({
  groupId: z.number().int().positive(),
  emoji: z.string(),
  category: z.string(),
});
export type CardFrame = z.infer<typeof cardFrameSchema>;

/**
 * What the ticket keeps of its card (`details.opsCard`). No user data: the card's words are read from
 * the ticket's first message whenever it is rendered, so an erased user's card loses them too.
 */
export const cardRecordSchema = z.object({
  /** Where the card is: known once its `messages.send` answered with the conversation_message_id. */
  posted: z
    .object({
      peerId: z.number().int(),
      conversationMessageId: z.number().int().positive(),
      frame: cardFrameSchema,
    })
    .optional(),
  /** Bumped by every edit queued: an edit job of a lower version is superseded and never sent. */
  version: z.number().int().nonnegative().default(0),
  /** The state (`cardState`) the card shows, or will once its latest queued edit lands. */
  shown: z.string().optional(),
  /** Operators' first names by VK id, as the chat learned them (the assignee line, the prompts). */
  names: z.record(z.string(), z.string()).default({}),
});
export type CardRecord = z.infer<typeof cardRecordSchema>;

/** The ticket's card record; an empty one when it has none (not posted yet, or an older ticket). */
export function cardRecordOf(ticket: TicketRecord): CardRecord {
  const parsed = cardRecordSchema.safeParse(ticket.details.opsCard ?? {});
  return parsed.success ? parsed.data : { version: 0, names: {} };
}

/** The ticket with its card record replaced. */
export function withCardRecord(ticket: TicketRecord, card: CardRecord): TicketRecord {
  return { ...ticket, details: { ...ticket.details, opsCard: card } };
}

/**
 * What of the ticket a card shows that changes: a card whose `shown` differs needs an edit. Status
 * and assignee; and the priority once it is urgent (a user's later words can raise it there, never
 * lower it), so the card's last line follows. Other priorities are fixed at filing: left out, so the
 * cards posted before the priority counted need no edit for it.
 */
export function cardState(ticket: Pick<TicketRecord, 'status' | 'assigneeId' | 'details'>): string {
  const state = `${ticket.status}:${ticket.assigneeId ?? ''}`;
  return priorityOf(ticket) === 'urgent' ? `${state}:urgent` : state;
}

/** An operator as the chat names them: their first name when known, else their VK id. */
export function operatorLabel(names: Readonly<Record<string, string>>, operatorId: number): string {
  return names[String(operatorId)] ?? `id${operatorId}`;
}

/** The frame of a ticket's card from the support settings. */
export function cardFrame(settings: { groupId: number; support: SupportSettings }, ticket: TicketRecord) {
  const category = findCategory(settings.support, ticket.category);
  return {
    groupId: settings.groupId,
    emoji: category?.emoji ?? '',
    category: category?.label[OPERATORS_LANGUAGE] ?? ticket.category,
  } satisfies CardFrame;
}

/** The user's side of a card: who wrote and what (the ticket's first message). */
/**
 * The words a card shows: a mini app ticket's subject above its first message, as the form took
 * them apart; a chat ticket's message alone (its subject is made of those words). The same at the
 * card's post and at every edit.
 */
export function cardWords(
  ticket: Pick<TicketRecord, 'channel' | 'subject'>,
  first: Pick<TicketMessageRecord, 'text'> | undefined,
): string {
  const text = first?.text ?? '';
  return ticket.channel === 'app' ? [ticket.subject, text].filter(Boolean).join('\n') : text;
}

export interface CardContent {
  /** null once the user's data was erased. */
  userId: number | null;
  firstName: string | null;
  text: string;
  photos: readonly string[];
  /** The requester's tickets before this one (`card-history.ts`); null for a first ticket. */
  history: RequesterHistory | null;
}

/** What the card says of the requester's earlier tickets: a few read, the latest one, the last rating. */
export interface RequesterHistory {
  /** Earlier tickets read (at most a few), and whether there are more than that. */
  count: number;
  more: boolean;
  /** The latest of them. */
  last: Pick<TicketRecord, 'number' | 'status'>;
  /** The latest rating the requester gave on them, 1..5. */
  lastRating: number | null;
}

/**
 * The user's words on a card at most: with the frame, the requester's lines, ten photos and the
 * state the card stays within the 4096 characters a VK message shows in one piece (a card is one
 * message, sent and edited whole).
 */
export const CARD_WORDS_MAX = 3000;

export interface CardView {
  text: string;
  keyboard: object;
}

/**
 * The card as the chat shows it: the ticket, the requester and their earlier tickets, the user's words
 * (cut to `CARD_WORDS_MAX`) and a line with the current status and assignee; the buttons are what the status allows (take and resolve while open, reopen once resolved,
 * none once closed; templates until then).
 */
export function renderCard(
  frame: CardFrame,
  content: CardContent,
  ticket: Pick<TicketRecord, 'number' | 'status' | 'assigneeId' | 'details'>,
  names: Readonly<Record<string, string>>,
): CardView {
  const { userId } = content;
  const status = opsText(`status.${ticket.status}`);
  const priority = priorityOf(ticket);
  const priorityLine = opsText('ops.card.priority', {
    emoji: priorityEmoji[priority],
    priority: opsText(`priority.${priority}`),
  });
  const text = opsText('ops.card', {
    status_emoji: statusEmoji[ticket.status],
    emoji: frame.emoji,
    number: ticket.number,
    category: frame.category,
    user:
      userId === null
        ? opsText('ops.card.user.erased')
        : opsText('ops.card.user', { name: content.firstName ?? `id${userId}`, user_id: userId }),
    history: historyLine(content.history),
    text: clipped(content.text) || '—',
    attachments:
      content.photos.length > 0 ? opsText('ops.card.attachments', { list: content.photos.join(', ') }) : '',
    dialog_url: userId === null ? '—' : `https://vk.com/gim${frame.groupId}?sel=${userId}`,
    state:
      ticket.assigneeId === null
        ? opsText('ops.card.state.unassigned', { status })
        : opsText('ops.card.state.assigned', { status, assignee: operatorLabel(names, ticket.assigneeId) }),
  });
  return { text: `${text}${priorityLine}`, keyboard: cardKeyboard(ticket) };
}

/** "Ранее: 3 обращения (последнее B-0998, решено ✅), последняя оценка: 4 ★", or nothing. */
function historyLine(history: RequesterHistory | null): string {
  if (!history) return '';
  const form = new Intl.PluralRules(OPERATORS_LANGUAGE).select(history.count);
  const count = history.more
    ? opsText('ops.card.history.more', { count: history.count })
    : opsText(
        form === 'one'
          ? 'ops.card.history.one'
          : form === 'few'
            ? 'ops.card.history.few'
            : 'ops.card.history.many',
        { count: history.count },
      );
  return opsText('ops.card.history', {
    count,
    number: history.last.number,
    status: opsText(`status.${history.last.status}`),
    rating:
      history.lastRating === null ? '' : opsText('ops.card.history.rating', { rating: history.lastRating }),
  });
}

/** The user's words cut to `CARD_WORDS_MAX`, never inside a surrogate pair. */
function clipped(text: string): string {
  if (text.length <= CARD_WORDS_MAX) return text;
  return `${Array.from(text.slice(0, CARD_WORDS_MAX - 1))
    .filter((char) => char.length === 2 || !/[\uD800-\uDFFF]/.test(char))
    .join('')}…`;
}

/** The card's buttons for the ticket's status. */
export function cardKeyboard(ticket: Pick<TicketRecord, 'number' | 'status'>): object {
  const t = ticket.number;
  const template: Button = { label: opsText('ops.card.template'), payload: { c: 'op', a: 'tpl', t } };
  let rows: Button[][];
  switch (ticket.status) {
    case 'new':
    case 'in_progress':
    case 'waiting_for_user':
      rows = [
        [
          { label: opsText('ops.card.take'), payload: { c: 'op', a: 'take', t }, color: 'primary' },
          { label: opsText('ops.card.resolve'), payload: { c: 'op', a: 'resolve', t }, color: 'positive' },
        ],
        [template],
      ];
      break;
    case 'resolved':
      rows = [
        [{ label: opsText('ops.card.reopen'), payload: { c: 'op', a: 'reopen', t }, color: 'primary' }],
        [template],
      ];
      break;
    case 'closed':
      rows = [];
      break;
  }
  // An inline keyboard without buttons removes the old ones on an edit.
  return buildKeyboard(rows, OPERATOR_CLIENT) ?? { inline: true, buttons: [] };
}
