import type { Dialog } from '../dialog';
import type { Button } from '../keyboard';
import { botEvent, cancelButton } from './buttons';
import type { BotDependencies, Flow } from './context';
import type { MenuFlow } from './menu';

/** A question kept for the operator is cut here (the description's limit). */
const QUERY_MAX = 4000;

/** Questions answered from the knowledge base, the FAQ list, and "did it help?". */
export class KnowledgeFlow implements Flow {
  constructor(
    private readonly deps: BotDependencies,
    private readonly menu: MenuFlow,
  ) {}

  readonly presses: Flow['presses'] = {
    ask: (dialog) => {
      dialog.reset('asking');
      dialog.say(dialog.text('bot.ask_question'), [[cancelButton(dialog)]]);
      return 'asking';
    },
    faq: (dialog) => {
      const articles = this.deps.knowledgeBase.list(dialog.language).slice(0, 6);
      dialog.reset('kb_offered');
      dialog.say(
        dialog.text('bot.faq'),
        articles.map((article) => [{ label: article.title, payload: { c: 'kb', s: article.slug } }]),
      );
      return 'faq';
    },
    kb: (dialog, payload) => {
      const article = this.deps.knowledgeBase.get(payload.s, dialog.language);
      if (!article) return this.menu.stale(dialog, 'unknown_article');
      this.offerArticle(dialog, article.slug, [], dialog.data.query);
      return 'kb_answered';
    },
    kb_ok: async (dialog, payload) => {
      await dialog.turn.repositories.events.append([
        botEvent(dialog.userId, `kb_helpful:${dialog.turn.key}`, 'kb_helpful', dialog.turn.now, {
          article: payload.s,
        }),
      ]);
      this.menu.menu(dialog, 'bot.kb.glad');
      return 'kb_helped';
    },
    decline: (dialog) => {
      this.menu.menu(dialog, 'bot.kb.declined');
      return 'declined';
    },
  };

  readonly typing: Flow['typing'] = {
    asking: async (dialog, { text }) => {
      if (!text) return null;
      this.answerQuestion(dialog, text);
      return 'kb_searched';
    },
  };

  /**
   * Answers from the knowledge base only when it is sure (`KnowledgeBase.answer`); otherwise offers
   * the operator, with the closest articles as buttons under the question.
   */
  answerQuestion(dialog: Dialog, question: string): void {
    const answer = this.deps.knowledgeBase.answer(question, dialog.language);
    if (answer.kind === 'article') {
      this.offerArticle(
        dialog,
        answer.article.slug,
        answer.others.map((other) => other.slug),
        question,
      );
      return;
    }
    dialog.reset('kb_offered', { query: question.slice(0, QUERY_MAX) });
    dialog.say(dialog.text(answer.candidates.length > 0 ? 'bot.kb.unsure' : 'bot.kb.nothing'), [
      [
        { label: dialog.text('button.yes'), payload: { c: 'handover' }, color: 'positive' },
        { label: dialog.text('button.no'), payload: { c: 'decline' }, color: 'negative' },
      ],
      ...answer.candidates
        .slice(0, 3)
        .map((candidate) => [
          { label: `📄 ${candidate.title}`, payload: { c: 'kb', s: candidate.slug } } satisfies Button,
        ]),
    ]);
  }

  offerArticle(dialog: Dialog, slug: string, others: readonly string[], query: string | undefined): void {
    const article = this.deps.knowledgeBase.get(slug, dialog.language);
    if (!article) return;
    dialog.reset('kb_offered', query ? { query: query.slice(0, QUERY_MAX) } : {});
    const more = others
      .map((other) => this.deps.knowledgeBase.get(other, dialog.language))
      .filter((other) => other !== undefined)
      .map((other) => [{ label: `📄 ${other.title}`, payload: { c: 'kb', s: other.slug } } satisfies Button]);
    dialog.say(dialog.text('bot.kb.answer', { title: article.title, body: article.body }), [
      [
        { label: dialog.text('button.helped'), payload: { c: 'kb_ok', s: article.slug }, color: 'positive' },
        { label: dialog.text('button.operator'), payload: { c: 'handover' }, color: 'primary' },
      ],
      ...more,
    ]);
  }
}
