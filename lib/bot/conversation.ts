import { languageFromLangId } from '../callback/events';
import { MINUTE } from '../clock';
import { render, type TextKey } from '../i18n/catalog';
import type { KnowledgeBase } from '../kb/articles';
import type { Logger } from '../log/logger';
import { type BusinessHours, formatLocalDate, localParts } from '../schedule/business-hours';
import type { TicketRecord, UserRecord } from '../storage/port';
import { type Category, findCategory, type SupportSettings } from '../support/settings';
import { statusEmoji } from '../tickets/lifecycle';
import { TicketError, type TicketService } from '../tickets/service';
import { slaOf } from '../tickets/sla';
import { newUserRecord } from '../users/account';
import { parseContact } from './contact';
import { clientOf, Dialog, type DialogData, dialogDataSchema, stripUndefined } from './dialog';
import { type Button, buildKeyboard } from './keyboard';
import type { OperatorFacts, OperatorsChat } from './operators-chat';
import type { ButtonPayload } from './payload';
import type { SurveyAnswers } from './survey-answers';
import type { Turn } from './turn';
import type { BotUpdate } from './updates';
import { describeMoment, greetingFor } from './wording';

export interface BotSettings {
  groupId: number;
  operatorsChatPeerId: number | undefined;
  /** How long the bot stays silent in a dialog after an operator wrote there. */
  operatorPauseMs: number;
  support: SupportSettings;
  hours: BusinessHours;
}

/** What the bot learned from VK before its transaction (no VK calls happen inside one). */
export interface Facts {
  /** From `users.get`, when the stored record has none. */
  firstName: string | null;
  /** From `messages.isMessagesFromGroupAllowed`, when the stored record doesn't know. */
  messagesAllowed: boolean | null;
  /** For updates from the operators' chat: membership and name of the sender. */
  operator: OperatorFacts | null;
}

/** A follow-up receipt in an ongoing dialog at most this often. */
const RECEIPT_INTERVAL = 30 * MINUTE;
/** No off-hours auto-reply this soon after an operator wrote: they are evidently there. */
const OFF_HOURS_QUIET_AFTER_OPERATOR = 5 * MINUTE;
const DESCRIPTION = { min: 5, max: 4000 } as const;
const MENU_WORDS = new Set(['меню', 'menu', 'начать', 'start', '/start', 'старт', 'привет', 'hi', 'hello']);

/**
 * The community chat bot: greeting and menu, tickets from chat, knowledge-base answers, handover
 * to operators and silence while they talk, off-hours replies, joins and leaves. Every method runs
 * inside the update's transaction and only decides: messages go out through the turn's outbox.
 */
export class SupportBot {
  constructor(
    readonly deps: {
      settings: BotSettings;
      tickets: TicketService;
      knowledgeBase: KnowledgeBase;
      operatorsChat: OperatorsChat;
      surveys: SurveyAnswers;
      logger: Logger;
    },
  ) {}

