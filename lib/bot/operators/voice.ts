import { render, type TextKey } from '../../i18n/catalog';
import type { Language } from '../../storage/port';
import type { Turn } from '../turn';
import { describeMoment } from '../wording';

/** The operators' chat speaks one language: the team's. Every text it shows comes from the catalog. */
export const OPERATORS_LANGUAGE: Language = 'ru';

export type TextVariables = Readonly<Record<string, string | number | null | undefined>>;

/** A catalog text in the operators' language. */
export function opsText(key: TextKey, variables: TextVariables = {}): string {
  return render(OPERATORS_LANGUAGE, key, variables);
}

/** How the bot speaks in the operators' chat: catalog texts, posted to the chat's peer. */
export class ChatVoice {
  constructor(
    readonly peerId: number | undefined,
    readonly timezone: string,
  ) {}

  /** Posts a text in the chat (with buttons, if given); returns `outcome`, else the key. */
  say(turn: Turn, key: TextKey, variables: TextVariables = {}, outcome?: string, keyboard?: object): string {
    return this.sayText(turn, opsText(key, variables), outcome ?? key, keyboard);
  }

  /** Posts an already rendered text (catalog texts joined) in the chat. */
  sayText(turn: Turn, text: string, outcome: string, keyboard?: object): string {
    if (this.peerId !== undefined)
      turn.send({ peerId: this.peerId, text, ...(keyboard ? { keyboard } : {}) });
    return outcome;
  }

  /** "today at 12:05", "yesterday at 18:30", in the chat's language and the app's timezone. */
  moment(turn: Turn, at: number): string {
    return describeMoment(at, turn.now, this.timezone, OPERATORS_LANGUAGE, 'at');
  }
}
