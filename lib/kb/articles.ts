import MiniSearch, { type SearchResult } from 'minisearch';
import * as z from 'zod';
import content from '../../content/kb.json';
import { languageOfText } from '../i18n/words';
import type { Language } from '../storage/port';
import { type KbWords, kbWords, TermReader } from './terms';

const articleSchema = z.object({
  slug: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/),
  lang: z.enum(['ru', 'en']),
  title: z.string().min(3).max(120),
  keywords: z.array(z.string().min(2)).min(1),
  body: z.string().min(20).max(4000),
});
export const knowledgeBaseSchema = z.object({
  articles: z
    .array(articleSchema)
    .min(1)
    .refine(
      (articles) => new Set(articles.map((a) => `${a.lang}/${a.slug}`)).size === articles.length,
      'slug must be unique per language',
    ),
});

export type Article = z.infer<typeof articleSchema>;

export interface SearchHit {
  article: Article;
  /** How much of the query the article covers, 0..1 (see {@link KnowledgeBase.answer}). */
  score: number;
}

/**
 * What the KB makes of a question: one article it is sure of (with the next matches, for "other
 * articles" buttons), or the articles that came closest when it is not sure: the caller offers an
 * operator and may show these as suggestions. `candidates` is empty when nothing matched at all.
 */
export type KbAnswer =
  | { kind: 'article'; article: Article; others: Article[]; confidence: number }
  | { kind: 'unsure'; candidates: Article[] };

/**
 * How strongly a question's term counts as explained by an article, by where the article has it.
 * A title or keyword is what the article is about; a body word may be incidental ("откройте
 * мини-приложение" is in most bodies), so a body match alone can never make the KB sure.
 */
const FIELD_STRENGTH = { title: 1, keywords: 1, body: 0.4 } as const;
type Field = keyof typeof FIELD_STRENGTH;
const FIELDS = Object.keys(FIELD_STRENGTH) as Field[];
/** A typo (edit distance) or prefix match counts a bit less than the exact word. */
const APPROXIMATE_MATCH = 0.8;
/**
 * The weight of a question word no article has. Known words weigh their IDF, ln(1 + N/df): about 2.3
 * for a word of one article down to 0.7 for one in every article. An unknown word is one the user
 * meant (the ignore list took the filler), so it weighs like a fairly specific one: "сколько стоит
 * подписка" is not about cancelling one.
 */
const UNKNOWN_TERM_WEIGHT = 1.6;
/** The confidence from which `answer` names an article; calibrated on content/kb-questions.json. */
export const CONFIDENCE_THRESHOLD = 0.55;
/** Coverage from which an article is worth showing as another match or a candidate. */
const RELATED_COVERAGE = 0.25;
/** Distinct terms read from a question: a longer one is a story for an operator, and the time stays bounded. */
const MAX_TERMS = 32;

interface Ranked {
  slug: string;
  /** Share of the question's weighted terms the article explains, 0..1. */
  coverage: number;
  /** MiniSearch's BM25 score summed over the terms: breaks ties between equal coverage. */
  bm25: number;
}

interface LanguageIndex {
  reader: TermReader;
  search: MiniSearch<Article>;
  /** Every term of the language's articles: a question term found here is not looked up by typo. */
  vocabulary: Set<string>;
  articleCount: number;
  /**
   * The articles' own terms looked up exactly, kept as found: the content doesn't change while the
   * process lives, so a term of the vocabulary is searched once (a few hundred of them at most).
   */
  exact: Map<string, SearchResult[]>;
}

/**
 * The knowledge base shared by the chat bot and the mini app: articles in ru and en, one MiniSearch
 * index per language over title, keywords and body, built once. Articles and questions are read into
 * the same terms (`TermReader`: Snowball stems, synonyms from `content/kb-synonyms.json`, filler
 * dropped). A question term the articles have is looked up as it is; another one with one typo (two
 * from seven letters) or as the start of a word.
 */
export class KnowledgeBase {
  readonly #source: () => readonly Article[];
  readonly #wordsSource: () => KbWords;
  #loaded: readonly Article[] | undefined;
  #built: Record<Language, LanguageIndex> | undefined;

  /**
   * `articles` and `words` may be given as functions: read on first use, so that loading the module
   * (a function's cold start) neither validates the content nor builds the indexes.
   */
  constructor(
    articles: readonly Article[] | (() => readonly Article[]),
    words: KbWords | (() => KbWords) = kbWords,
  ) {
    this.#source = typeof articles === 'function' ? articles : () => articles;
    this.#wordsSource = typeof words === 'function' ? words : () => words;
  }

