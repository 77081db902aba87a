import type { Logger } from '../log/logger';
import type { TicketRecord, UserRecord } from '../storage/port';
import { findCategory } from '../support/settings';
import { chatPeerIdOf } from '../tickets/routing';
import type { TicketService } from '../tickets/service';
import { OperatorAnswers } from './operators/answers';
import { cardFrame, cardRecordOf, renderCard } from './operators/card';
import { requesterHistory } from './operators/card-history';
import { cardIsStale, cardPostJob, cardRefreshJob } from './operators/card-sync';
import { COMMAND_NAMES, ticketNumberIn } from './operators/commands';
import type {
  ActionResult,
  Operator,
  OperatorFacts,
  OperatorsArea,
  OperatorsChatSettings,
} from './operators/context';
import { ChatReports } from './operators/reports';
import { ChatShifts, SHIFT_COMMANDS } from './operators/shifts';
import { TicketActions } from './operators/ticket-actions';
import { ChatVoice, opsText } from './operators/voice';
import type { Turn } from './turn';
import type { BotUpdate } from './updates';

export type { OperatorFacts, OperatorsChatSettings } from './operators/context';

/** The first line of a card (`ops.card`) or of a relayed user message (`ops.user_message`). */
const CARD_FIRST_LINE = /^(?:\S+ ){1,2}([A-Z]-\d{4,9}) · /u;
/** `/take B-1042`: a command, in any script, and what follows it. */
const COMMAND = /^\/([\p{L}\p{N}_]+)(?:\s+([\s\S]*))?$/u;

/** One operators' chat's areas, speaking in that chat. */
interface ChatAreas {
  area: OperatorsArea;
  actions: TicketActions;
  answers: OperatorAnswers;
  reports: ChatReports;
  shifts: ChatShifts;
}

/**
 * The operators' chat: the bot posts a card per ticket (user, category, text, dialog link, its
 * current status and assignee, buttons for what the status allows) and keeps it current; it relays
 * the user's later messages. Members answer a card to write to the user, press its buttons to change
 * the ticket, and use `/t`, `/status`, `/queue`, `/take`, `/resolve`, `/reopen`, and `/shift on|off`
 * to take new tickets of their chat in turn. There may be several such chats (a category may name its
 * own, lib/tickets/routing.ts): a ticket's card goes to its chat, and each chat is answered in itself. Everything an
 * operator does here goes through the ticket service, audited with their VK id, and everything the
 * chat shows is a catalog text in the team's language.
 *
 * The areas live in `operators/`: the card (`card.ts`) and keeping it current (`card-sync.ts`),
 * ticket actions, answers to users, reports.
 */
export class OperatorsChat {
  /** Each operators' chat's areas, made on its first update: they answer in that chat. */
  readonly #chats = new Map<number, ChatAreas>();

  constructor(readonly deps: { settings: OperatorsChatSettings; tickets: TicketService; logger: Logger }) {}

  /**
   * Posts the ticket's card (with the requester's earlier tickets, read in the turn's transaction);
   * the deferred worker sends it and records where it is, for its edits.
   */
  async postCard(
    turn: Turn,
    ticket: TicketRecord,
    user: UserRecord,
    text: string,
    photos: readonly string[],
  ): Promise<void> {
    const { settings } = this.deps;
    // The ticket's own chat: its category's, else the default one.
    const peerId = this.#chatOf(ticket);
    if (peerId === undefined || ticket.userId === null) return;
    const frame = cardFrame(settings, ticket);
    const history = await requesterHistory(turn.repositories, ticket);
    const content = { userId: ticket.userId, firstName: user.firstName, text, photos, history };
    const view = renderCard(frame, content, ticket, cardRecordOf(ticket).names);
    turn.outbox.jobs.push(cardPostJob(ticket, { peerId, frame, view }, turn.now));
  }

  /** A user's later message on a ticket, so operators can answer it here (a reply to it relays too). */
  postUserMessage(
    turn: Turn,
    ticket: TicketRecord,
    user: UserRecord,
    text: string,
    photos: readonly string[],
  ): void {
    // Where its card is, so a reply to either reaches the same operators.
    const peerId = cardRecordOf(ticket).posted?.peerId ?? this.#chatOf(ticket);
    if (peerId === undefined || ticket.userId === null) return;
    turn.send({
      peerId,
      text: opsText('ops.user_message', {
        number: ticket.number,
        name: user.firstName ?? `id${ticket.userId}`,
        text: text || '—',
        attachments: photos.length > 0 ? opsText('ops.card.attachments', { list: photos.join(', ') }) : '',
      }),
    });
    // The message may have reopened the ticket, or brought it back from waiting: the card follows.
    if (cardIsStale(ticket)) turn.outbox.jobs.push(cardRefreshJob(ticket, turn.now));
  }

