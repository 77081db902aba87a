import { languageFromLangId } from '../callback/events';
import type { UserRecord } from '../storage/port';
import { newUserRecord } from '../users/account';
import { Dialog } from './dialog';
import type { BotDependencies, Facts, Flow, Outcome, PressHandlers, Typed } from './flows/context';
import { HandoverFlow } from './flows/handover';
import { TicketIntakeFlow } from './flows/intake';
import { KnowledgeFlow } from './flows/knowledge';
import { LanguageFlow } from './flows/language';
import { MembershipFlow } from './flows/membership';
import { MenuFlow } from './flows/menu';
import type { ButtonPayload } from './payload';
import type { Turn } from './turn';
import type { BotUpdate } from './updates';

export type { BotSettings, Facts } from './flows/context';

const MENU_WORDS = new Set(['меню', 'menu', 'начать', 'start', '/start', 'старт', 'привет', 'hi', 'hello']);

/**
 * The community chat bot: greeting and menu, tickets from chat, knowledge-base answers, handover
 * to operators and silence while they talk, off-hours replies, joins and leaves. Every method runs
 * inside the update's transaction and only decides: messages go out through the turn's outbox.
 * The flows (`flows/`) do the talking; this class only routes an update to them.
 */
export class SupportBot {
  readonly #menu: MenuFlow;
  readonly #knowledge: KnowledgeFlow;
  readonly #handover: HandoverFlow;
  readonly #membership: MembershipFlow;
  readonly #flows: readonly Flow[];
  readonly #presses: PressHandlers;

  constructor(readonly deps: BotDependencies) {
    this.#menu = new MenuFlow(deps);
    this.#knowledge = new KnowledgeFlow(deps, this.#menu);
    this.#handover = new HandoverFlow(deps, this.#menu, this.#knowledge);
    this.#membership = new MembershipFlow(deps);
    this.#flows = [
      this.#menu,
      new LanguageFlow(this.#menu),
      this.#knowledge,
      this.#handover,
      new TicketIntakeFlow(deps, this.#menu, this.#handover),
      this.#membership,
    ];
    this.#presses = Object.assign({}, ...this.#flows.map((flow) => flow.presses));
  }

  /** Applies one update; returns a short outcome for the log. */
  async apply(update: BotUpdate, turn: Turn, facts: Facts): Promise<Outcome> {
    switch (update.kind) {
      case 'message':
      case 'press':
        return this.#dialogUpdate(update, turn, facts);
      case 'operator_wrote':
        return this.#handover.operatorWrote(update, turn);
      case 'chat_message':
      case 'chat_press':
        return this.deps.operatorsChat.apply(update, turn, facts.operator);
      case 'allow':
      case 'deny':
        return this.#membership.permission(update, turn);
      case 'join':
        return this.#membership.joined(update.userId, turn, facts);
      case 'leave':
        return this.#membership.left(update.userId, turn, facts);
      default:
        return 'ignored';
    }
  }

  async #dialogUpdate(
    update: Extract<BotUpdate, { kind: 'message' | 'press' }>,
    turn: Turn,
    facts: Facts,
  ): Promise<Outcome> {
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
  ): Promise<Outcome> {
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
        await this.#handover.addToTicket(dialog, update, { forward: false });
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
        dialog.preface(this.#menu.greeting(dialog, 'bot.welcome_with_answer'));
        this.#knowledge.answerQuestion(dialog, update.text);
      } else {
        this.#menu.welcome(dialog);
      }
      return 'greeted';
    }
    if (update.payload) return this.#press(dialog, update.payload);
    if (update.kind === 'message') return this.#typed(dialog, update);
    return 'ignored';
  }

  async #press(dialog: Dialog, payload: ButtonPayload): Promise<Outcome> {
    const handler = this.#presses[payload.c] as
      | ((dialog: Dialog, payload: ButtonPayload) => Promise<Outcome> | Outcome)
      | undefined;
    // `op` is refused at decoding; `csat` and `csat_why` are answered before the dialog's steps.
    if (!handler) return 'ignored';
    return handler(dialog, payload);
  }

  async #typed(dialog: Dialog, typed: Typed): Promise<Outcome> {
    if (MENU_WORDS.has(typed.text.toLowerCase())) {
      this.#menu.menu(dialog);
      return 'menu';
    }
    if (dialog.state === 'csat_reason') {
      const outcome = await this.deps.surveys.reasonInWords(dialog, typed.text);
      if (outcome) return outcome;
    }
    for (const flow of this.#flows) {
      const outcome = await flow.typing?.[dialog.state]?.(dialog, typed);
      if (outcome) return outcome;
    }
    if (!typed.text) {
      this.#menu.menu(dialog);
      return 'menu';
    }
    this.#knowledge.answerQuestion(dialog, typed.text);
    return 'kb_searched';
  }
}
