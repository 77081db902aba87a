import { render, type TextKey } from '../i18n/catalog';
import { type CompiledTemplate, compileTemplate, renderTemplate, TemplateError } from '../i18n/template';
import type { Logger } from '../log/logger';
import type { BusinessHours } from '../schedule/business-hours';
import type { Language, TicketRecord, TicketStatus, UserRecord } from '../storage/port';
import { findCategory, type SupportSettings, templateVariables } from '../support/settings';
import { openStatuses, statusEmoji } from '../tickets/lifecycle';
import { TicketError, type TicketService } from '../tickets/service';
import { slaOf } from '../tickets/sla';
import { dialogDataSchema } from './dialog';
import { type Button, buildKeyboard } from './keyboard';
import type { Turn } from './turn';
import type { BotUpdate } from './updates';
import { describeMoment, greetingFor } from './wording';

/** The operators' chat speaks one language: the team's. */
const OPERATORS_LANGUAGE: Language = 'ru';
/** Operators' VK clients are current: cards carry callback buttons. */
const OPERATOR_CLIENT = { callback: true, inline: true, keyboard: true } as const;
const TICKET_NUMBER = /\b([A-Z]-\d{4,9})\b/;
const QUEUE_PAGE = 100;
const QUEUE_SHOWN = 10;

export interface OperatorFacts {
  /** Whether the sender is a member of the operators' chat (messages.getConversationMembers). */
  member: boolean;
  /** The operator's first name (users.get), for `{operator_name}` and chat notes. */
  name: string | null;
}

export interface OperatorsChatSettings {
  groupId: number;
  peerId: number | undefined;
  support: SupportSettings;
  hours: BusinessHours;
}

/**
 * The operators' chat: the bot posts a card per ticket (user, category, text, dialog link, buttons
 * "take", "resolve", "template") and relays the user's later messages. Members answer a card to
 * write to the user, press its buttons to change the ticket, and use `/t`, `/status`, `/queue`.
 * Everything an operator does here goes through the ticket service, audited with their VK id.
 */
export class OperatorsChat {
  readonly #templates: Map<string, Record<Language, CompiledTemplate>>;