  async apply(
    update: Extract<BotUpdate, { kind: 'chat_message' | 'chat_press' }>,
    turn: Turn,
    operator: OperatorFacts | null,
  ): Promise<string> {
    const operatorId = update.kind === 'chat_message' ? update.fromId : update.userId;
    if (!operator?.member) {
      this.deps.logger.warn('operators chat: not a member, ignored', { operatorId });
      if (update.kind === 'chat_press')
        turn.answerPress({ eventId: update.pressId, userId: operatorId, peerId: update.peerId });
      return 'not_a_member';
    }
    const actor: Operator = { operatorId, role: 'operator', name: operator.name };
    const chat = this.#areasOf(update.peerId);
    if (update.kind === 'chat_press') {
      if (update.payload.c !== 'op') return 'ignored';
      const result = await this.#press(chat, turn, update.payload, actor);
      turn.answerPress({
        eventId: update.pressId,
        userId: operatorId,
        peerId: update.peerId,
        snackbarText: result.snackbar,
      });
      return result.outcome;
    }
    const text = update.text.trim();
    const command = COMMAND.exec(text);
    if (command) return this.#command(chat, turn, command[1] ?? '', command[2] ?? '', update.replyTo, actor);
    const card = this.#cardNumber(update.replyTo);
    if (card && text) return chat.answers.relay(turn, card, text, actor);
    return 'chatter';
  }

  /** A member joined or left the chat: one who left is off shift there. */
  memberChanged(update: Extract<BotUpdate, { kind: 'chat_member' }>, turn: Turn): Promise<string> | string {
    if (update.change === 'joined') return 'member_joined';
    return this.#areasOf(update.peerId).shifts.memberLeft(turn, update.memberId);
  }

  /** The chat that gets the ticket: its category's own, else the default one. */
  #chatOf(ticket: TicketRecord): number | undefined {
    const { settings } = this.deps;
    return chatPeerIdOf(findCategory(settings.support, ticket.category), settings.chats);
  }

  #areasOf(peerId: number): ChatAreas {
    let areas = this.#chats.get(peerId);
    if (!areas) {
      const { settings } = this.deps;
      const area: OperatorsArea = { ...this.deps, voice: new ChatVoice(peerId, settings.hours.timezone) };
      areas = {
        area,
        actions: new TicketActions(area),
        answers: new OperatorAnswers(area),
        reports: new ChatReports(area),
        shifts: new ChatShifts(area),
      };
      this.#chats.set(peerId, areas);
    }
    return areas;
  }

  #press(
    chat: ChatAreas,
    turn: Turn,
    payload: Extract<BotUpdate, { kind: 'chat_press' }>['payload'] & { c: 'op' },
    operator: Operator,
  ): Promise<ActionResult> | ActionResult {
    const { a: action, t: number } = payload;
    switch (action) {
      case 'take':
        return chat.actions.take(turn, number, operator);
      case 'takeover':
        return chat.actions.take(turn, number, operator, payload.h ?? null);
      case 'resolve':
        return chat.actions.resolve(turn, number, operator);
      case 'reopen':
        return chat.actions.reopen(turn, number, operator);
      case 'tpl':
        return {
          outcome: chat.answers.listTemplates(turn, number),
          snackbar: opsText('ops.snackbar.done', { number }),
        };
    }
  }

  async #command(
    chat: ChatAreas,
    turn: Turn,
    name: string,
    argument: string,
    replyTo: { fromId: number; text: string } | null,
    operator: Operator,
  ): Promise<string> {
    const { voice } = chat.area;
    const typed = name.toLowerCase();
    if (SHIFT_COMMANDS.has(typed)) return chat.shifts.command(turn, argument, operator);
    const command = COMMAND_NAMES[typed];
    const number = ticketNumberIn(argument);
    const needsNumber = () => voice.say(turn, 'ops.command.needs_number', { command: typed }, 'needs_number');
    switch (command) {
      case 'queue':
        return chat.reports.queue(turn);
      case 'status':
        return number ? chat.reports.status(turn, number) : needsNumber();
      case 'take':
        return number ? (await chat.actions.take(turn, number, operator)).outcome : needsNumber();
      case 'resolve':
        return number ? (await chat.actions.resolve(turn, number, operator)).outcome : needsNumber();
      case 'reopen':
        return number ? (await chat.actions.reopen(turn, number, operator)).outcome : needsNumber();
      case 't': {
        const card = this.#cardNumber(replyTo);
        if (!card) return voice.say(turn, 'ops.template.needs_card', {}, 'needs_card');
        return chat.answers.sendTemplate(turn, card, argument.trim(), operator);
      }
      case 'help':
        return voice.say(turn, 'ops.help', {}, 'help');
      default:
        return voice.sayText(
          turn,
          `${opsText('ops.command.unknown', { command: name })}\n${opsText('ops.help')}`,
          'unknown_command',
        );
    }
  }

  /** The ticket a reply is about: the number on the bot's card or relayed message it answers. */
  #cardNumber(replyTo: { fromId: number; text: string } | null): string | null {
    if (!replyTo || replyTo.fromId !== -this.deps.settings.groupId) return null;
    // Only a card ("🆕 ❓ Q-1001 · …") or a relayed message ("✉️ Q-1001 · Анна: …") speaks for its
    // ticket: an SLA alert or the /queue list names tickets too, and a reply to those is the team's talk.
    return CARD_FIRST_LINE.exec(replyTo.text)?.[1] ?? null;
  }
}
