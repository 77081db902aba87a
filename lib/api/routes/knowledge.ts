import { HttpError } from '../../errors';
import { kbArticleSchema, kbResultsSchema } from '../responses';
import { jsonOf, type Route, route } from '../router';
import { kbArticleQuery, kbSearchQuery } from '../schemas';

export const knowledgeRoutes: Route[] = [
  route({
    method: 'GET',
    path: '/api/kb',
    auth: 'public',
    tag: 'knowledge base',
    summary: 'Search the knowledge base (the bot’s answers), best first',
    query: kbSearchQuery,
    responses: { 200: { description: 'Ranked articles', schema: kbResultsSchema } },
    handle: async ({ query, deps }) =>
      jsonOf(kbResultsSchema, 200, {
        results: deps.knowledgeBase.search(query.q, query.lang, query.limit).map(({ article, score }) => ({
          slug: article.slug,
          title: article.title,
          excerpt: article.body.slice(0, 160),
          score: Math.round(score * 100) / 100,
        })),
      }),
  }),
  route({
    method: 'GET',
    path: '/api/kb/{slug}',
    auth: 'public',
    tag: 'knowledge base',
    summary: 'One article',
    query: kbArticleQuery,
    responses: {
      200: { description: 'The article', schema: kbArticleSchema },
      404: 'No such article in this language',
    },
    handle: async ({ params, query, deps }) => {
      const article = deps.knowledgeBase.get(params.slug ?? '', query.lang);
      if (!article)
        throw new HttpError(404, 'article_not_found', `No article ${params.slug} in ${query.lang}.`);
      return jsonOf(kbArticleSchema, 200, article);
    },
  }),
];
