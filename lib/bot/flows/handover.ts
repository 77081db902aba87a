import { DAY, MINUTE } from '../../clock';
import { formatLocalDate, localParts } from '../../schedule/business-hours';
import type { TicketRecord } from '../../storage/port';
import { type Category, findCategory } from '../../support/settings';
import { TicketError } from '../../tickets/errors';
import { openStatuses } from '../../tickets/lifecycle';
import type { TicketService } from '../../tickets/service';
import { slaOf } from '../../tickets/sla';
import { type Dialog, type DialogData, dialogDataSchema, stripUndefined } from '../dialog';
import type { IntentId } from '../intents';
import { ticketNumberIn } from '../operators/commands';
import type { Turn } from '../turn';
import type { BotUpdate } from '../updates';
import { describeMoment } from '../wording';
import { categoryButtons } from './buttons';
import type { BotDependencies, Flow, Outcome, Typed } from './context';
import type { KnowledgeFlow } from './knowledge';
import type { MenuFlow } from './menu';

/** A follow-up receipt in an ongoing dialog at most this often. */
const RECEIPT_INTERVAL = 30 * MINUTE;
/** No off-hours auto-reply this soon after an operator wrote: they are evidently there. */
const OFF_HOURS_QUIET_AFTER_OPERATOR = 5 * MINUTE;
/**
 * How long after its resolution or closing a ticket is still what the dialog is about: a message
 * then reopens it (within the reopen window) or starts a ticket linked to it, as a message in the
 * mini app's ticket thread does. Later, a message is a new conversation.
 */
const CONTINUES_FOR = 30 * DAY;
/** How many of the user's newest tickets are read for an open or just resolved one (one bounded read). */
const USER_TICKETS_READ = 10;
/** Typed intents that say something about a finished ticket rather than close the conversation. */
const REOPENING_INTENTS: ReadonlySet<IntentId> = new Set(['not_helped', 'operator']);

/** A ticket draft from the chat: what the user chose and wrote. */
export interface TicketDraft {
  category: string;
  description: string;
  photos: string[];
  contact: string | null;
  /** When the user gave the contact (after the notice on why and how long it is kept). */
  contactConsentAt?: number;
}

/**
 * Handing the user over to people: filing the ticket, the user's later messages on it, the
 * off-hours reply, and an admin writing in the dialog (the bot goes silent, the answer joins the ticket).
 */
export class HandoverFlow implements Flow {
  constructor(
    private readonly deps: BotDependencies,
    private readonly menu: MenuFlow,
    private readonly knowledge: KnowledgeFlow,
  ) {}

  readonly presses: Flow['presses'] = {
    operator: (dialog) => this.askCategory(dialog),
    handover: async (dialog) => {
      const query = dialog.data.query;
      if (!query) return this.askCategory(dialog);
      await this.fileTicket(dialog, { category: 'question', description: query, photos: [], contact: null });
      return 'handed_over';
    },
  };

  /** Asks which category the question for a person is in (the handover's first step). */
  askCategory(dialog: Dialog): Outcome {
    dialog.reset('choosing_category', { mode: 'handover' });
    dialog.say(dialog.text('bot.category.choose'), categoryButtons(dialog, this.deps.settings.support));
    return 'choosing_category';
  }

  /** Files the ticket, tells the user its number and when to expect an answer, and posts its card. */
  async fileTicket(dialog: Dialog, draft: TicketDraft): Promise<void> {
    const { turn } = dialog;
    let ticket: TicketRecord;
    try {
      const created = await this.deps.tickets.create(
        {
          userId: dialog.userId,
          channel: 'chat',
          category: draft.category,
          subject: subjectOf(draft.description),
          description: draft.description,
          attachments: draft.photos,
          details: draft.contact
            ? { contact: draft.contact, contactConsentAt: draft.contactConsentAt ?? turn.now }
            : {},
        },
        turn.scope,
      );
      ticket = created.ticket;
    } catch (error) {
      if (error instanceof TicketError && error.code === 'too_many_tickets') {
        this.menu.menu(dialog);
        dialog.say(
          dialog.text('bot.ticket.too_many', { minutes: Math.ceil((error.retryAfterSeconds ?? 3600) / 60) }),
        );
        return;
      }
      throw error;
    }
    dialog.reset('with_operator', { ticket: ticket.number, lastReceiptAt: turn.now });
    const dueAt = slaOf(ticket)?.firstResponseDueAt ?? null;
    dialog.say(
      dialog.text('bot.ticket.created', {
        number: ticket.number,
        when: this.#expectedAnswer(dialog, dueAt, ticket.category),
      }),
      [[{ label: dialog.text('button.menu'), payload: { c: 'menu' } }]],
    );
    this.#offHoursReply(dialog);
    await this.deps.operatorsChat.postCard(turn, ticket, dialog.user, draft.description, draft.photos);
  }

