import * as z from 'zod';
import content from '../../content/intents.json';
import { plainWords, stemOf, stems } from '../i18n/words';

/** What a typed message can mean besides its words: the intents of `content/intents.json`. */
export const intentIds = [
  'menu',
  'operator',
  'yes',
  'no',
  'cancel',
  'thanks',
  'hello',
  'bye',
  'tickets',
  'faq',
  'language',
  'skip',
  'send',
  'helped',
  'not_helped',
] as const;
export type IntentId = (typeof intentIds)[number];

const words = z.array(z.string().min(1).max(60)).min(1);
const byLanguage = z.object({ ru: words, en: words });

export const intentsContentSchema = z.object({
  $comment: z.string().optional(),
  fillers: byLanguage,
  intents: z
    .array(
      z.object({
        id: z.enum(intentIds),
        ru: words,
        en: words,
        anywhere: byLanguage.optional(),
      }),
    )
    .refine(
      (intents) => new Set(intents.map((intent) => intent.id)).size === intents.length,
      'an intent twice',
    ),
});
export type IntentsContent = z.infer<typeof intentsContentSchema>;

/** Shorter words are not read as typos: "да" and "до" are different words. */
const TYPO_MIN_LENGTH = 4;

/** An intent's `anywhere` words count inside messages of at most this many words (fillers dropped). */
const ANYWHERE_MAX_WORDS = 4;

/**
 * Recognises what people type instead of pressing a button ("оператор", "Позовите человека",
 * "да", "меню", "спасибо"): the whole message, its filler words dropped, against each intent's
 * phrases, case, `ё` and word endings folded. Both languages count whatever the dialog's language.
 */
export class Intents {
  readonly #phrases = new Map<string, IntentId>();
  readonly #anywhere = new Map<string, IntentId>();
  #fillers: ReadonlySet<string> = new Set();
  /** One-word phrases as typed (not stemmed), for a message of one mistyped word ("аператор"). */
  readonly #words = new Map<string, IntentId>();
  #source: (() => IntentsContent) | null;

  /** `source` may be a function: read and stemmed on the first message, not at a cold start. */
  constructor(source: IntentsContent | (() => IntentsContent)) {
    this.#source = typeof source === 'function' ? source : () => source;
  }

  #load(): void {
    if (!this.#source) return;
    const source = this.#source();
    this.#source = null;
    this.#fillers = new Set([...source.fillers.ru, ...source.fillers.en].flatMap((filler) => stems(filler)));
    for (const intent of source.intents) {
      for (const phrase of [...intent.ru, ...intent.en]) {
        const key = this.#key(phrase);
        // The first intent to claim a phrase keeps it: the file's order is the priority.
        if (key && !this.#phrases.has(key)) this.#phrases.set(key, intent.id);
        const [only, ...more] = plainWords(phrase);
        if (only && more.length === 0 && only.length >= TYPO_MIN_LENGTH && !this.#words.has(only))
          this.#words.set(only, intent.id);
      }
      for (const word of [...(intent.anywhere?.ru ?? []), ...(intent.anywhere?.en ?? [])]) {
        const stem = stemOf(word.toLowerCase().replace(/ё/g, 'е'));
        if (!this.#anywhere.has(stem)) this.#anywhere.set(stem, intent.id);
      }
    }
  }

  /** The intent a typed message stands for, or null when it is a message of its own. */
  recognise(text: string): IntentId | null {
    this.#load();
    const content = this.#content(text);
    if (content.length === 0) return null;
    const exact = this.#phrases.get(content.join(' '));
    if (exact) return exact;
    if (content.length > ANYWHERE_MAX_WORDS) return null;
    for (const stem of content) {
      const intent = this.#anywhere.get(stem);
      if (intent) return intent;
    }
    return this.#mistyped(text);
  }

  /** A message of one word one keystroke away from a one-word phrase: "аператор", "менб". */
  #mistyped(text: string): IntentId | null {
    const [word, ...more] = plainWords(text);
    if (!word || more.length > 0 || word.length < TYPO_MIN_LENGTH) return null;
    for (const [phrase, intent] of this.#words) {
      if (oneEditApart(word, phrase)) return intent;
    }
    return null;
  }

  #content(text: string): string[] {
    return stems(text).filter((stem) => !this.#fillers.has(stem));
  }

  #key(phrase: string): string {
    const content = this.#content(phrase);
    // A phrase made of fillers only ("не надо" is not) would match every filler-only message.
    return content.length > 0 ? content.join(' ') : '';
  }
}

/**
 * What in the intents' content could never match: a phrase word that is also a filler (it is dropped
 * before matching), and a phrase another intent claimed first.
 */
export function intentProblems(source: IntentsContent): string[] {
  const fillers = new Set([...source.fillers.ru, ...source.fillers.en].flatMap((filler) => stems(filler)));
  const claimed = new Map<string, IntentId>();
  const problems: string[] = [];
  for (const intent of source.intents) {
    for (const phrase of [...intent.ru, ...intent.en]) {
      if (stems(phrase).some((stem) => fillers.has(stem)))
        problems.push(`intent ${intent.id}: "${phrase}" has a filler word and can't match as written`);
      const key = stems(phrase).join(' ');
      const owner = claimed.get(key);
      if (owner && owner !== intent.id)
        problems.push(`intent ${intent.id}: "${phrase}" is ${owner}'s already`);
      else claimed.set(key, intent.id);
    }
  }
  return problems;
}

let parsedContent: IntentsContent | undefined;

/** `content/intents.json`, validated on first use; a bad file fails the build (scripts/check-content.ts). */
export function intentsContent(): IntentsContent {
  parsedContent ??= intentsContentSchema.parse(content);
  return parsedContent;
}

export const intents = new Intents(intentsContent);

/** A typed number picking one of the last message's buttons: "2", "2.", "2)", " 2 ". */
export function typedNumber(text: string): number | null {
  const match = /^\s*(\d{1,2})\s*[.)]?\s*$/.exec(text);
  return match ? Number(match[1]) : null;
}

/** Whether two words differ by one letter added, dropped, changed, or two neighbours swapped. */
export function oneEditApart(a: string, b: string): boolean {
  if (a === b || Math.abs(a.length - b.length) > 1) return false;
  const [shorter, longer] = a.length <= b.length ? [a, b] : [b, a];
  let start = 0;
  while (start < shorter.length && shorter[start] === longer[start]) start++;
  if (shorter.length === longer.length) {
    const changed = shorter.slice(start + 1) === longer.slice(start + 1);
    const swapped =
      shorter[start] === longer[start + 1] &&
      shorter[start + 1] === longer[start] &&
      shorter.slice(start + 2) === longer.slice(start + 2);
    return changed || swapped;
  }
  return shorter.slice(start) === longer.slice(start + 1);
}