  get #articles(): readonly Article[] {
    this.#loaded ??= this.#source();
    return this.#loaded;
  }

  /**
   * The indexes, built on first use: a function instance that never searches (a button press, a
   * ticket from the mini app) doesn't pay for them at its cold start.
   */
  get #indexes(): Record<Language, LanguageIndex> {
    this.#built ??= this.#build();
    return this.#built;
  }

  #build(): Record<Language, LanguageIndex> {
    const articles = this.#articles;
    const words = this.#wordsSource();
    const index = (language: Language): LanguageIndex => {
      const reader = new TermReader(words[language], language);
      const search = new MiniSearch<Article>({
        idField: 'slug',
        fields: FIELDS,
        extractField: (article, field) =>
          field === 'keywords' ? article.keywords.join('\n') : String(article[field as keyof Article]),
        // Stemming happens in `tokenize`, not `processTerm`: a synonym phrase needs its neighbours.
        tokenize: (text) => reader.terms(text),
        processTerm: (term) => term,
        // Queries are single terms already read by `reader`.
        searchOptions: { tokenize: (term) => [term], processTerm: (term) => term },
      });
      const own = articles.filter((article) => article.lang === language);
      search.addAll(own);
      const vocabulary = new Set(
        own.flatMap((article) => reader.terms([article.title, ...article.keywords, article.body].join('\n'))),
      );
      return { reader, search, vocabulary, articleCount: own.length, exact: new Map() };
    };
    return { ru: index('ru'), en: index('en') };
  }

  /**
   * Answers a question with one article only when the KB is sure of it.
   *
   * The question's terms are weighted (IDF, unknown words {@link UNKNOWN_TERM_WEIGHT}); an
   * article's **coverage** is the weighted share of them it explains, each term counting by where
   * the article has it ({@link FIELD_STRENGTH}, less for a typo). The **confidence** is the best
   * coverage less half the runner-up's: an article that explains the whole question while no other
   * explains any of it is 1; two articles explaining it equally well leave at most 0.5, as do
   * questions half made of words no article knows. From {@link CONFIDENCE_THRESHOLD} it names the
   * article; below, it is unsure and gives the closest ones. The question is read in the language of
   * its letters (a Russian question in an English dialog still finds its article) and the articles
   * are given in `language`.
   *
   * @example
   * knowledgeBase.answer('Не могу войти в аккаунт', 'ru') // { kind: 'article', article: { slug: 'account-access', … }, … }
   * knowledgeBase.answer('спасибо', 'ru') // { kind: 'unsure', candidates: [] }
   */
  answer(question: string, language: Language): KbAnswer {
    const ranked = this.#rank(question, language);
    const [best, second] = ranked;
    const related = (entries: Ranked[], limit: number) =>
      entries
        .filter((entry) => entry.coverage >= RELATED_COVERAGE)
        .slice(0, limit)
        .map((entry) => this.#article(entry.slug, language))
        .filter((article) => article !== undefined);
    const confidence = best ? best.coverage - (second?.coverage ?? 0) / 2 : 0;
    const article = best && this.#article(best.slug, language);
    if (article && confidence >= CONFIDENCE_THRESHOLD)
      return { kind: 'article', article, others: related(ranked.slice(1), 2), confidence };
    return { kind: 'unsure', candidates: related(ranked, 3) };
  }

  /** Articles matching a query, best first (the mini app's search, GET /api/kb). */
  search(query: string, language: Language, limit = 3): SearchHit[] {
    return this.#rank(query, language)
      .filter((entry) => entry.coverage >= RELATED_COVERAGE)
      .slice(0, limit)
      .flatMap((entry) => {
        const article = this.#article(entry.slug, language);
        return article ? [{ article, score: entry.coverage }] : [];
      });
  }

  get(slug: string, language: Language): Article | undefined {
    return this.#articles.find((article) => article.slug === slug && article.lang === language);
  }

  list(language: Language): Article[] {
    return this.#articles.filter((article) => article.lang === language);
  }

  /** The article in the dialog's language, or in the question's when it has no translation. */
  #article(slug: string, language: Language): Article | undefined {
    return this.get(slug, language) ?? this.#articles.find((article) => article.slug === slug);
  }

  #rank(question: string, language: Language): Ranked[] {
    const index = this.#indexes[languageOfText(question, language)];
    const terms = [...new Set(index.reader.terms(question))].slice(0, MAX_TERMS);
    const explained = new Map<string, { weighted: number; bm25: number }>();
    let totalWeight = 0;
    for (const term of terms) {
      // A known word is taken as typed; an unknown one may be a typo or the start of a word.
      const approximate = !index.vocabulary.has(term);
      const lookUp = () =>
        index.search.search(term, {
          fuzzy: approximate && term.length >= 4 && (term.length >= 7 ? 2 : 1),
          prefix: approximate && term.length >= 4,
          weights: { fuzzy: APPROXIMATE_MATCH, prefix: APPROXIMATE_MATCH },
          boost: { title: 2, keywords: 2, body: 1 },
        });
      let results: SearchResult[];
      if (approximate) results = lookUp();
      else {
        results = index.exact.get(term) ?? lookUp();
        index.exact.set(term, results);
      }
      const weight =
        results.length === 0 ? UNKNOWN_TERM_WEIGHT : Math.log(1 + index.articleCount / results.length);
      totalWeight += weight;
      for (const result of results) {
        let strength = 0;
        for (const [documentTerm, fields] of Object.entries(result.match))
          for (const field of fields as Field[])
            strength = Math.max(
              strength,
              FIELD_STRENGTH[field] * (documentTerm === term ? 1 : APPROXIMATE_MATCH),
            );
        const entry = explained.get(result.id) ?? { weighted: 0, bm25: 0 };
        entry.weighted += weight * strength;
        entry.bm25 += result.score;
        explained.set(result.id, entry);
      }
    }
    return [...explained]
      .map(([slug, { weighted, bm25 }]) => ({ slug, coverage: weighted / totalWeight, bm25 }))
      .sort((a, b) => b.coverage - a.coverage || b.bm25 - a.bm25 || a.slug.localeCompare(b.slug));
  }
}

/** `content/kb.json`, validated on first use; a bad file fails the build (scripts/check-content.ts). */
export const knowledgeBase = new KnowledgeBase(() => knowledgeBaseSchema.parse(content).articles);
