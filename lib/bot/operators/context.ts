import type { Logger } from '../../log/logger';
import type { BusinessHours } from '../../schedule/business-hours';
import type { TicketRecord } from '../../storage/port';
import type { SupportSettings } from '../../support/settings';
import { TicketError } from '../../tickets/errors';
import type { OperatorsChats } from '../../tickets/routing';
import type { TicketService } from '../../tickets/service';
import type { Turn } from '../turn';
import { queueCardEdit } from './card-sync';
import { ticketErrorText } from './ticket-errors';
import { type ChatVoice, opsText } from './voice';

export interface OperatorFacts {
  /** Whether the sender is a member of the operators' chat (messages.getConversationMembers). */
  member: boolean;
  /** The operator's first name (users.get), for `{operator_name}` and chat notes. */
  name: string | null;
}

export interface OperatorsChatSettings {
  groupId: number;
  /** The default operators' chat (OPERATORS_CHAT_PEER_ID). */
  peerId: number | undefined;
  /** Every operators' chat, and which gets which category's tickets (lib/tickets/routing.ts). */
  chats: OperatorsChats;
  support: SupportSettings;
  hours: BusinessHours;
}

/** A chat member acting on tickets: audited with their VK id. */
export type Operator = { operatorId: number; role: 'operator'; name: string | null };

/** What each area of the operators' chat works with. */
export interface OperatorsArea {
  settings: OperatorsChatSettings;
  tickets: TicketService;
  logger: Logger;
  voice: ChatVoice;
}

/** What an action answers: the outcome (logs, tests) and, for a button press, its snackbar. */
export interface ActionResult {
  outcome: string;
  snackbar: string;
}

export function operatorName(operator: Operator): string {
  return operator.name ?? `id${operator.operatorId}`;
}

/**
 * Queues, in the turn, the edit that shows the ticket as it is now on its card (nothing if it shows
 * it already). Called after every change from the chat, and on every action that changed nothing:
 * a change made elsewhere (the API, the auto-close) reaches the card when the chat next touches it.
 */
export async function showOnCard(turn: Turn, ticket: TicketRecord, operator?: Operator): Promise<void> {
  await queueCardEdit(turn.repositories, turn.outbox, ticket, {
    now: turn.now,
    holdMs: turn.replyHoldMs,
    ...(operator ? { operator } : {}),
  });
}

/**
 * Tells the chat, in its language, why the ticket service refused: a text per `TicketError` code.
 * Anything else is not the operator's to read: it is rethrown (the update fails and is retried).
 */
export async function sayRefusal(
  area: OperatorsArea,
  turn: Turn,
  number: string,
  error: unknown,
): Promise<ActionResult> {
  if (!(error instanceof TicketError)) throw error;
  const ticket = await turn.repositories.tickets.getByNumber(number);
  if (ticket) await showOnCard(turn, ticket);
  const outcome = area.voice.say(
    turn,
    ticketErrorText(error.code),
    { number, status: ticket ? opsText(`status.${ticket.status}`) : '—' },
    `failed:${error.code}`,
  );
  return { outcome, snackbar: opsText('ops.snackbar.failed', { number }) };
}
