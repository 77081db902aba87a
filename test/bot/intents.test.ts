import { intentProblems, intents, intentsContent, typedNumber } from '../../lib/bot/intents';
import { typedRatingOf } from '../../lib/bot/survey-answers';

describe('typed intents', () => {
  it.each([
    ['оператор', 'operator'],
    ['Оператора!', 'operator'],
    ['Позовите оператора, пожалуйста', 'operator'],
    ['хочу поговорить с живым человеком', 'operator'],
    ['человек', 'operator'],
    ['I want to talk to a human', 'operator'],
    ['МЕНЮ', 'menu'],
    ['Главное меню', 'menu'],
    ['да', 'yes'],
    ['Ок', 'yes'],
    ['нет', 'no'],
    ['Нет, спасибо', 'no'],
    ['спасибо', 'thanks'],
    ['Спасибо большое!', 'thanks'],
    ['спс', 'thanks'],
    ['thank you', 'thanks'],
    ['Привет', 'hello'],
    ['Здравствуйте!', 'hello'],
    ['добрый вечер', 'hello'],
    ['не помогло', 'not_helped'],
    ['помогло', 'helped'],
    ['мои обращения', 'tickets'],
    ['Отмена', 'cancel'],
    ['пропустить', 'skip'],
  ])('"%s" → %s', (typed, intent) => {
    expect(intents.recognise(typed)).toBe(intent);
  });

  it.each([
    'Не помогло, всё ещё ошибка',
    'Не могу войти в аккаунт',
    'Как отменить подписку?',
    'как добавить человека в друзья',
    'Списались деньги, а подписка не появилась',
    'пожалуйста',
    '',
  ])('"%s" is a message of its own', (typed) => {
    expect(intents.recognise(typed)).toBeNull();
  });

  it('content: every phrase can match and belongs to one intent', () => {
    expect(intentProblems(intentsContent())).toEqual([]);
  });

  it('reads numbers as people type them', () => {
    expect(['1', ' 2 ', '3.', '4)', '10'].map(typedNumber)).toEqual([1, 2, 3, 4, 10]);
    expect(['1 2', 'один', '+79001234567', '1.5'].map(typedNumber)).toEqual([null, null, null, null]);
  });

  it("reads a typed rating on the survey's scale", () => {
    expect(['4', '5/5', '3 из 5', '2!', '⭐⭐⭐⭐'].map((text) => typedRatingOf(text, 'five'))).toEqual([
      4, 5, 3, 2, 4,
    ]);
    expect(['6', '0', 'четыре', '4 раза'].map((text) => typedRatingOf(text, 'five'))).toEqual([
      null,
      null,
      null,
      null,
    ]);
    expect(['👍', '👎', '5'].map((text) => typedRatingOf(text, 'thumbs'))).toEqual([5, 1, null]);
  });
});
