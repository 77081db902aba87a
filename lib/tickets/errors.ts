import { AppError } from '../errors';
import type { Repositories, TicketRecord } from '../storage/port';

/** Typed outcomes the edges map to their answers (HTTP status, a bot message). */
export class TicketError extends AppError {
  readonly retryAfterSeconds: number | undefined;
  constructor(
    code:
      | 'ticket_not_found'
      | 'unknown_category'
      | 'too_many_tickets'
      | 'idempotency_key_reused'
      | 'invalid_transition'
      | 'ticket_closed',
    message: string,
    options: { retryAfterSeconds?: number } = {},
  ) {
    super(code, message);
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

export async function ticketByNumber(repositories: Repositories, number: string): Promise<TicketRecord> {
  const ticket = await repositories.tickets.getByNumber(number);
  if (!ticket) throw notFound(number);
  return ticket;
}

export function notFound(number: string): TicketError {
  return new TicketError('ticket_not_found', `No ticket ${number}.`);
}