  /** Applies one update; returns a short outcome for the log. */
  async apply(update: BotUpdate, turn: Turn, facts: Facts): Promise<string> {
    switch (update.kind) {
      case 'message':
      case 'press':
        return this.#dialogUpdate(update, turn, facts);
      case 'operator_wrote':
        return this.#operatorWrote(update, turn);
      case 'chat_message':
      case 'chat_press':
        return this.deps.operatorsChat.apply(update, turn, facts.operator);
      case 'allow':
      case 'deny': {
        const user = await this.#upsertUser(turn, update.userId, {
          messagesAllowed: update.kind === 'allow',
        });
        if (update.kind === 'allow' && update.key) {
          // The mini app passes a key to VKWebAppAllowMessagesFromGroup: it says where the permission came from.
          await turn.repositories.events.append([
            event(user.userId, `message_allow:${turn.key}`, 'messages_allowed', turn.now, {
              source: update.key,
            }),
          ]);
        }
        return update.kind;
      }
      case 'join':
        return this.#joined(update.userId, turn, facts);
      case 'leave':
        return this.#left(update.userId, turn, facts);
      default:
        return 'ignored';
    }
  }

  // ---- private dialogs ----

  async #dialogUpdate(
    update: Extract<BotUpdate, { kind: 'message' | 'press' }>,
    turn: Turn,
    facts: Facts,
  ): Promise<string> {
    const { repositories, now } = turn;
    const stored = await repositories.users.get(update.userId);
    let user = stored ?? newUserRecord(update.userId, now);
    const changes: Partial<UserRecord> = {};
    if (update.kind === 'message') {
      if (user.language === null && update.langId !== null)
        changes.language = languageFromLangId(update.langId);
      // Writing to the community allows it to answer (VK sends message_allow for it too).
      if (user.messagesAllowed !== true) changes.messagesAllowed = true;
    }
    if (user.firstName === null && facts.firstName) changes.firstName = facts.firstName;
    if (!stored || Object.keys(changes).length > 0) {
      user = { ...user, ...changes, updatedAt: now };
      await repositories.users.put(user);
    }
    const record = await repositories.dialogs.get(update.userId);
    const dialog = new Dialog(
      turn,
      user,
      record ?? {
        peerId: update.userId,
        userId: update.userId,
        state: 'idle',
        data: {},
        operatorSilentUntil: null,
        updatedAt: now,
      },
      record === null,
    );
    if (update.kind === 'message' && update.client) dialog.data.client = update.client;
    if (update.kind === 'press')
      turn.answerPress({ eventId: update.pressId, userId: update.userId, peerId: update.userId });

    const outcome = await this.#converse(dialog, update);
    await dialog.save();
    return outcome;
  }

  async #converse(
    dialog: Dialog,
    update: Extract<BotUpdate, { kind: 'message' | 'press' }>,
  ): Promise<string> {
    const { now } = dialog.turn;
    // A survey's answer is never a conversation: it counts whoever is talking and whatever the step.
    if (update.payload?.c === 'csat' || update.payload?.c === 'csat_why') {
      return this.deps.surveys.answer(
        dialog,
        update.payload,
        update.kind === 'press' ? { pressId: update.pressId, messageId: update.messageId } : null,
      );
    }
    const silentUntil = dialog.record.operatorSilentUntil;
    if (silentUntil !== null && silentUntil > now) {
      // An operator is talking here: the bot says nothing; what the user writes still reaches the ticket.
      if (update.kind === 'message' && dialog.data.ticket && (update.text || update.photos.length > 0)) {
        await this.#addToTicket(dialog, update.text, update.photos, { forward: false });
      }
      if (update.kind === 'press') {
        dialog.turn.answerPress({
          eventId: update.pressId,
          userId: dialog.userId,
          peerId: dialog.userId,
          snackbarText: dialog.text('bot.operator_busy'),
        });
      }
      return 'silent_operator_present';
    }
    if (dialog.isNew) {
      if (update.kind === 'message' && !update.payload && update.text.split(/\s+/).length >= 3) {
        // A first message that is a question: the greeting and the answer in one message.
        dialog.preface(this.#greeting(dialog, 'bot.welcome_with_answer'));
        this.#answerQuestion(dialog, update.text);
      } else {
        this.#welcome(dialog);
      }
      return 'greeted';
    }
    if (update.payload) return this.#button(dialog, update.payload);
    if (update.kind === 'message') return this.#text(dialog, update.text, update.photos);
    return 'ignored';
  }

  #welcome(dialog: Dialog): void {
    dialog.reset('idle');
    dialog.say(this.#greeting(dialog, 'bot.welcome'), this.#menuButtons(dialog));
  }

  #greeting(dialog: Dialog, key: 'bot.welcome' | 'bot.welcome_with_answer'): string {
    const { support, hours } = this.deps.settings;
    return dialog.text(key, {
      greeting: greetingFor(dialog.turn.now, hours.timezone, dialog.language),
      first_name: dialog.user.firstName,
      community_name: support.communityName[dialog.language],
    });
  }

  #menu(dialog: Dialog, key: TextKey = 'bot.menu'): void {
    dialog.reset('idle');
    dialog.say(dialog.text(key), this.#menuButtons(dialog));
  }

  #menuButtons(dialog: Dialog): Button[][] {
    const t = (key: TextKey) => dialog.text(key);
    return [
      [
        { label: t('menu.bug'), payload: { c: 'cat', id: 'bug' }, color: 'primary' },
        { label: t('menu.question'), payload: { c: 'ask' }, color: 'primary' },
      ],
      [
        { label: t('menu.suggestion'), payload: { c: 'cat', id: 'suggestion' }, color: 'primary' },
        { label: t('menu.tickets'), payload: { c: 'tickets' } },
      ],
      [
        { label: t('menu.faq'), payload: { c: 'faq' } },
        { label: t('menu.operator'), payload: { c: 'operator' } },
      ],
      [{ label: t('menu.language'), payload: { c: 'lang' } }],
    ];
  }

  async #button(dialog: Dialog, payload: ButtonPayload): Promise<string> {
    switch (payload.c) {
      case 'start':
        this.#welcome(dialog);
        return 'greeted';
      case 'menu':
        this.#menu(dialog);
        return 'menu';
      case 'ask':
        dialog.reset('asking');
        dialog.say(dialog.text('bot.ask_question'), [[this.#cancelButton(dialog)]]);
        return 'asking';
      case 'tickets':
        await this.#listTickets(dialog);
        return 'tickets_listed';
      case 'faq': {
        const articles = this.deps.knowledgeBase.list(dialog.language).slice(0, 6);
        dialog.reset('kb_offered');
        dialog.say(
          dialog.text('bot.faq'),
          articles.map((article) => [{ label: article.title, payload: { c: 'kb', s: article.slug } }]),
        );
        return 'faq';
      }
      case 'operator':
        dialog.reset('choosing_category', { mode: 'handover' });
        dialog.say(dialog.text('bot.category.choose'), this.#categoryButtons(dialog));
        return 'choosing_category';
      case 'lang':
        dialog.reset('choosing_language');
        dialog.say(dialog.text('bot.language.choose'), [
          [
            { label: 'Русский', payload: { c: 'setlang', l: 'ru' }, color: 'primary' },
            { label: 'English', payload: { c: 'setlang', l: 'en' }, color: 'primary' },
          ],
        ]);
        return 'choosing_language';
      case 'setlang':
        dialog.user = { ...dialog.user, language: payload.l, updatedAt: dialog.turn.now };
        await dialog.turn.repositories.users.put(dialog.user);
        this.#menu(dialog, 'bot.language.set');
        return 'language_set';
      case 'cat': {
        const category = findCategory(this.deps.settings.support, payload.id);
        if (!category) return this.#stale(dialog, 'unknown_category');
        const mode = dialog.state === 'choosing_category' ? (dialog.data.mode ?? 'ticket') : 'ticket';
        dialog.reset('describing', { mode, category: category.id });
        dialog.say(
          mode === 'handover'
            ? dialog.text('bot.describe.handover')
            : dialog.text('bot.describe', {
                emoji: category.emoji,
                category: category.label[dialog.language],
              }),
          [[this.#cancelButton(dialog)]],
        );
        return 'describing';
      }
      case 'kb': {
        const article = this.deps.knowledgeBase.get(payload.s, dialog.language);
        if (!article) return this.#stale(dialog, 'unknown_article');
        this.#offerArticle(dialog, article.slug, [], dialog.data.query);
        return 'kb_answered';
      }
      case 'kb_ok':
        await dialog.turn.repositories.events.append([
          event(dialog.userId, `kb_helpful:${dialog.turn.key}`, 'kb_helpful', dialog.turn.now, {
            article: payload.s,
          }),
        ]);
        this.#menu(dialog, 'bot.kb.glad');
        return 'kb_helped';
      case 'handover': {
        const query = dialog.data.query;
        if (!query) {
          dialog.reset('choosing_category', { mode: 'handover' });
          dialog.say(dialog.text('bot.category.choose'), this.#categoryButtons(dialog));
          return 'choosing_category';
        }
        await this.#fileTicket(dialog, {
          category: 'question',
          description: query,
          photos: [],
          contact: null,
        });
        return 'handed_over';
      }
      case 'decline':
        this.#menu(dialog, 'bot.kb.declined');
        return 'declined';
      case 'skip':
        if (dialog.state !== 'contact') return this.#stale(dialog, 'skip_out_of_step');
        this.#confirm(dialog);
        return 'confirming';
      case 'send': {
        const { category, description } = dialog.data;
        if (dialog.state !== 'confirming' || !category || !description)
          return this.#stale(dialog, 'send_out_of_step');
        await this.#fileTicket(dialog, {
          category,
          description,
          photos: dialog.data.photos ?? [],
          contact: dialog.data.contact ?? null,
        });
        return 'ticket_filed';
      }
      case 'cancel':
        this.#menu(dialog, 'bot.cancelled');
        return 'cancelled';
      case 'leave':
        await dialog.turn.repositories.events.append([
          event(dialog.userId, `leave_reason:${dialog.turn.key}`, 'group_leave_reason', dialog.turn.now, {
            reason: payload.r,
          }),
        ]);
        dialog.reset('idle');
        dialog.say(dialog.text('bot.leave.thanks'));
        return 'leave_reason_recorded';
      case 'op':
        return 'ignored'; // refused at decoding; kept for exhaustiveness
      case 'csat':
      case 'csat_why':
        return 'ignored'; // answered before the dialog's steps (#converse)
    }
  }

  /** A press that fits no step of the dialog (an old keyboard): show the menu, change nothing else. */
  #stale(dialog: Dialog, reason: string): string {
    this.deps.logger.info('stale or unknown button', { reason });
    this.#menu(dialog);
    return `stale:${reason}`;
  }

  async #text(dialog: Dialog, text: string, photos: string[]): Promise<string> {
    if (MENU_WORDS.has(text.toLowerCase())) {
      this.#menu(dialog);
      return 'menu';
    }
    switch (dialog.state) {
      case 'describing': {
        if (text.length < DESCRIPTION.min) {
          dialog.say(dialog.text('bot.describe.too_short'), [[this.#cancelButton(dialog)]]);
          return 'description_too_short';
        }
        if (text.length > DESCRIPTION.max) {
          dialog.say(dialog.text('bot.describe.too_long', { max: DESCRIPTION.max }), [
            [this.#cancelButton(dialog)],
          ]);
          return 'description_too_long';
        }
        const category = dialog.data.category ?? 'question';
        if (dialog.data.mode === 'handover') {
          await this.#fileTicket(dialog, { category, description: text, photos, contact: null });
          return 'handed_over';
        }
        dialog.state = 'contact';
        dialog.data = { ...dialog.data, description: text, photos };
        dialog.say(dialog.text('bot.contact.ask'), this.#contactButtons(dialog));
        return 'asking_contact';
      }
      case 'contact': {
        const contact = parseContact(text);
        if (!contact) {
          // Re-asked with an example; the invalid value is not kept anywhere.
          dialog.say(dialog.text('bot.contact.invalid'), this.#contactButtons(dialog));
          return 'contact_invalid';
        }
        dialog.data = { ...dialog.data, contact: contact.value };
        this.#confirm(dialog);
        return 'confirming';
      }
      case 'confirming':
        this.#confirm(dialog);
        return 'confirming';
      case 'csat_reason': {
        const outcome = await this.deps.surveys.reasonInWords(dialog, text);
        if (outcome) return outcome;
        break;
      }
      case 'with_operator':
        if (dialog.data.ticket) {
          await this.#addToTicket(dialog, text, photos, { forward: true });
          return 'added_to_ticket';
        }
        break;
    }
    if (!text) {
      this.#menu(dialog);
      return 'menu';
    }
    this.#answerQuestion(dialog, text);
    return 'kb_searched';
  }

  #answerQuestion(dialog: Dialog, question: string): void {
    const hits = this.deps.knowledgeBase.search(question, dialog.language, 3);
    const [best, ...others] = hits;
    if (!best) {
      dialog.reset('kb_offered', { query: question.slice(0, DESCRIPTION.max) });
      dialog.say(dialog.text('bot.kb.nothing'), [
        [
          { label: dialog.text('button.yes'), payload: { c: 'handover' }, color: 'positive' },
          { label: dialog.text('button.no'), payload: { c: 'decline' }, color: 'negative' },
        ],
      ]);
      return;
    }
    this.#offerArticle(
      dialog,
      best.article.slug,
      others.map((hit) => hit.article.slug),
      question,
    );
  }

  #offerArticle(dialog: Dialog, slug: string, others: readonly string[], query: string | undefined): void {
    const article = this.deps.knowledgeBase.get(slug, dialog.language);
    if (!article) return;
    dialog.reset('kb_offered', query ? { query: query.slice(0, DESCRIPTION.max) } : {});
    const more = others
      .map((other) => this.deps.knowledgeBase.get(other, dialog.language))
      .filter((other) => other !== undefined)
      .map((other) => [{ label: `📄 ${other.title}`, payload: { c: 'kb', s: other.slug } } satisfies Button]);
    dialog.say(dialog.text('bot.kb.answer', { title: article.title, body: article.body }), [
      [
        { label: dialog.text('button.helped'), payload: { c: 'kb_ok', s: article.slug }, color: 'positive' },
        { label: dialog.text('button.operator'), payload: { c: 'handover' }, color: 'primary' },
      ],
      ...more,
    ]);
  }

  #confirm(dialog: Dialog): void {
    const category = findCategory(this.deps.settings.support, dialog.data.category ?? '');
    if (!category || !dialog.data.description) {
      this.#menu(dialog);
      return;
    }
    dialog.state = 'confirming';
    const photos = dialog.data.photos ?? [];
    dialog.say(
      dialog
        .text('bot.confirm', {
          emoji: category.emoji,
          category: category.label[dialog.language],
          description: dialog.data.description,
          attachments:
            photos.length > 0 ? dialog.text('bot.confirm.attachments', { count: photos.length }) : '',
          contact: dialog.data.contact
            ? dialog.text('bot.confirm.contact', { contact: dialog.data.contact })
            : '',
        })
        .replace(/\n{3,}/g, '\n\n'),
      [
        [
          { label: dialog.text('button.send'), payload: { c: 'send' }, color: 'positive' },
          { label: dialog.text('button.cancel'), payload: { c: 'cancel' }, color: 'negative' },
        ],
      ],
    );
  }

  #categoryButtons(dialog: Dialog): Button[][] {
    const buttons: Button[] = this.deps.settings.support.categories.map((category) => ({
      label: `${category.emoji} ${category.label[dialog.language]}`,
      payload: { c: 'cat', id: category.id },
      color: 'primary',
    }));
    const rows: Button[][] = [];
    for (let index = 0; index < buttons.length; index += 2) rows.push(buttons.slice(index, index + 2));
    rows.push([this.#cancelButton(dialog)]);
    return rows;
  }

  #contactButtons(dialog: Dialog): Button[][] {
    return [[{ label: dialog.text('button.skip'), payload: { c: 'skip' } }, this.#cancelButton(dialog)]];
  }

  #cancelButton(dialog: Dialog): Button {
    return { label: dialog.text('button.cancel'), payload: { c: 'cancel' }, color: 'negative' };
  }

  async #listTickets(dialog: Dialog): Promise<void> {
    const page = await dialog.turn.repositories.tickets.listByUser(dialog.userId, { limit: 5 });
    dialog.reset('idle', { ticket: dialog.data.ticket });
    if (page.tickets.length === 0) {
      dialog.say(dialog.text('bot.tickets.none'), this.#menuButtons(dialog));
      return;
    }
    const list = page.tickets
      .map((ticket) =>
        dialog.text('bot.tickets.item', {
          emoji: statusEmoji[ticket.status],
          number: ticket.number,
          status: dialog.text(`status.${ticket.status}`),
          subject: ticket.subject,
        }),
      )
      .join('\n');
    dialog.say(dialog.text('bot.tickets.list', { list }), this.#menuButtons(dialog));
  }

  /** Files the ticket, tells the user its number and when to expect an answer, and posts its card. */
  async #fileTicket(
    dialog: Dialog,
    draft: { category: string; description: string; photos: string[]; contact: string | null },
  ): Promise<void> {
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
          details: draft.contact ? { contact: draft.contact } : {},
        },
        turn.scope,
      );
      ticket = created.ticket;
    } catch (error) {
      if (error instanceof TicketError && error.code === 'too_many_tickets') {
        this.#menu(dialog);
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
    this.deps.operatorsChat.postCard(turn, ticket, dialog.user, draft.description, draft.photos);
  }

  /** A message for the ticket the dialog is with: recorded (a closed one starts a linked ticket). */
  async #addToTicket(
    dialog: Dialog,
    text: string,
    photos: string[],
    options: { forward: boolean },
  ): Promise<void> {
    const number = dialog.data.ticket;
    if (!number) return;
    const { turn } = dialog;
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
        dialog.reset('idle');
        if (options.forward) this.#answerQuestion(dialog, text);
        return;
      }
      throw error;
    }
    dialog.data.ticket = result.ticket.number;
    if (!options.forward) return;
    if (result.linkedFrom) {
      this.deps.operatorsChat.postCard(turn, result.ticket, dialog.user, text, photos);
    } else {
      this.deps.operatorsChat.postUserMessage(turn, result.ticket, dialog.user, text, photos);
    }
    if (this.#offHoursReply(dialog)) return;
    const lastOperatorAt = dialog.data.lastOperatorAt ?? 0;
    const lastReceiptAt = dialog.data.lastReceiptAt ?? 0;
    if (turn.now - lastReceiptAt < RECEIPT_INTERVAL || turn.now - lastOperatorAt < RECEIPT_INTERVAL) return;
    dialog.data.lastReceiptAt = turn.now;
    dialog.say(
      dialog.text('bot.receipt', { when: this.#expectedAnswer(dialog, null, result.ticket.category) }),
    );
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

  /** "by 15:30 today" from the ticket's first-response target, or from the category's target now. */
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

  // ---- operators in the dialog ----

  /**
   * A community admin wrote in a user's dialog: the bot goes silent there for the pause (renewed by
   * each of their messages), and the message joins the dialog's ticket as the operator's answer.
   */
  async #operatorWrote(update: Extract<BotUpdate, { kind: 'operator_wrote' }>, turn: Turn): Promise<string> {
    const { repositories, now } = turn;
    const record = await repositories.dialogs.get(update.userId);
    const data = dialogDataSchema.safeParse(record?.data ?? {});
    const dialogData: DialogData = data.success ? data.data : {};
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

  // ---- joins and leaves ----

  async #joined(userId: number, turn: Turn, facts: Facts): Promise<string> {
    const user = await this.#upsertUser(turn, userId, {
      ...(facts.messagesAllowed !== null ? { messagesAllowed: facts.messagesAllowed } : {}),
      ...(facts.firstName ? { firstName: facts.firstName } : {}),
    });
    await turn.repositories.events.append([
      event(userId, `group_join:${turn.key}`, 'group_join', turn.now, {}),
    ]);
    if (user.messagesAllowed !== true) return 'joined_silently';
    const language = user.language ?? 'ru';
    const { hours, support } = this.deps.settings;
    turn.send({
      peerId: userId,
      text: render(language, 'bot.join.welcome', {
        greeting: greetingFor(turn.now, hours.timezone, language),
        first_name: user.firstName,
        community_name: support.communityName[language],
      }),
    });
    return 'welcomed';
  }

  async #left(userId: number, turn: Turn, facts: Facts): Promise<string> {
    const user = await this.#upsertUser(turn, userId, facts.firstName ? { firstName: facts.firstName } : {});
    await turn.repositories.events.append([
      event(userId, `group_leave:${turn.key}`, 'group_leave', turn.now, {}),
    ]);
    if (user.messagesAllowed !== true) return 'left_silently';
    const language = user.language ?? 'ru';
    const record = await turn.repositories.dialogs.get(userId);
    const client = clientOf(record);
    const keyboard = buildKeyboard(
      [
        [
          { label: render(language, 'leave.boring'), payload: { c: 'leave', r: 'boring' } },
          { label: render(language, 'leave.too_many_posts'), payload: { c: 'leave', r: 'too_many_posts' } },
        ],
        [
          { label: render(language, 'leave.not_relevant'), payload: { c: 'leave', r: 'not_relevant' } },
          { label: render(language, 'leave.other'), payload: { c: 'leave', r: 'other' } },
        ],
      ],
      client,
    );
    turn.send({
      peerId: userId,
      text: render(language, 'bot.leave.regret'),
      ...(keyboard ? { keyboard } : {}),
    });
    return 'regret_sent';
  }

  async #upsertUser(turn: Turn, userId: number, changes: Partial<UserRecord>): Promise<UserRecord> {
    const existing = (await turn.repositories.users.get(userId)) ?? newUserRecord(userId, turn.now);
    const user = { ...existing, ...changes, updatedAt: turn.now };
    await turn.repositories.users.put(user);
    return user;
  }
}

/** The ticket's subject: the description's first line, cut at a word. */
export function subjectOf(description: string): string {
  const firstLine = description.split('\n')[0]?.trim() ?? '';
  if (firstLine.length <= 100) return firstLine.length >= 3 ? firstLine : `${firstLine}…`.padEnd(3, '.');
  const cut = firstLine.lastIndexOf(' ', 100);
  return `${firstLine.slice(0, cut > 50 ? cut : 100)}…`;
}

function event(userId: number, eventId: string, name: string, at: number, props: Record<string, string>) {
  return { userId, eventId: eventId.slice(0, 128), name, occurredAt: at, screen: null, props };
}
