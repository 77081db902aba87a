import { HOUR } from '../clock';
import { stems } from '../i18n/words';
import type { OperatorShiftRecord } from '../storage/port';
import type { Category, PriorityContent } from '../support/settings';
import type { TicketPriority } from './priority';

/**
 * Where a new ticket goes and how urgent it is, as pure functions of the content and the
 * environment: its category's operators' chat (by key, mapped to a peer id per environment), its
 * priority (the category's, raised to `urgent` by an urgent phrase in its words or, later, in the
 * user's follow-up message: lib/tickets/service.ts), and which operator
 * on shift in that chat takes it next.
 */

/** The operators' chats of an environment: OPERATORS_CHAT_PEER_ID, OPERATORS_CHATS, LEAD_CHAT_PEER_ID. */
export interface OperatorsChats {
  /** Tickets of categories without a chat of their own, and the fallback for everything else. */
  defaultPeerId: number | undefined;
  /** Chat keys (`"chat": "payments"` on a category) to peer ids. */
  byKey: Readonly<Record<string, number>>;
  /** Where a ticket past its SLA escalates; unset: the default chat. */
  leadPeerId: number | undefined;
  /**
   * A shift ends on its own this long after `/shift on` (OPERATOR_SHIFT_HOURS): an operator who went
   * home without `/shift off` stops getting new tickets.
   */
  shiftMs: number;
}

/** OPERATOR_SHIFT_HOURS' default: a long working day. */
export const DEFAULT_SHIFT_MS = 12 * HOUR;

export const noOperatorsChats: OperatorsChats = {
  defaultPeerId: undefined,
  byKey: {},
  leadPeerId: undefined,
  shiftMs: DEFAULT_SHIFT_MS,
};

/** The peer id of the chat that gets a category's tickets: its own if mapped, else the default one. */
export function chatPeerIdOf(
  category: Pick<Category, 'chat'> | undefined,
  chats: OperatorsChats,
): number | undefined {
  const own = category?.chat === undefined ? undefined : chats.byKey[category.chat];
  return own ?? chats.defaultPeerId;
}

/**
 * Every chat the bot treats as an operators' chat (commands, cards, replies): the default one and
 * each mapped one. The leads' chat is not one unless it is also listed: it only receives escalations.
 */
export function operatorsChatPeerIds(chats: OperatorsChats): ReadonlySet<number> {
  const peers = new Set(Object.values(chats.byKey));
  if (chats.defaultPeerId !== undefined) peers.add(chats.defaultPeerId);
  return peers;
}

/** Where escalations go: the leads' chat, else the default operators' chat. */
export function escalationPeerId(chats: OperatorsChats): number | undefined {
  return chats.leadPeerId ?? chats.defaultPeerId;
}

/** Urgent phrases as stem lists, ready to match (`compileUrgentPhrases`). */
export type UrgentPhrases = ReadonlyArray<readonly string[]>;

/**
 * A phrase's words may stand this many other words apart in total, within one sentence, and still
 * make the phrase: "деньги у меня вчера со счёта списали" says "списали деньги" (five apart), while
 * a word at the start of a long sentence and the other at its end do not.
 */
const PHRASE_SLACK = 5;

/** Where a sentence ends: its punctuation or a line break. A phrase never spans two sentences. */
const SENTENCE_END = /[.!?…;\n]+/u;

export function compileUrgentPhrases(content: PriorityContent): UrgentPhrases {
  return [...content.urgentPhrases.ru, ...content.urgentPhrases.en]
    .map((phrase) => stems(phrase))
    .filter((phraseStems) => phraseStems.length > 0);
}

/**
 * Whether the text says one of the phrases: every stem of the phrase within one sentence and a
 * window of the phrase's length plus `PHRASE_SLACK` words, in any order and case ("деньги списали
 * дважды", "Списали Деньги!" say "списали деньги"; a word in one sentence and the other in the next
 * do not).
 */
export function mentionsUrgentPhrase(text: string, phrases: UrgentPhrases): boolean {
  const sentences = text
    .split(SENTENCE_END)
    .map((sentence) => stems(sentence))
    .filter((words) => words.length > 0);
  return phrases.some((phrase) => sentences.some((words) => sentenceSays(words, phrase)));
}

function sentenceSays(words: readonly string[], phrase: readonly string[]): boolean {
  const window = phrase.length + PHRASE_SLACK;
  return words.some((_, start) => {
    const span = words.slice(start, start + window);
    return span[0] !== undefined && phrase.includes(span[0]) && phrase.every((stem) => span.includes(stem));
  });
}

/** A new ticket's priority: its category's, or `urgent` when its subject or text says an urgent phrase. */
export function priorityFor(
  category: Pick<Category, 'priority'>,
  ticket: { subject: string; text: string },
  phrases: UrgentPhrases,
): TicketPriority {
  if (category.priority === 'urgent') return 'urgent';
  return mentionsUrgentPhrase(`${ticket.subject}\n${ticket.text}`, phrases) ? 'urgent' : category.priority;
}

/** When a shift ends on its own: `shiftMs` after it began. */
export function shiftEndsAt(shift: Pick<OperatorShiftRecord, 'onSince'>, shiftMs: number): number {
  return shift.onSince + shiftMs;
}

/** Whether the shift still runs at `now` (a row past its end is a shift that ended on its own). */
export function isOnShift(
  shift: Pick<OperatorShiftRecord, 'onSince'>,
  now: number,
  shiftMs: number,
): boolean {
  return now < shiftEndsAt(shift, shiftMs);
}

/**
 * Round robin over the operators on shift at `now`: the one the rotation gave a ticket least recently
 * (one not given any this shift first), ties by who came on shift first, then by id. Shifts past their
 * length are left out. The caller records the pick's `lastAssignedAt` in the same transaction, so the
 * next ticket goes to the next operator.
 */
export function nextOnShift(
  shifts: readonly OperatorShiftRecord[],
  now: number,
  shiftMs: number,
): OperatorShiftRecord | null {
  let next: OperatorShiftRecord | null = null;
  for (const shift of shifts) {
    if (!isOnShift(shift, now, shiftMs)) continue;
    if (next === null || rotationOrder(shift, next) < 0) next = shift;
  }
  return next;
}

function rotationOrder(a: OperatorShiftRecord, b: OperatorShiftRecord): number {
  const lastA = a.lastAssignedAt ?? Number.NEGATIVE_INFINITY;
  const lastB = b.lastAssignedAt ?? Number.NEGATIVE_INFINITY;
  if (lastA !== lastB) return lastA < lastB ? -1 : 1;
  if (a.onSince !== b.onSince) return a.onSince - b.onSince;
  return a.operatorId - b.operatorId;
}