  constructor(readonly deps: { settings: OperatorsChatSettings; tickets: TicketService; logger: Logger }) {
    this.#templates = new Map(
      deps.settings.support.operatorTemplates.map((template) => [
        template.id,
        {
          ru: compileTemplate(template.text.ru, templateVariables, `template ${template.id}`),
          en: compileTemplate(template.text.en, templateVariables, `template ${template.id}`),
        },
      ]),
    );
  }

  postCard(
    turn: Turn,
    ticket: TicketRecord,
    user: UserRecord,
    text: string,
    photos: readonly string[],
  ): void {
    const { peerId, groupId, support } = this.deps.settings;
    if (peerId === undefined || ticket.userId === null) return;
    const category = findCategory(support, ticket.category);
    const keyboard = buildKeyboard(
      [
        [
          {
            label: this.#text('ops.card.take'),
            payload: { c: 'op', a: 'take', t: ticket.number },
            color: 'primary',
          },
          {
            label: this.#text('ops.card.resolve'),
            payload: { c: 'op', a: 'resolve', t: ticket.number },
            color: 'positive',
          },
        ],
        [{ label: this.#text('ops.card.template'), payload: { c: 'op', a: 'tpl', t: ticket.number } }],
      ] satisfies Button[][],
      OPERATOR_CLIENT,
    );
    turn.send({
      peerId,
      text: this.#text('ops.card', {
        emoji: category?.emoji ?? '',
        number: ticket.number,
        category: category?.label[OPERATORS_LANGUAGE] ?? ticket.category,
        name: user.firstName ?? `id${ticket.userId}`,
        user_id: ticket.userId,
        text: text || '—',
        attachments: photos.length > 0 ? this.#text('ops.card.attachments', { list: photos.join(', ') }) : '',
        dialog_url: `https://vk.com/gim${groupId}?sel=${ticket.userId}`,
      }),
      ...(keyboard ? { keyboard } : {}),
    });
  }

  /** A user's later message on a ticket, so operators can answer it here (a reply to it relays too). */
  postUserMessage(
    turn: Turn,
    ticket: TicketRecord,
    user: UserRecord,
    text: string,
    photos: readonly string[],
  ): void {
    const { peerId } = this.deps.settings;
    if (peerId === undefined || ticket.userId === null) return;
    turn.send({
      peerId,
      text: this.#text('ops.user_message', {
        number: ticket.number,
        name: user.firstName ?? `id${ticket.userId}`,
        text: text || '—',
        attachments: photos.length > 0 ? this.#text('ops.card.attachments', { list: photos.join(', ') }) : '',
      }),
    });
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
    const actor = { operatorId, role: 'operator' as const, name: operator.name };
    if (update.kind === 'chat_press') {
      if (update.payload.c !== 'op') return 'ignored';
      const { a: action, t: number } = update.payload;
      const outcome =
        action === 'take'
          ? await this.#take(turn, number, actor)
          : action === 'resolve'
            ? await this.#resolve(turn, number, actor)
            : await this.#listTemplates(turn, number);
      turn.answerPress({
        eventId: update.pressId,
        userId: operatorId,
        peerId: update.peerId,
        snackbarText: this.#text('ops.snackbar.done', { number }),
      });
      return outcome;
    }
    const text = update.text.trim();
    const command = /^\/(\w+)(?:\s+([\s\S]*))?$/.exec(text);
    if (command) {
      const [, name = '', argument = ''] = command;
      const number = TICKET_NUMBER.exec(argument.toUpperCase())?.[1];
      switch (name.toLowerCase()) {
        case 'queue':
          return this.#queue(turn);
        case 'status':
          return number ? this.#status(turn, number) : this.#help(turn);
        case 'take':
          return number ? this.#take(turn, number, actor) : this.#help(turn);
        case 'resolve':
          return number ? this.#resolve(turn, number, actor) : this.#help(turn);
        case 't': {
          const card = this.#cardNumber(update.replyTo);
          if (!card) return this.#help(turn);
          return this.#sendTemplate(turn, card, argument.trim(), actor);
        }
        default:
          return this.#help(turn);
      }
    }
    const card = this.#cardNumber(update.replyTo);
    if (card && text) return this.#relay(turn, card, text, actor);
    return 'chatter';
  }

  /** The ticket a reply is about: the number on the bot's card or relayed message it answers. */
  #cardNumber(replyTo: { fromId: number; text: string } | null): string | null {
    if (!replyTo || replyTo.fromId !== -this.deps.settings.groupId) return null;
    return TICKET_NUMBER.exec(replyTo.text)?.[1] ?? null;
  }

  #relay(turn: Turn, number: string, text: string, operator: Operator): Promise<string> {
    return this.#answerUser(turn, number, operator, 'relayed', ({ language }) =>
      render(language, 'bot.relay', { text, operator_name: operator.name }),
    );
  }

  async #sendTemplate(turn: Turn, number: string, templateId: string, operator: Operator): Promise<string> {
    const template = this.#templates.get(templateId);
    if (!template) {
      return this.#say(turn, 'ops.template.unknown', {
        name: templateId || '—',
        list: [...this.#templates.keys()].join(', '),
      });
    }
    const { support, hours } = this.deps.settings;
    return this.#answerUser(turn, number, operator, 'template_sent', ({ ticket, user, language }) =>
      renderTemplate(
        template[language],
        {
          first_name: user?.firstName,
          operator_name: operator.name,
          community_name: support.communityName[language],
          greeting: greetingFor(turn.now, hours.timezone, language),
          ticket_number: ticket.number,
        },
        `template ${templateId}`,
      ),
    );
  }

  /**
   * An operator's answer from the chat: recorded on the ticket (first response, audit) and sent to
   * the user in their language. A template that can't be filled is explained to the operator instead.
   */
  async #answerUser(
    turn: Turn,
    number: string,
    operator: Operator,
    outcome: string,
    compose: (context: { ticket: TicketRecord; user: UserRecord | null; language: Language }) => string,
  ): Promise<string> {
    const ticket = await turn.repositories.tickets.getByNumber(number);
    if (!ticket || ticket.userId === null) return this.#say(turn, 'ops.not_found', { number });
    const user = await turn.repositories.users.get(ticket.userId);
    let text: string;
    try {
      text = compose({ ticket, user, language: user?.language ?? 'ru' });
    } catch (error) {
      if (!(error instanceof TemplateError)) throw error;
      // Never a blank in front of a user: the operator hears what is missing instead.
      return this.#say(turn, 'ops.template.missing', { number, problem: error.message });
    }
    try {
      await this.deps.tickets.operatorMessage(
        number,
        { text, attachments: [], internal: false, deliveredInChat: true },
        operator,
        turn.scope,
      );
    } catch (error) {
      return this.#failed(turn, number, error);
    }
    turn.send({ peerId: ticket.userId, text });
    await this.#noteOperatorInDialog(turn, ticket.userId, number);
    return outcome;
  }

  async #take(turn: Turn, number: string, operator: Operator): Promise<string> {
    try {
      await this.deps.tickets.assign(number, operator.operatorId, operator, turn.scope);
    } catch (error) {
      return this.#failed(turn, number, error);
    }
    return this.#say(
      turn,
      'ops.taken',
      { number, operator_name: operator.name ?? `id${operator.operatorId}` },
      'taken',
    );
  }

  async #resolve(turn: Turn, number: string, operator: Operator): Promise<string> {
    let ticket: TicketRecord;
    try {
      ticket = await this.deps.tickets.changeStatus(number, 'resolved', operator, turn.scope);
    } catch (error) {
      return this.#failed(turn, number, error);
    }
    // The dialog is done with this ticket: the user's next message starts afresh (or reopens it by number).
    if (ticket.userId !== null) {
      const dialog = await turn.repositories.dialogs.get(ticket.userId);
      if (dialog && dialogDataSchema.safeParse(dialog.data).data?.ticket === number) {
        const { ticket: _done, ...rest } = dialog.data;
        await turn.repositories.dialogs.put({ ...dialog, state: 'idle', data: rest, updatedAt: turn.now });
      }
    }
    return this.#say(
      turn,
      'ops.resolved',
      { number, operator_name: operator.name ?? `id${operator.operatorId}` },
      'resolved',
    );
  }

  #listTemplates(turn: Turn, number: string): string {
    const list = this.deps.settings.support.operatorTemplates
      .map((template) => `• ${template.id} — ${template.title[OPERATORS_LANGUAGE]}`)
      .join('\n');
    return this.#say(turn, 'ops.templates', { number, list }, 'templates_listed');
  }

  async #status(turn: Turn, number: string): Promise<string> {
    const ticket = await turn.repositories.tickets.getByNumber(number);
    if (!ticket) return this.#say(turn, 'ops.not_found', { number });
    const category = findCategory(this.deps.settings.support, ticket.category);
    const firstRespondedAt = slaOf(ticket)?.firstRespondedAt ?? null;
    return this.#say(
      turn,
      'ops.status',
      {
        emoji: category?.emoji ?? '',
        number: ticket.number,
        category: category?.label[OPERATORS_LANGUAGE] ?? ticket.category,
        status: render(OPERATORS_LANGUAGE, `status.${ticket.status}`),
        assignee: ticket.assigneeId === null ? this.#text('ops.nobody') : `id${ticket.assigneeId}`,
        created: this.#moment(turn, ticket.createdAt),
        first_response:
          firstRespondedAt === null ? this.#text('ops.pending') : this.#moment(turn, firstRespondedAt),
      },
      'status_shown',
    );
  }

  async #queue(turn: Turn): Promise<string> {
    const byStatus = new Map<TicketStatus, TicketRecord[]>();
    for (const status of openStatuses) {
      const page = await turn.repositories.tickets.listByStatus(status, { limit: QUEUE_PAGE });
      byStatus.set(status, page.tickets);
    }
    const count = (status: TicketStatus) => {
      const length = byStatus.get(status)?.length ?? 0;
      return length >= QUEUE_PAGE ? `${QUEUE_PAGE}+` : String(length);
    };
    // Oldest first within each status: the longest wait is the first to take.
    const shown = openStatuses
      .flatMap((status) => [...(byStatus.get(status) ?? [])].reverse())
      .slice(0, QUEUE_SHOWN)
      .map((ticket) =>
        this.#text('ops.queue.item', {
          emoji: statusEmoji[ticket.status],
          number: ticket.number,
          status: render(OPERATORS_LANGUAGE, `status.${ticket.status}`),
          created: this.#moment(turn, ticket.createdAt),
        }),
      );
    return this.#say(
      turn,
      'ops.queue',
      {
        new: count('new'),
        in_progress: count('in_progress'),
        waiting: count('waiting_for_user'),
        list: shown.join('\n'),
      },
      'queue_shown',
    );
  }

  #help(turn: Turn): string {
    return this.#say(turn, 'ops.help', {}, 'help');
  }

  /** The operator relayed or templated: the bot leaves the user's answers to them, sending no receipts. */
  async #noteOperatorInDialog(turn: Turn, userId: number, number: string): Promise<void> {
    const dialog = await turn.repositories.dialogs.get(userId);
    await turn.repositories.dialogs.put({
      peerId: userId,
      userId,
      state: 'with_operator',
      data: { ...(dialog?.data ?? {}), ticket: number, lastOperatorAt: turn.now },
      operatorSilentUntil: dialog?.operatorSilentUntil ?? null,
      updatedAt: turn.now,
    });
  }

  #failed(turn: Turn, number: string, error: unknown): string {
    if (!(error instanceof TicketError)) throw error;
    if (error.code === 'ticket_not_found') return this.#say(turn, 'ops.not_found', { number });
    return this.#say(turn, 'ops.failed', { number, problem: error.message }, `failed:${error.code}`);
  }

  #say(
    turn: Turn,
    key: TextKey,
    variables: Record<string, string | number | null | undefined>,
    outcome?: string,
  ): string {
    const { peerId } = this.deps.settings;
    if (peerId !== undefined) turn.send({ peerId, text: this.#text(key, variables) });
    return outcome ?? key;
  }

  #text(key: TextKey, variables: Record<string, string | number | null | undefined> = {}): string {
    return render(OPERATORS_LANGUAGE, key, variables);
  }

  #moment(turn: Turn, at: number): string {
    return describeMoment(at, turn.now, this.deps.settings.hours.timezone, OPERATORS_LANGUAGE, 'at');
  }
}

type Operator = { operatorId: number; role: 'operator'; name: string | null };
