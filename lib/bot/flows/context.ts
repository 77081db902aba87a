import type { KnowledgeBase } from '../../kb/articles';
import type { Logger } from '../../log/logger';
import type { BusinessHours } from '../../schedule/business-hours';
import type { SupportSettings } from '../../support/settings';
import type { TicketService } from '../../tickets/service';
import type { Dialog, DialogState } from '../dialog';
import type { OperatorFacts, OperatorsChat } from '../operators-chat';
import type { ButtonPayload } from '../payload';
import type { SurveyAnswers } from '../survey-answers';

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

/** What every flow may use: settings, the ticket service, the knowledge base, the operators' chat. */
export interface BotDependencies {
  settings: BotSettings;
  tickets: TicketService;
  knowledgeBase: KnowledgeBase;
  operatorsChat: OperatorsChat;
  surveys: SurveyAnswers;
  logger: Logger;
}

/** A message the user typed (or a photo they sent), as the flows see it. */
export interface Typed {
  text: string;
  photos: string[];
}

/** A short outcome of one update, for the log and the tests. */
export type Outcome = string;

type PressOf<C extends ButtonPayload['c']> = Extract<ButtonPayload, { c: C }>;

/** Button commands a flow answers, each with its payload's own type. */
export type PressHandlers = {
  [C in ButtonPayload['c']]?: (dialog: Dialog, payload: PressOf<C>) => Promise<Outcome> | Outcome;
};

/**
 * One flow of the conversation (grammY's composer, in this bot's terms): the button commands it
 * answers — typed words and numbers reach it as the same commands — and what the user types in the
 * dialog states it owns. The conversation only routes between flows.
 */
export interface Flow {
  readonly presses: PressHandlers;
  /** Typed input in the states this flow owns; `null` hands it on (to the knowledge base). */
  readonly typing?: Partial<Record<DialogState, (dialog: Dialog, typed: Typed) => Promise<Outcome | null>>>;
}
