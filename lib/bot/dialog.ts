import * as z from 'zod';
import { render, type TextKey } from '../i18n/catalog';
import type { DialogRecord, Language, UserRecord } from '../storage/port';
import { assumedCapabilities, type Button, buildKeyboard, type ClientCapabilities } from './keyboard';
import { type ButtonPayload, parseButtonPayload } from './payload';
import type { Turn } from './turn';

/** What a dialog remembers between messages, validated on load (a row from an older version still reads). */
export const dialogDataSchema = z.object({
  client: z.object({ callback: z.boolean(), inline: z.boolean(), keyboard: z.boolean() }).optional(),
  mode: z.enum(['ticket', 'handover']).optional(),
  category: z.string().optional(),
  description: z.string().optional(),
  photos: z.array(z.string()).optional(),
  contact: z.string().optional(),
  /** When the user gave the contact, after the bot's notice on why and how long it is kept: their consent. */
  contactConsentAt: z.number().optional(),
  query: z.string().optional(),
  /** The ticket the dialog is about while it is with operators. */
  ticket: z.string().optional(),
  lastReceiptAt: z.number().optional(),
  lastOperatorAt: z.number().optional(),
  /** The local day of the last off-hours auto-reply: one a day. */
  offHoursRepliedOn: z.string().optional(),
  /**
   * The buttons of the bot's last message, in reading order: a typed number or a button's label
   * picks one (clients without keyboards see them as a numbered list), "да"/"нет" its
   * positive/negative one.
   */
  choices: z
    .array(
      z.object({
        /** The button's payload as its keyboard carries it (JSON), validated when picked. */
        p: z.string().max(300),
        l: z.string().max(100),
        k: z.enum(['primary', 'secondary', 'positive', 'negative']).optional(),
      }),
    )
    .max(40)
    .optional(),
  /** When those buttons were offered: a survey sent later takes a typed rating before them. */
  choicesAt: z.number().optional(),
  /** The community leave the dialog asks the reason for: its key (one reason per leave). */
  leave: z.string().optional(),
  /** While waiting for a low rating's reason in the user's words: the survey's ticket and resolution. */
  csat: z
    .object({
      t: z.string(),
      n: z.number(),
      since: z.number(),
      /** The state to return to afterwards (a dialog with its ticket stays with it). */
      back: z.enum(['idle', 'with_operator']).optional(),
    })
    .optional(),
  /** While waiting for the words behind an NPS score: when asked, and which answer they belong to. */
  nps: z
    .object({
      since: z.number(),
      respondedAt: z.number(),
      back: z.enum(['idle', 'with_operator']).optional(),
    })
    .optional(),
});
export type DialogData = z.infer<typeof dialogDataSchema>;

export type DialogState =
  | 'idle'
  | 'asking'
  | 'kb_offered'
  | 'choosing_category'
  | 'describing'
  | 'contact'
  | 'confirming'
  | 'with_operator'
  | 'choosing_language'
  | 'csat_reason'
  | 'nps_comment'
  | 'leave_reason';

/** A button of the bot's last message, as a typed number or label picks it. */
export interface Choice {
  payload: ButtonPayload;
  label: string;
  color: 'primary' | 'secondary' | 'positive' | 'negative' | undefined;
}

/** One private dialog during one turn: the user, the dialog row and what the bot says. */
export class Dialog {
  state: DialogState;
  data: DialogData;

  constructor(
    readonly turn: Turn,
    public user: UserRecord,
    readonly record: DialogRecord,
    readonly isNew: boolean,
  ) {
    this.state = record.state as DialogState;
    const parsed = dialogDataSchema.safeParse(record.data);
    this.data = parsed.success ? parsed.data : {};
  }

  get userId(): number {
    return this.user.userId;
  }

  get language(): Language {
    return this.user.language ?? 'ru';
  }

  get client(): ClientCapabilities {
    return this.data.client ?? assumedCapabilities;
  }

  text(key: TextKey, variables: Record<string, string | number | null | undefined> = {}): string {
    return render(this.language, key, variables);
  }

  /**
   * Sends `text` with `buttons` under it, and remembers the buttons so that typing a number or a
   * label works as pressing. A client that shows no keyboard gets them as a numbered list instead.
   */
  say(text: string, buttons?: readonly (readonly Button[])[]): void {
    const keyboard = buttons ? buildKeyboard(buttons, this.client) : undefined;
    const choices = (buttons ?? []).flat();
    const listed =
      !keyboard && choices.length > 0
        ? `${text}\n\n${choices.map((button, index) => `${index + 1}. ${button.label}`).join('\n')}\n\n${this.text('bot.numbers_hint')}`
        : text;
    const said = this.#preface ? `${this.#preface}\n\n${listed}` : listed;
    this.#preface = null;
    if (!buttons && this.data.choices && this.data.choicesAt !== this.turn.now) {
      // A later message without buttons: the old ones are no longer what a number would pick.
      this.data.choices = undefined;
      this.#choices = undefined;
    }
    if (buttons) {
      this.data.choices = choices.map(({ payload, label, color }) => ({
        p: JSON.stringify(payload),
        l: label,
        ...(color ? { k: color } : {}),
      }));
      this.data.choicesAt = this.turn.now;
      this.#choices = undefined;
    }
    this.turn.send({ peerId: this.userId, text: said, ...(keyboard ? { keyboard } : {}) });
  }

  /**
   * Opens the next message with `text` (a greeting before the answer): one answer is one message, its
   * buttons under it, not a greeting and then the answer.
   */
  preface(text: string): void {
    this.#preface = text;
  }

  #preface: string | null = null;
  #choices: Choice[] | undefined;

  /** The buttons of the bot's last message, their payloads read as a press's would be. */
  choices(): Choice[] {
    this.#choices ??= (this.data.choices ?? []).flatMap((choice) => {
      const parsed = parseButtonPayload(choice.p);
      return parsed.kind === 'valid' ? [{ payload: parsed.payload, label: choice.l, color: choice.k }] : [];
    });
    return this.#choices;
  }

  /**
   * Moves to `state`, keeping only what every state keeps: the client, the off-hours and operator
   * marks, and the ticket the dialog is about (opening the menu mid-ticket doesn't end it).
   */
  reset(state: DialogState, keep: Partial<DialogData> = {}): void {
    const { client, lastReceiptAt, lastOperatorAt, offHoursRepliedOn, ticket, choices, choicesAt } =
      this.data;
    this.state = state;
    this.data = {
      client,
      lastReceiptAt,
      lastOperatorAt,
      offHoursRepliedOn,
      ticket,
      choices,
      choicesAt,
      ...keep,
    };
  }

  async save(): Promise<void> {
    await this.turn.repositories.dialogs.put({
      ...this.record,
      state: this.state,
      data: stripUndefined(this.data),
      updatedAt: this.turn.now,
    });
  }
}

/** The client a stored dialog last wrote from (what keyboards it shows), or the safe assumption. */
export function clientOf(record: DialogRecord | null): ClientCapabilities {
  return dialogDataSchema.safeParse(record?.data ?? {}).data?.client ?? assumedCapabilities;
}

export function stripUndefined(data: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(data).filter(([, value]) => value !== undefined));
}
