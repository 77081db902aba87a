import * as z from 'zod';
import content from '../../content/kb-synonyms.json';
import { phraseKey, stems } from '../i18n/words';
import type { Language } from '../storage/port';

const languageWordsSchema = z.object({
  ignore: z.array(z.string().min(1)),
  synonyms: z.array(
    z
      .array(z.string().min(1))
      .min(2)
      .refine((group) => stems(group[0] ?? '').length === 1, 'a group is read as its first entry: one word'),
  ),
});
export const kbWordsSchema = z.object({ ru: languageWordsSchema, en: languageWordsSchema });
export type KbWords = z.infer<typeof kbWordsSchema>;

/** Where a phrase may not run across: a keyword list's items, sentences, menu paths ("Профиль → Уведомления"). */
const CHUNK_BREAK = /[\n.,;:!?()«»"“”→—]+/;

/**
 * Turns a text into the terms the KB index and its questions are compared by: Snowball stems
 * (`lib/i18n/words`), a synonym phrase read as its group's word ("не пускает" → "вход", "money
 * back" → "refund"), words that say nothing about a topic dropped. Phrases are matched longest
 * first, inside one chunk of text, before their words are dropped: "не пускает" is a term, "не" alone
 * is not.
 */
export class TermReader {
  /** Stem phrase → the term it is read as, or `null`: ignored. */
  readonly #phrases = new Map<string, string | null>();
  readonly #longestPhrase: number;

  constructor(words: KbWords[Language], language: Language) {
    const add = (phrase: string, term: string | null) => {
      const key = phraseKey(phrase);
      if (key === '') return;
      const known = this.#phrases.get(key);
      if (known !== undefined && known !== term)
        throw new Error(
          `kb words (${language}): "${phrase}" is read both as ${known ?? 'nothing'} and ${term}`,
        );
      this.#phrases.set(key, term);
    };
    for (const phrase of words.ignore) add(phrase, null);
    for (const group of words.synonyms) {
      const term = phraseKey(group[0] ?? '');
      for (const phrase of group) add(phrase, term);
    }
    this.#longestPhrase = Math.max(1, ...[...this.#phrases.keys()].map((key) => key.split(' ').length));
  }

  /** The text's terms in order (duplicates kept: the index counts them). */
  terms(text: string): string[] {
    const terms: string[] = [];
    for (const chunk of text.split(CHUNK_BREAK)) {
      const chunkStems = stems(chunk);
      let at = 0;
      while (at < chunkStems.length) {
        let matched = 0;
        for (let length = Math.min(this.#longestPhrase, chunkStems.length - at); length >= 1; length--) {
          const term = this.#phrases.get(chunkStems.slice(at, at + length).join(' '));
          if (term === undefined) continue;
          if (term !== null) terms.push(term);
          matched = length;
          break;
        }
        if (matched === 0) terms.push(chunkStems[at] ?? '');
        at += Math.max(matched, 1);
      }
    }
    return terms.filter((term) => term.length > 0);
  }
}

let parsedWords: KbWords | undefined;

/** `content/kb-synonyms.json`, validated on first use (not at a function's cold start). */
export function kbWords(): KbWords {
  parsedWords ??= kbWordsSchema.parse(content);
  return parsedWords;
}
