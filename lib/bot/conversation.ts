import { languageFromLangId } from '../callback/events';
import { render } from '../i18n/catalog';
import { phraseKey } from '../i18n/words';
import type { UserRecord } from '../storage/port';
import { indexRequesterName } from '../tickets/search-index';
import { newUserRecord } from '../users/account';
import { Dialog, type DialogState } from './dialog';
import type { BotDependencies, Facts, Flow, Outcome, PressHandlers, Typed } from './flows/context';
import { HandoverFlow } from './flows/handover';
import { TicketIntakeFlow } from './flows/intake';
import { KnowledgeFlow } from './flows/knowledge';
import { LanguageFlow } from './flows/language';
import { MembershipFlow } from './flows/membership';
import { MenuFlow } from './flows/menu';
import { NpsFlow } from './flows/nps';
import { type IntentId, intents, typedNumber } from './intents';
import type { ButtonPayload } from './payload';
import { typedRatingOf } from './survey-answers';
import type { Turn } from './turn';
import type { BotUpdate } from './updates';

export type { BotSettings, Facts } from './flows/context';

/** VK's limit on a button's label: a longer message is no label typed. */
const LABEL_MAX_LENGTH = 40;

/** States where what the user types answers the bot's question (a description, a contact, a reason). */
const ANSWERING: ReadonlySet<DialogState> = new Set([
  'asking',
  'describing',
  'contact',
  'csat_reason',
  'nps_comment',
  'leave_reason',
]);

/**
 * Steps of a ticket being drafted that wait for a choice, not for words: what is typed there answers
 * the draft ("да" sends it, "нет" drops it, a number that picks nothing asks again) and never goes to
 * the ticket the dialog is about. (The description and contact steps take words: `ANSWERING`.)
 */
const DRAFT_CHOICES: ReadonlySet<DialogState> = new Set(['choosing_category', 'confirming']);

/** Intents that only greet or thank: a first message of them gets the greeting and the menu. */
const GREETINGS: ReadonlySet<IntentId> = new Set(['hello', 'thanks', 'bye', 'yes', 'no']);