  /**
   * The user typed while the dialog is about a ticket, whatever menu they opened since: an open
   * ticket gets the message; a resolved one is reopened (its survey cancelled, the operators told),
   * a closed one or one resolved before the reopen window gets a linked ticket. Small talk ("спасибо",
   * "ок") after the resolution doesn't reopen anything. Null when the message is not the ticket's.
   * Which ticket that is, whatever channel filed it: `#ticketOfMessage`.
   */
  async continueTicket(
    dialog: Dialog,
    typed: Typed,
    intent: IntentId | 'bare_number' | null,
  ): Promise<Outcome | null> {
    const ticket = await this.#ticketOfMessage(dialog, typed.text);
    if (!ticket) return null;
    if (!openStatuses.includes(ticket.status)) {
      if (intent === 'bare_number' || (intent !== null && !REOPENING_INTENTS.has(intent))) return null;
    }
    dialog.data.ticket = ticket.number;
    const outcome = await this.addToTicket(dialog, typed, { forward: true });
    if (outcome !== 'ticket_gone') dialog.state = 'with_operator';
    return outcome;
  }

  /**
   * The ticket a message is about, as Chatwoot threads a contact's messages into their conversation:
   * the user's ticket the message names ("Дополнение к Q-1005"); else one open ticket, the dialog's or
   * else the user's newest from any channel (the mini app's too); else the dialog's ticket up to 30
   * days after it ended, or else the user's ticket resolved within the reopen window (so a message
   * reopens it, never links a new one to an app ticket the chat never talked about). Null when the
   * message starts a new conversation; the dialog then forgets a ticket that no longer continues.
   */
  async #ticketOfMessage(dialog: Dialog, text: string): Promise<TicketRecord | null> {
    const { repositories, now } = dialog.turn;
    const prefixes = this.deps.settings.support.categories.map((category) => category.prefix);
    for (const number of ticketNumbersNamed(text, prefixes)) {
      const ticket = await repositories.tickets.getByNumber(number);
      // Another user's number is just text: it says nothing about whether that ticket exists.
      if (ticket?.userId === dialog.userId) return ticket;
    }
    const current = dialog.data.ticket ? await repositories.tickets.getByNumber(dialog.data.ticket) : null;
    const own = current?.userId === dialog.userId ? current : null;
    if (own && openStatuses.includes(own.status)) return own;
    const { tickets } = await repositories.tickets.listByUser(dialog.userId, { limit: USER_TICKETS_READ });
    const open = tickets.find((ticket) => openStatuses.includes(ticket.status));
    if (open) return open;
    if (own && now - endedAt(own) <= CONTINUES_FOR) return own;
    dialog.data.ticket = undefined;
    const { reopenWindowMs } = this.deps.tickets.settings;
    const reopenable = tickets.find(
      (ticket) => ticket.status === 'resolved' && now - endedAt(ticket) <= reopenWindowMs,
    );
    return reopenable ?? null;
  }

  /** A message for the ticket the dialog is with: recorded (a closed one starts a linked ticket). */
  async addToTicket(dialog: Dialog, typed: Typed, options: { forward: boolean }): Promise<Outcome> {
    const number = dialog.data.ticket;
    if (!number) return 'ticket_gone';
    const { turn } = dialog;
    const { text, photos } = typed;
    let result: Awaited<ReturnType<TicketService['addUserMessage']>>;
    try {
      result = await this.deps.tickets.addUserMessage(
        dialog.userId,
        number,
        { text, attachments: photos },
        turn.scope,
      );
    } catch (error) {
      if (error instanceof TicketError && error.code === 'ticket_not_found') {
        dialog.reset('idle', { ticket: undefined });
        if (options.forward) this.knowledge.answerQuestion(dialog, text);
        return 'ticket_gone';
      }
      if (error instanceof TicketError && error.code === 'too_many_tickets') {
        // A linked ticket past the hourly limit: nothing filed; the user hears when to try again.
        dialog.say(
          dialog.text('bot.ticket.too_many', { minutes: Math.ceil((error.retryAfterSeconds ?? 3600) / 60) }),
        );
        return 'too_many_tickets';
      }
      throw error;
    }
    dialog.data.ticket = result.ticket.number;
    const outcome = result.linkedFrom
      ? 'linked_ticket'
      : result.reopened
        ? 'ticket_reopened'
        : 'added_to_ticket';
    if (!options.forward) return outcome;
    if (result.linkedFrom) {
      await this.deps.operatorsChat.postCard(turn, result.ticket, dialog.user, text, photos);
      dialog.data.lastReceiptAt = turn.now;
      dialog.say(
        dialog.text('bot.ticket.linked', {
          number: result.ticket.number,
          previous: result.linkedFrom,
          when: this.#expectedAnswer(
            dialog,
            slaOf(result.ticket)?.firstResponseDueAt ?? null,
            result.ticket.category,
          ),
        }),
      );
      this.#offHoursReply(dialog);
      return outcome;
    }
    this.deps.operatorsChat.postUserMessage(turn, result.ticket, dialog.user, text, photos);
    const promised = this.#promisedAnswer(dialog, result.ticket);
    if (result.reopened) {
      dialog.data.lastReceiptAt = turn.now;
      const number = result.ticket.number;
      dialog.say(
        promised
          ? dialog.text('bot.ticket.reopened', { number, when: promised })
          : dialog.text('bot.ticket.reopened.untimed', { number }),
      );
      this.#offHoursReply(dialog);
      return outcome;
    }
    if (this.#offHoursReply(dialog)) return outcome;
    const lastOperatorAt = dialog.data.lastOperatorAt ?? 0;
    const lastReceiptAt = dialog.data.lastReceiptAt ?? 0;
    if (turn.now - lastReceiptAt < RECEIPT_INTERVAL || turn.now - lastOperatorAt < RECEIPT_INTERVAL)
      return outcome;
    dialog.data.lastReceiptAt = turn.now;
    dialog.say(
      promised ? dialog.text('bot.receipt', { when: promised }) : dialog.text('bot.receipt.untimed'),
    );
    return outcome;
  }

  /**
   * A community admin wrote in a user's dialog: the bot goes silent there for the pause (renewed by
   * each of their messages), and the message joins the dialog's ticket as the operator's answer.
   */
  async operatorWrote(update: Extract<BotUpdate, { kind: 'operator_wrote' }>, turn: Turn): Promise<Outcome> {
    const { repositories, now } = turn;
    const record = await repositories.dialogs.get(update.userId);
    const data = dialogDataSchema.safeParse(record?.data ?? {});
    const dialogData: DialogData = data.success ? data.data : {};
    // The dialog's ticket, or else the user's latest open one: an admin's reply is always a response.
    dialogData.ticket ??= await this.#latestOpenTicket(turn, update.userId);
    if (dialogData.ticket) {
      try {
        await this.deps.tickets.operatorMessage(
          dialogData.ticket,
          { text: update.text, attachments: update.photos, internal: false, deliveredInChat: true },
          { operatorId: update.adminId, role: 'operator' },
          turn.scope,
        );
      } catch (error) {
        if (!(error instanceof TicketError)) throw error;
        this.deps.logger.info('operator message not recorded on a ticket', { reason: error.code });
      }
    }
    const midFlow = record && !['idle', 'with_operator', 'kb_offered'].includes(record.state);
    await repositories.dialogs.put({
      peerId: update.userId,
      userId: update.userId,
      state: dialogData.ticket ? 'with_operator' : midFlow ? 'idle' : (record?.state ?? 'idle'),
      data: stripUndefined({ ...dialogData, lastOperatorAt: now }),
      operatorSilentUntil: now + this.deps.settings.operatorPauseMs,
      updatedAt: now,
    });
    return dialogData.ticket ? 'operator_reply_recorded' : 'operator_present';
  }

  async #latestOpenTicket(turn: Turn, userId: number): Promise<string | undefined> {
    const page = await turn.repositories.tickets.listByUser(userId, { limit: 10 });
    return page.tickets.find((ticket) => openStatuses.includes(ticket.status))?.number;
  }

  /**
   * Off hours, a message for a human gets one auto-reply a day saying when operators are back, unless
   * an operator wrote in the last five minutes. Returns whether it was sent.
   */
  #offHoursReply(dialog: Dialog): boolean {
    const { hours } = this.deps.settings;
    const { now } = dialog.turn;
    if (hours.isOpen(now)) return false;
    const today = formatLocalDate(localParts(now, hours.timezone));
    if (dialog.data.offHoursRepliedOn === today) return false;
    if (now - (dialog.data.lastOperatorAt ?? 0) < OFF_HOURS_QUIET_AFTER_OPERATOR) return false;
    const opening = hours.nextOpening(now);
    if (opening === null) return false;
    dialog.data.offHoursRepliedOn = today;
    dialog.say(
      dialog.text('bot.off_hours', {
        when: describeMoment(opening, now, hours.timezone, dialog.language, 'from'),
      }),
    );
    return true;
  }

  /**
   * What a later message's receipt promises: the ticket's own first-response due time while no
   * operator has answered and it is still ahead ("by 10:38 today", as the user was told at filing).
   * Once answered, the SLA promises no next reply time (its resolution target is not a reply), and a
   * due time already past is no promise: null, and the receipt names no time.
   */
  #promisedAnswer(dialog: Dialog, ticket: TicketRecord): string | null {
    const sla = slaOf(ticket);
    const { now } = dialog.turn;
    if (!sla || sla.firstRespondedAt !== null || sla.firstResponseDueAt === null) return null;
    if (sla.firstResponseDueAt <= now) return null;
    return describeMoment(
      sla.firstResponseDueAt,
      now,
      this.deps.settings.hours.timezone,
      dialog.language,
      'by',
    );
  }

  /** "by 15:30 today" from a new ticket's first-response target, or from the category's target now. */
  #expectedAnswer(dialog: Dialog, dueAt: number | null, categoryId: string): string {
    const { hours, support } = this.deps.settings;
    const category: Category | undefined = findCategory(support, categoryId);
    const due =
      dueAt ??
      (category
        ? hours.addBusinessTime(dialog.turn.now, category.sla.firstResponseMinutes * MINUTE)
        : null) ??
      dialog.turn.now;
    return describeMoment(due, dialog.turn.now, hours.timezone, dialog.language, 'by');
  }
}

