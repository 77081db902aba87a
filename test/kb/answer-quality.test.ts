import * as z from 'zod';
import questionsContent from '../../content/kb-questions.json';
import { knowledgeBase } from '../../lib/kb/articles';

const labelledSet = z.object({
  questions: z
    .array(
      z.object({
        lang: z.enum(['ru', 'en']),
        q: z.string().min(1),
        /** The article that answers the question, or null: the KB should be unsure (operator). */
        expect: z.string().nullable(),
        holdout: z.boolean().optional(),
      }),
    )
    .min(80),
});
const { questions } = labelledSet.parse(questionsContent);

type Outcome = 'correct' | 'wrong' | 'unsure_on_answerable';

function outcome(question: (typeof questions)[number]): Outcome {
  const answer = knowledgeBase.answer(question.q, question.lang);
  const slug = answer.kind === 'article' ? answer.article.slug : null;
  if (slug === question.expect) return 'correct';
  return slug === null ? 'unsure_on_answerable' : 'wrong';
}

const percent = (count: number, of: number) => `${((100 * count) / of).toFixed(1)} %`;

function score(part: typeof questions) {
  const outcomes = part.map(outcome);
  const count = (kind: Outcome) => outcomes.filter((o) => o === kind).length;
  return {
    total: part.length,
    correct: count('correct') / part.length,
    wrong: count('wrong') / part.length,
    line: `${part.length} questions, top-1 correct ${percent(count('correct'), part.length)}, confidently wrong ${percent(count('wrong'), part.length)}, unsure on answerable ${percent(count('unsure_on_answerable'), part.length)}`,
  };
}

describe('KB answer quality on content/kb-questions.json', () => {
  it('labels only articles that exist, in the question’s language', () => {
    for (const question of questions)
      if (question.expect !== null)
        expect(knowledgeBase.get(question.expect, question.lang)?.slug).toBe(question.expect);
  });

  it('names the right article for at least 90 % and a wrong one for at most 2 % of the questions', () => {
    const all = score(questions);
    const heldOut = score(questions.filter((question) => question.holdout));
    console.log(`kb: ${all.line}\nkb (held out): ${heldOut.line}`);
    expect(all.correct).toBeGreaterThanOrEqual(0.9);
    expect(all.wrong).toBeLessThanOrEqual(0.02);
  });

  it('answers the issue’s examples with the right article', () => {
    const slugOf = (question: string, language: 'ru' | 'en') => {
      const answer = knowledgeBase.answer(question, language);
      return answer.kind === 'article' ? answer.article.slug : null;
    };
    expect(slugOf('Не могу войти в аккаунт', 'ru')).toBe('account-access');
    expect(slugOf('Как отменить подписку?', 'ru')).toBe('cancel-subscription');
  });
});
