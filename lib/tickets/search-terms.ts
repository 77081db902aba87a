import { parseContact } from '../bot/contact';
import type { TicketRecord, TicketSearchEntry } from '../storage/port';
import { ticketContactOf } from './contact';

/**
 * What the operators' search (`GET /api/ops/tickets?q=`) looks a ticket up by, as pure functions:
 * the terms a ticket is indexed under and what a typed `q` asks for.
 *
 * - `contact:<value>`: each contact on the ticket, normalised as the bot normalises what users type
 *   (e-mail lower-cased, phone `+<digits>`, a Russian `8 9xx…` read as `+7 9xx…`), whether the bot or
 *   the mini app's form took it.
 * - `name:<prefix>`: every prefix of the requester's first name, lower-cased with `ё` read as `е`, up
 *   to `NAME_PREFIX_MAX` characters. One exact term per prefix keeps a name search a single key range
 *   read newest first with the queue's cursor; a `term >= 'name:ан' AND term < 'name:ан\uffff'` range
 *   would come back ordered by name, not time, and need a cursor per name. The price is a few more
 *   index rows per ticket (a name is short).
 *
 * Ticket numbers and VK ids need no terms: `tickets_by_number` and `tickets_by_user` answer them.
 */

/** Name prefixes are indexed up to this many characters; a longer query is narrowed by the name read. */
export const NAME_PREFIX_MAX = 20;

/** A first name as searches compare it: lower case, `ё` as `е`, single spaces, trimmed. */
export function normaliseName(name: string): string {
  return name.normalize('NFC').toLowerCase().replace(/ё/g, 'е').replace(/\s+/g, ' ').trim();
}

/** The `name:` terms of a first name: each of its prefixes up to `NAME_PREFIX_MAX` characters. */
export function nameTerms(firstName: string | null): string[] {
  const letters = Array.from(normaliseName(firstName ?? '')).slice(0, NAME_PREFIX_MAX);
  return letters.map((_, index) => `name:${letters.slice(0, index + 1).join('')}`);
}

/** The `contact:` terms of a ticket: its e-mail and phone, whichever channel took them. */
export function contactTerms(details: Record<string, unknown>): string[] {
  const contact = ticketContactOf(details);
  return [contact?.email, contact?.phone].flatMap((value) => (value ? [`contact:${value}`] : []));
}

/** Every search entry of a ticket, given its requester's first name (null: none known, or erased). */
export function searchEntriesOf(
  ticket: Pick<TicketRecord, 'ticketId' | 'createdAt' | 'userId' | 'details'>,
  firstName: string | null,
): TicketSearchEntry[] {
  if (ticket.userId === null) return []; // erased: nothing left to find it by
  return [...contactTerms(ticket.details), ...nameTerms(firstName)].map((term) => ({
    term,
    createdAt: ticket.createdAt,
    ticketId: ticket.ticketId,
  }));
}

export const isNameTerm = (term: string) => term.startsWith('name:');

/** What a search asks for. */
export type TicketQuery =
  | { kind: 'number'; number: string }
  | { kind: 'user'; userId: number }
  | { kind: 'contact'; term: string }
  /** `term` is the indexed prefix; `name` the whole typed name, when longer than the prefix. */
  | { kind: 'name'; term: string; name: string };

const VK_PROFILE = /^(?:(?:https?:\/\/)?(?:m\.)?vk\.com\/)?id(\d{1,10})$/i;
/** A bare number this short is a VK id; longer ones are phones (`id1234567890` for a 10-digit id). */
const BARE_VK_ID = /^\d{1,9}$/;
const TICKET_NUMBER = /^([a-z]{1,5})[-\s]?(\d{1,9})$/i;

/**
 * Reads a search: a ticket number of one of `prefixes` (`b-1001`, `B1001`) → that ticket; a VK id
 * (`id123`, `123`, `vk.com/id123`) → that user's tickets; an e-mail or phone → tickets with that
 * contact; anything else → tickets of requesters whose first name starts with it.
 */
export function parseTicketQuery(q: string, prefixes: readonly string[]): TicketQuery {
  const text = q.trim();
  const number = TICKET_NUMBER.exec(text);
  const prefix = number?.[1]?.toUpperCase();
  if (number && prefix && prefixes.includes(prefix))
    return { kind: 'number', number: `${prefix}-${number[2]}` };
  const profile = VK_PROFILE.exec(text)?.[1] ?? (BARE_VK_ID.test(text) ? text : undefined);
  if (profile !== undefined) {
    const userId = Number(profile);
    if (userId > 0 && userId < 2_000_000_000) return { kind: 'user', userId };
  }
  const contact = parseContact(text);
  if (contact) return { kind: 'contact', term: `contact:${contact.value}` };
  const name = normaliseName(text);
  return { kind: 'name', term: `name:${Array.from(name).slice(0, NAME_PREFIX_MAX).join('')}`, name };
}

/** Whether a requester's first name answers a name search (the part beyond the indexed prefix too). */
export function nameMatches(firstName: string | null, name: string): boolean {
  return firstName !== null && normaliseName(firstName).startsWith(name);
}
