import type { TextKey } from '../../i18n/catalog';
import type { TicketError } from '../../tickets/errors';

export type TicketErrorCode = ConstructorParameters<typeof TicketError>[0];

/**
 * What the operators' chat says for each way the ticket service refuses: never the error's own
 * (English) message, never its code. A code missing here fails the type check, and a test reads
 * the codes off `TicketError` so a new one without a text fails the tests too.
 */
export const ticketErrorTexts = {
  ticket_not_found: 'ops.not_found',
  unknown_category: 'ops.error.unknown_category',
  too_many_tickets: 'ops.error.too_many_tickets',
  idempotency_key_reused: 'ops.error.idempotency_key_reused',
  invalid_transition: 'ops.error.invalid_transition',
  ticket_closed: 'ops.error.ticket_closed',
} as const satisfies Record<TicketErrorCode, TextKey>;

/** The chat's text for a ticket service error; a code it doesn't know (a newer service) gets a general one. */
export function ticketErrorText(code: string): TextKey {
  return Object.hasOwn(ticketErrorTexts, code)
    ? ticketErrorTexts[code as TicketErrorCode]
    : 'ops.error.other';
}