/** Typed intents that go where their button goes, whatever the dialog's step. */
const NAVIGATION: Partial<Record<IntentId, ButtonPayload>> = {
  menu: { c: 'menu' },
  cancel: { c: 'cancel' },
  tickets: { c: 'tickets' },
  faq: { c: 'faq' },
  language: { c: 'lang' },
};

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
  readonly #intake: TicketIntakeFlow;
  readonly #nps = new NpsFlow();
  readonly #flows: readonly Flow[];
  readonly #presses: PressHandlers;

  constructor(readonly deps: BotDependencies) {
    this.#menu = new MenuFlow(deps);
    this.#knowledge = new KnowledgeFlow(deps, this.#menu);
    this.#handover = new HandoverFlow(deps, this.#menu, this.#knowledge);
    this.#membership = new MembershipFlow(deps);
    this.#intake = new TicketIntakeFlow(deps, this.#menu, this.#handover);
    this.#flows = [
      this.#menu,
      new LanguageFlow(this.#menu),
      this.#knowledge,
      this.#handover,
      this.#intake,
      this.#membership,
      this.#nps,
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
      case 'chat_member':
        return this.deps.operatorsChat.memberChanged(update, turn);
      case 'allow':
      case 'deny':
        return this.#membership.permission(update, turn);
      case 'join':
        return this.#membership.joined(update.userId, turn, facts);
      case 'leave':
        return this.#membership.left(update, turn, facts);
      case 'stale_press': {
        const user = await turn.repositories.users.get(update.userId);
        turn.answerPress({
          eventId: update.pressId,
          userId: update.userId,
          peerId: update.peerId,
          snackbarText: render(user?.language ?? 'ru', 'bot.stale_button'),
        });
        return `stale_press:${update.reason}`;
      }
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
    const stored =
      turn.userRead?.userId === update.userId
        ? turn.userRead.user
        : await repositories.users.get(update.userId);
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
      // Tickets filed before the name was known (in the mini app) become findable by it.
      if (changes.firstName) await indexRequesterName(repositories, user.userId, user.firstName);
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
    // Any button leaves the NPS survey's follow-up question.
    if (update.payload) this.#nps.leave(dialog);
    // A survey's answer is never a conversation: it counts whoever is talking and whatever the step.
    if (update.payload?.c === 'nps')
      return this.#nps.answer(dialog, update.payload, update.kind === 'press' ? update : null);
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
    if (update.kind === 'message' && !update.payload) {
      // A rating for the survey the user was just asked (CSAT, then NPS), even as their first message.
      const rated =
        (await this.deps.surveys.typedRating(dialog, update.text)) ??
        (await this.#nps.typedScore(dialog, update.text));
      if (rated) return rated;
    }
    if (dialog.isNew) {
      // A first message that asks for something ("оператор", a question, a screenshot) gets it, the
      // greeting opening the same message; a bare "привет" or a press gets the greeting and the menu.
      const intent = update.kind === 'message' ? intents.recognise(update.text) : null;
      const asks =
        update.kind === 'message' &&
        !update.payload &&
        (update.photos.length > 0 ||
          (intent !== null ? !GREETINGS.has(intent) : update.text.split(/\s+/).length >= 3));
      if (!asks) {
        this.#menu.welcome(dialog);
        return 'greeted';
      }
      dialog.preface(this.#menu.greeting(dialog, 'bot.welcome_with_answer'));
    }
    if (update.payload) return this.#press(dialog, update.payload);
    if (update.kind === 'message') return this.#typed(dialog, update);
    return 'ignored';
  }

  async #press(dialog: Dialog, payload: ButtonPayload): Promise<Outcome> {
    // A survey's button picked by its number or label: the same as pressing it.
    if (payload.c === 'csat' || payload.c === 'csat_why')
      return this.deps.surveys.answer(dialog, payload, null);
    if (payload.c === 'nps') return this.#nps.answer(dialog, payload, null);
    const handler = this.#presses[payload.c] as
      | ((dialog: Dialog, payload: ButtonPayload) => Promise<Outcome> | Outcome)
      | undefined;
    // `op` is refused at decoding.
    if (!handler) return 'ignored';
    return handler(dialog, payload);
  }

  /**
   * What the user typed (a rating for a survey they were just asked is taken before), in this order:
   * a number or a button's label (as pressing it); words that navigate ("меню", "отмена"); the answer
   * to the step's question (a draft's steps first: they outrank any open ticket); a message for the
   * ticket the dialog is about; yes, no, "оператор" and small talk by the step; else a question for
   * the knowledge base.
   */
  async #typed(dialog: Dialog, typed: Typed): Promise<Outcome> {
    const picked = this.#pickedChoice(dialog, typed.text);
    if (picked) return this.#press(dialog, picked);
    const intent = typed.text ? intents.recognise(typed.text) : null;
    const navigation = intent ? NAVIGATION[intent] : undefined;
    if (navigation) return this.#press(dialog, navigation);
    if (intent === 'skip' && dialog.state === 'contact') return this.#press(dialog, { c: 'skip' });
    if (intent === 'send' && dialog.state === 'confirming') return this.#press(dialog, { c: 'send' });
    if (intent === 'operator' && dialog.state === 'describing') return this.#intake.toOperator(dialog);

    if (ANSWERING.has(dialog.state)) {
      if (dialog.state === 'csat_reason') {
        const outcome = await this.deps.surveys.reasonInWords(dialog, typed.text);
        if (outcome) return outcome;
      } else {
        const outcome = await this.#stepTyping(dialog, typed);
        if (outcome) return outcome;
      }
    }
    // A bare number that picks nothing (the buttons it meant are gone) is an answer to an open
    // ticket's question at most; it never reopens one.
    const bareNumber = typedNumber(typed.text) !== null || typedRatingOf(typed.text, 'five') !== null;
    const drafting = DRAFT_CHOICES.has(dialog.state);
    if (drafting) {
      const outcome = await this.#draftChoice(dialog, typed, intent, bareNumber);
      if (outcome) return outcome;
    }
    const continued = drafting
      ? null
      : await this.#handover.continueTicket(dialog, typed, bareNumber ? 'bare_number' : intent);
    if (continued) return continued;
    if (bareNumber) {
      this.#menu.menu(dialog);
      return 'number_without_choice';
    }
    if (intent) {
      const outcome = await this.#intent(dialog, intent);
      if (outcome) return outcome;
    }
    const outcome = await this.#stepTyping(dialog, typed);
    if (outcome) return outcome;
    if (!typed.text && typed.photos.length > 0) {
      // A screenshot alone says something is wrong: it is the description of a bug report.
      await this.#handover.fileTicket(dialog, {
        category: 'bug',
        description: dialog.text('bot.description.screenshot'),
        photos: typed.photos,
        contact: null,
      });
      return 'ticket_from_screenshot';
    }
    if (!typed.text) {
      this.#menu.menu(dialog);
      return 'menu';
    }
    this.#knowledge.answerQuestion(dialog, typed.text);
    return 'kb_searched';
  }

  /**
   * Typed at a draft's choice (the category, "Отправить?"): "да" / "нет" press the positive / negative
   * button ("нет" cancels the draft), anything else the step can't take (a number that picks nothing,
   * "да" where nothing is positive) asks the question again, the draft kept. "Оператор" still calls
   * one, and words at the category step are a question for the knowledge base, as without a draft.
   */
  async #draftChoice(
    dialog: Dialog,
    typed: Typed,
    intent: IntentId | null,
    bareNumber: boolean,
  ): Promise<Outcome | null> {
    if (intent === 'yes' || intent === 'no') {
      const color = intent === 'yes' ? 'positive' : 'negative';
      const button = dialog.choices().find((choice) => choice.color === color)?.payload;
      if (button) return this.#press(dialog, button);
    }
    if (intent === 'operator') return null;
    if (dialog.state === 'choosing_category') {
      if (!bareNumber && intent !== 'yes' && intent !== 'no') return null;
      return this.#handover.askCategory(dialog);
    }
    return this.#stepTyping(dialog, typed);
  }

  async #stepTyping(dialog: Dialog, typed: Typed): Promise<Outcome | null> {
    for (const flow of this.#flows) {
      const outcome = await flow.typing?.[dialog.state]?.(dialog, typed);
      if (outcome) return outcome;
    }
    return null;
  }

  /** A typed number ("2") or a button's label ("Мои обращения") picks a button of the last message. */
  #pickedChoice(dialog: Dialog, text: string): ButtonPayload | null {
    const choices = dialog.choices();
    if (choices.length === 0 || !text) return null;
    const number = typedNumber(text);
    if (number !== null) return choices[number - 1]?.payload ?? null;
    // A label is a few words: a longer message is not one.
    if (text.length > LABEL_MAX_LENGTH) return null;
    const typedKey = phraseKey(text);
    if (!typedKey) return null;
    return choices.find((choice) => phraseKey(choice.label) === typedKey)?.payload ?? null;
  }

  /** Intents whose meaning depends on the step: yes and no, "оператор", "помогло", small talk. */
  async #intent(dialog: Dialog, intent: IntentId): Promise<Outcome | null> {
    const choices = dialog.choices();
    const colored = (color: 'positive' | 'negative') =>
      choices.find((choice) => choice.color === color)?.payload;
    const offered = dialog.state === 'kb_offered';
    switch (intent) {
      case 'yes': {
        const yes = colored('positive');
        if (yes) return this.#press(dialog, yes);
        this.#menu.menu(dialog);
        return 'menu';
      }
      case 'no': {
        // "Нет" to "Это помогло?" under an article: it didn't, the question goes to a person.
        const articleShown = choices.some((choice) => choice.payload.c === 'kb_ok');
        const no =
          colored('negative') ??
          (articleShown && dialog.data.query
            ? ({ c: 'handover' } as const)
            : offered
              ? ({ c: 'decline' } as const)
              : undefined);
        if (no) return this.#press(dialog, no);
        this.#menu.menu(dialog);
        return 'menu';
      }
      case 'operator':
        // After an answer that didn't help, the question itself goes to the operator.
        return this.#press(dialog, offered && dialog.data.query ? { c: 'handover' } : { c: 'operator' });
      case 'helped': {
        const helped = choices.find((choice) => choice.payload.c === 'kb_ok')?.payload;
        if (helped) return this.#press(dialog, helped);
        return this.#smallTalk(dialog, 'bot.small_talk.thanks');
      }
      case 'not_helped':
        if (offered && dialog.data.query) return this.#press(dialog, { c: 'handover' });
        return null;
      case 'thanks':
        return this.#smallTalk(dialog, 'bot.small_talk.thanks');
      case 'bye':
        return this.#smallTalk(dialog, 'bot.small_talk.bye');
      case 'hello':
        this.#menu.welcome(dialog);
        return 'greeted';
      default:
        return null;
    }
  }

  #smallTalk(dialog: Dialog, key: 'bot.small_talk.thanks' | 'bot.small_talk.bye'): Outcome {
    dialog.reset('idle');
    dialog.say(dialog.text(key));
    return 'small_talk';
  }
}
