import * as z from 'zod';
import content from '../../content/kb.json';
import type { Language } from '../storage/port';

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
  /** Higher is better; comparable between hits of one query only. */
  score: number;
}

/** Lower-case words, `ё` folded to `е`, punctuation dropped. */
export function words(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/ё/g, 'е')
    .split(/[^\p{L}\p{N}]+/u)
    .filter((word) => word.length >= 2);
}

/**
 * A crude stem: Russian and English inflect at the end, so two words match when they share their
 * first five letters (оплата/оплатой, notification/notifications). Short words must match whole.
 */
const stem = (word: string) => (word.length > 5 ? word.slice(0, 5) : word);

interface IndexedArticle {
  article: Article;
  title: Set<string>;
  keywords: Set<string>;
  keywordPhrases: string[];
  body: Set<string>;
}

const WEIGHTS = { phrase: 4, title: 3, keyword: 2, body: 1 } as const;

/**
 * The knowledge base shared by the chat bot and the mini app: articles in ru and en, searched by
 * weighted stem matches (a keyword phrase found whole in the question counts most, then title,
 * keyword and body words).
 */
export class KnowledgeBase {
  readonly #indexed: IndexedArticle[];

  constructor(articles: readonly Article[]) {
    this.#indexed = articles.map((article) => ({
      article,
      title: new Set(words(article.title).map(stem)),
      keywords: new Set(article.keywords.flatMap(words).map(stem)),
      keywordPhrases: article.keywords.filter((k) => words(k).length > 1).map((k) => words(k).join(' ')),
      body: new Set(words(article.body).map(stem)),
    }));
  }

  search(query: string, language: Language, limit = 3): SearchHit[] {
    const queryWords = words(query);
    if (queryWords.length === 0) return [];
    const normalizedQuery = queryWords.join(' ');
    const stems = [...new Set(queryWords.map(stem))];
    const hits: SearchHit[] = [];
    for (const entry of this.#indexed) {
      if (entry.article.lang !== language) continue;
      let score = 0;
      for (const phrase of entry.keywordPhrases)
        if (normalizedQuery.includes(phrase)) score += WEIGHTS.phrase;
      for (const word of stems) {
        if (entry.title.has(word)) score += WEIGHTS.title;
        if (entry.keywords.has(word)) score += WEIGHTS.keyword;
        if (entry.body.has(word)) score += WEIGHTS.body;
      }
      if (score > 0) hits.push({ article: entry.article, score: score / stems.length });
    }
    return hits
      .sort((a, b) => b.score - a.score || a.article.slug.localeCompare(b.article.slug))
      .slice(0, limit);
  }

  get(slug: string, language: Language): Article | undefined {
    return this.#indexed.find((entry) => entry.article.slug === slug && entry.article.lang === language)
      ?.article;
  }

  list(language: Language): Article[] {
    return this.#indexed.filter((entry) => entry.article.lang === language).map((entry) => entry.article);
  }
}

/** `content/kb.json`, validated once; a bad file fails the build (scripts/check-content.ts). */
export const knowledgeBase = new KnowledgeBase(knowledgeBaseSchema.parse(content).articles);