/** When a finished ticket ended: its resolution, else its last change (closing). */
function endedAt(ticket: TicketRecord): number {
  const resolvedAt = typeof ticket.details.resolvedAt === 'number' ? ticket.details.resolvedAt : null;
  return ticket.status === 'resolved' && resolvedAt !== null ? resolvedAt : ticket.updatedAt;
}

/** At most this many numbers a message names are looked up (a point read each). */
const NAMED_NUMBERS_MAX = 3;
const NUMBER_LIKE = /(?<![\p{L}\d])(\p{L})[-\s]?(\d{4,9})(?![\p{L}\d])/gu;

/**
 * Ticket numbers of `prefixes` a message names, as people type them: "Q-1005", "q1005", "Q 1005",
 * or "В-1005" with the Cyrillic letter that looks like the Latin one (`ticketNumberIn`). A Cyrillic
 * letter apart from the digits is a word ("в 2025 году"), not a number.
 */
export function ticketNumbersNamed(text: string, prefixes: readonly string[]): string[] {
  const numbers: string[] = [];
  for (const match of text.matchAll(NUMBER_LIKE)) {
    if (/\s/.test(match[0]) && !/^[A-Za-z]/.test(match[0])) continue;
    const number = ticketNumberIn(`${match[1]}-${match[2]}`);
    if (number && prefixes.includes(number.charAt(0)) && !numbers.includes(number)) numbers.push(number);
    if (numbers.length === NAMED_NUMBERS_MAX) break;
  }
  return numbers;
}

/** The ticket's subject: the description's first line, cut at a word. */
export function subjectOf(description: string): string {
  const firstLine = description.split('\n')[0]?.trim() ?? '';
  if (firstLine.length <= 100) return firstLine.length >= 3 ? firstLine : `${firstLine}…`.padEnd(3, '.');
  const cut = firstLine.lastIndexOf(' ', 100);
  return `${firstLine.slice(0, cut > 50 ? cut : 100)}…`;
}
