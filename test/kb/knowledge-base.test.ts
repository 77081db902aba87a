import { type Article, CONFIDENCE_THRESHOLD, KnowledgeBase, knowledgeBase } from '../../lib/kb/articles';
import { kbWords, TermReader } from '../../lib/kb/terms';

describe('knowledgeBase.answer', () => {
  it('is sure of an article that covers the question, and says which others came close', () => {
    const answer = knowledgeBase.answer('Как отменить подписку?', 'ru');
    expect(answer).toMatchObject({ kind: 'article', article: { slug: 'cancel-subscription', lang: 'ru' } });
    if (answer.kind !== 'article') return;
    expect(answer.confidence).toBeGreaterThanOrEqual(CONFIDENCE_THRESHOLD);
    expect(answer.confidence).toBeLessThanOrEqual(1);
    expect(answer.others.map((other) => other.slug)).not.toContain('cancel-subscription');
  });

  it.each(['спасибо', 'привет', 'ок', 'Ок, понятно', 'thanks', 'hi', 'ok', '👍', ''])(
    'is never sure of small talk: %j',
    (text) => {
      expect(knowledgeBase.answer(text, 'ru')).toEqual({ kind: 'unsure', candidates: [] });
    },
  );

  it('is unsure when two articles explain the question equally well, and offers both', () => {
    const answer = knowledgeBase.answer('не могу войти и не проходит оплата', 'ru');
    expect(answer.kind).toBe('unsure');
    if (answer.kind !== 'unsure') return;
    expect(answer.candidates.map((article) => article.slug).sort()).toEqual([
      'account-access',
      'payment-failed',
    ]);
  });

  it('is unsure of a question mostly about something no article knows', () => {
    expect(knowledgeBase.answer('квантовая хромодинамика', 'ru')).toEqual({ kind: 'unsure', candidates: [] });
    expect(knowledgeBase.answer('сколько стоит подписка', 'ru').kind).toBe('unsure');
  });

  it('reads typos, word forms and synonyms from content/kb-synonyms.json', () => {
    const slugOf = (question: string, language: 'ru' | 'en') => {
      const answer = knowledgeBase.answer(question, language);
      return answer.kind === 'article' ? answer.article.slug : null;
    };
    expect(slugOf('оплата не праходит', 'ru')).toBe('payment-failed');
    expect(slugOf('не пускает в приложение', 'ru')).toBe('account-access');
    expect(slugOf('задолбали пуши', 'ru')).toBe('notifications');
    expect(slugOf('cancel subscribtion', 'en')).toBe('cancel-subscription');
    expect(slugOf('money back please', 'en')).toBe('refund');
  });

  it('reads a question by its letters and answers in the dialog’s language', () => {
    const answer = knowledgeBase.answer('I can’t log in', 'ru');
    expect(answer).toMatchObject({ kind: 'article', article: { slug: 'account-access', lang: 'ru' } });
  });
});

describe('knowledgeBase.search (GET /api/kb)', () => {
  it('ranks by the same index, scores 0..1, and finds nothing for unrelated words', () => {
    const hits = knowledgeBase.search('не проходит оплата картой', 'ru');
    expect(hits[0]?.article.slug).toBe('payment-failed');
    expect(hits.every((hit) => hit.score > 0 && hit.score <= 1)).toBe(true);
    expect(knowledgeBase.search('квантовая хромодинамика', 'ru')).toEqual([]);
  });

  it('finds an article from the first letters of a word, as the mini app searches while typing', () => {
    expect(knowledgeBase.search('подпис', 'ru')[0]?.article.slug).toBe('cancel-subscription');
    expect(knowledgeBase.search('notif', 'en')[0]?.article.slug).toBe('notifications');
  });

  it('keeps get and list per language', () => {
    expect(knowledgeBase.get('refund', 'en')?.title).toBe('How to get a refund');
    expect(knowledgeBase.list('ru').every((article) => article.lang === 'ru')).toBe(true);
    expect(knowledgeBase.list('ru').map((a) => a.slug)).toEqual(knowledgeBase.list('en').map((a) => a.slug));
  });
});

describe('KB words', () => {
  const reader = new TermReader(kbWords().ru, 'ru');

  it('reads a synonym phrase as its group’s word before dropping filler', () => {
    expect(reader.terms('Не пускает в приложение')).toEqual(reader.terms('вход приложение'));
    expect(reader.terms('спасибо, привет, не могу')).toEqual([]);
  });

  it('refuses a word read two ways', () => {
    expect(() => new TermReader({ ignore: ['оплата'], synonyms: [['платеж', 'оплата']] }, 'ru')).toThrow(
      /read both/,
    );
  });

  it('builds from any articles', () => {
    const article: Article = {
      slug: 'promo',
      lang: 'en',
      title: 'Promo codes',
      keywords: ['promo code', 'coupon'],
      body: 'Enter the code in Profile → Promo before paying.',
    };
    const answer = new KnowledgeBase([article]).answer('where do I enter a coupon', 'en');
    expect(answer).toMatchObject({ kind: 'article', article: { slug: 'promo' } });
  });
});
