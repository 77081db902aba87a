import { stemmer as englishStem } from '@orama/stemmers/english';
import { stemmer as russianStem } from '@orama/stemmers/russian';
import type { Language } from '../storage/port';

/**
 * Words as people type them, made comparable: lower case, `ё` read as `е`, punctuation and emoji
 * dropped, each word reduced to its stem (Snowball's Russian and English stemmers, from Orama's
 * `@orama/stemmers`): "Оператора", "оператор" and "операторов" are one word, as are "подписку" and
 * "подписки", "payments" and "payment". Shared by the chat's typed commands and the KB search.
 */

/** Lower case, `ё` folded to `е`, everything but letters and digits a separator; empty words dropped. */
export function plainWords(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/ё/g, 'е')
    .split(/[^\p{L}\p{N}]+/u)
    .filter((word) => word.length > 0);
}

/**
 * The stem of one plain word. Cyrillic words take the Russian stemmer and Latin ones the English,
 * whatever the dialog's language: Russian users type English product words and the other way round.
 */
export function stemOf(word: string): string {
  let stem = stemmed.get(word);
  if (stem === undefined) {
    stem = /[а-я]/.test(word) ? russianStem(word) : /^[a-z]+$/.test(word) ? englishStem(word) : word;
    // People use a few thousand words; a flood of odd ones only restarts the memo.
    if (stemmed.size >= STEMS_REMEMBERED) stemmed.clear();
    stemmed.set(word, stem);
  }
  return stem;
}

/** Stems already computed: Snowball is the costly part of reading a message, and words repeat. */
const stemmed = new Map<string, string>();
const STEMS_REMEMBERED = 20_000;

/** The stems of a text's words, in order. */
export function stems(text: string): string[] {
  return plainWords(text).map(stemOf);
}

/** A phrase's stems joined by spaces: the key two phrases compare by ("Позвать оператора" = "позвать операторов"). */
export function phraseKey(text: string): string {
  return stems(text).join(' ');
}

/** The language a text is most likely in, by its letters; `fallback` when it has none. */
export function languageOfText(text: string, fallback: Language): Language {
  const cyrillic = (text.match(/[а-яё]/gi) ?? []).length;
  const latin = (text.match(/[a-z]/gi) ?? []).length;
  if (cyrillic === 0 && latin === 0) return fallback;
  return cyrillic >= latin ? 'ru' : 'en';
}
