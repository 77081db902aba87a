import type { TicketRecord } from '../../storage/port';
import { TicketError } from '../../tickets/errors';
import { openStatuses, reopenStatus } from '../../tickets/lifecycle';
import { dialogDataSchema } from '../dialog';
import { buildKeyboard } from '../keyboard';
import type { Turn } from '../turn';
import { cardRecordOf, OPERATOR_CLIENT, operatorLabel } from './card';
import {
  type ActionResult,
  type Operator,
  type OperatorsArea,
  operatorName,
  sayRefusal,
  showOnCard,
} from './context';
import { opsText } from './voice';

/**
 * What operators do to a ticket from the chat, by its card's buttons or by `/take`, `/resolve`,
 * `/reopen`: each goes through the ticket service (audited with the operator's id), edits the card
 * to the new state and says what happened. Taking a ticket someone else holds is only asked, with a
 * "take over" button; the press on it reassigns.
 */
export class TicketActions {
  readonly #area: OperatorsArea;

  constructor(area: OperatorsArea) {
    this.#area = area;
  }

  /**
   * Takes the ticket. `confirmedHolder`: the holder a "take over" press confirmed taking it from; it
   * goes ahead only while that operator still holds it (else the new holder is asked about).
   */
  async take(
    turn: Turn,
    number: string,
    operator: Operator,
    confirmedHolder: number | null = null,
  ): Promise<ActionResult> {
    const { voice, tickets } = this.#area;
    const ticket = await turn.repositories.tickets.getByNumber(number);
    if (!ticket) return this.#notFound(turn, number);
    if (!openStatuses.includes(ticket.status)) {
      // An old keyboard or a "take over" asked before the resolution: a finished ticket is reopened,
      // not taken.
      const refusal =
        ticket.status === 'closed'
          ? new TicketError('ticket_closed', `Ticket ${number} is closed.`)
          : new TicketError('invalid_transition', `Ticket ${number} is ${ticket.status}.`);
      return sayRefusal(this.#area, turn, number, refusal);
    }
    const holder = ticket.assigneeId;
    if (holder === operator.operatorId || (holder !== null && holder !== confirmedHolder))
      await showOnCard(turn, ticket);
    if (holder === operator.operatorId) {
      const variables = { number, operator_name: operatorName(operator) };
      const outcome = voice.say(turn, 'ops.take.mine', variables, 'already_mine');
      return { outcome, snackbar: opsText('ops.take.mine', variables) };
    }
    const names = cardRecordOf(ticket).names;
    if (holder !== null && holder !== confirmedHolder) return this.#askTakeover(turn, number, holder, names);
    let taken: TicketRecord;
    try {
      taken = await tickets.assign(number, operator.operatorId, operator, turn.scope);
    } catch (error) {
      return sayRefusal(this.#area, turn, number, error);
    }
    await showOnCard(turn, taken, operator);
    const outcome =
      holder === null
        ? voice.say(turn, 'ops.taken', { number, operator_name: operatorName(operator) }, 'taken')
        : voice.say(
            turn,
            'ops.taken_over',
            { number, operator_name: operatorName(operator), previous: operatorLabel(names, holder) },
            'taken_over',
          );
    return { outcome, snackbar: opsText('ops.snackbar.done', { number }) };
  }

  async resolve(turn: Turn, number: string, operator: Operator): Promise<ActionResult> {
    const { voice, tickets } = this.#area;
    const ticket = await turn.repositories.tickets.getByNumber(number);
    if (!ticket) return this.#notFound(turn, number);
    if (ticket.status === 'resolved') {
      await showOnCard(turn, ticket);
      const outcome = voice.say(turn, 'ops.resolve.already', { number }, 'already_resolved');
      return { outcome, snackbar: opsText('ops.resolve.already', { number }) };
    }
    let resolved: TicketRecord;
    try {
      resolved = await tickets.changeStatus(number, 'resolved', operator, turn.scope);
    } catch (error) {
      return sayRefusal(this.#area, turn, number, error);
    }
    // The dialog is free again, still about this ticket: the user's next words reopen it
    // (flows/handover.ts), a "спасибо" reopens nothing.
    if (resolved.userId !== null) {
      const dialog = await turn.repositories.dialogs.get(resolved.userId);
      if (dialog && dialogDataSchema.safeParse(dialog.data).data?.ticket === number)
        await turn.repositories.dialogs.put({ ...dialog, state: 'idle', updatedAt: turn.now });
    }
    await showOnCard(turn, resolved, operator);
    const outcome = voice.say(
      turn,
      'ops.resolved',
      { number, operator_name: operatorName(operator) },
      'resolved',
    );
    return { outcome, snackbar: opsText('ops.snackbar.done', { number }) };
  }

  /** Back to its operator (or to the queue when nobody held it), as a user's message within the window would. */
  async reopen(turn: Turn, number: string, operator: Operator): Promise<ActionResult> {
    const { voice, tickets } = this.#area;
    const ticket = await turn.repositories.tickets.getByNumber(number);
    if (!ticket) return this.#notFound(turn, number);
    if (openStatuses.includes(ticket.status)) {
      await showOnCard(turn, ticket);
      const outcome = voice.say(turn, 'ops.reopen.not_resolved', { number }, 'not_resolved');
      return { outcome, snackbar: opsText('ops.reopen.not_resolved', { number }) };
    }
    let reopened: TicketRecord;
    try {
      reopened = await tickets.changeStatus(number, reopenStatus(ticket), operator, turn.scope);
    } catch (error) {
      return sayRefusal(this.#area, turn, number, error);
    }
    // The dialog resolving freed is with this ticket again, unless the user went on to another.
    if (reopened.userId !== null) {
      const dialog = await turn.repositories.dialogs.get(reopened.userId);
      if (dialog?.state === 'idle' && dialogDataSchema.safeParse(dialog.data).data?.ticket === undefined) {
        await turn.repositories.dialogs.put({
          ...dialog,
          state: 'with_operator',
          data: { ...dialog.data, ticket: number },
          updatedAt: turn.now,
        });
      }
    }
    await showOnCard(turn, reopened, operator);
    const outcome = voice.say(
      turn,
      'ops.reopened',
      { number, operator_name: operatorName(operator) },
      'reopened',
    );
    return { outcome, snackbar: opsText('ops.snackbar.done', { number }) };
  }

  /** Someone else holds the ticket: a "take over" button for that holder, and nothing changes yet. */
  #askTakeover(
    turn: Turn,
    number: string,
    holder: number,
    names: Readonly<Record<string, string>>,
  ): ActionResult {
    const keyboard = buildKeyboard(
      [
        [
          {
            label: opsText('ops.card.takeover'),
            payload: { c: 'op', a: 'takeover', t: number, h: holder },
            color: 'negative',
          },
        ],
      ],
      OPERATOR_CLIENT,
    );
    const variables = { number, holder: operatorLabel(names, holder) };
    const outcome = this.#area.voice.say(turn, 'ops.take.confirm', variables, 'takeover_asked', keyboard);
    return { outcome, snackbar: opsText('ops.snackbar.confirm', variables) };
  }

  #notFound(turn: Turn, number: string): ActionResult {
    const outcome = this.#area.voice.say(turn, 'ops.not_found', { number });
    return { outcome, snackbar: opsText('ops.snackbar.failed', { number }) };
  }
}
