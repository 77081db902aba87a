import { MINUTE } from '../../lib/clock';
import type { SurveyRecord } from '../../lib/storage/port';
import { type BotStack, OPERATOR_TOKEN, startBotStack } from '../support/bot-harness';

/** People type instead of pressing: numbers, words in any case and form, small talk, a rating. */

let bot: BotStack;
afterEach(async () => {
  await bot?.close();
});

/** A message from a client that shows no keyboards (an old app, a watch): VK says so in client_info. */
async function saysWithoutKeyboard(userId: number, text: string) {
  const object = bot.sandbox.userMessageObject(userId, text);
  object.client_info = {
    button_actions: ['text'],
    keyboard: false,
    inline_keyboard: false,
    carousel: false,
    lang_id: 0,
  };
  await bot.sandbox.deliver('message_new', object);
  await bot.settle();
}

describe('a client without keyboards', () => {
  it('gets the menu as a numbered list and picks with digits; words and labels work the same', async () => {
    bot = await startBotStack();
    await saysWithoutKeyboard(701, 'привет');
    const menu = bot.lastTo(701);
    expect(menu.keyboard ?? null).toBeNull();
    expect(menu.text).toContain('1. 🐞 Сообщить об ошибке');
    expect(menu.text).toContain('4. 📋 Мои обращения');
    expect(menu.text).toContain('Ответьте цифрой');

    await saysWithoutKeyboard(701, '4');
    expect(bot.lastTo(701).text).toContain('обращений');
    await saysWithoutKeyboard(701, 'МЕНЮ');
    expect(bot.lastTo(701).text).toContain('Чем помочь?');
    await saysWithoutKeyboard(701, '2.');
    expect(bot.lastTo(701).text).toContain('Напишите вопрос');
    await saysWithoutKeyboard(701, 'меню');
    // A button's label typed as text picks it too, emoji or not, any case.
    await saysWithoutKeyboard(701, 'частые вопросы');
    expect(bot.lastTo(701).text).toContain('Частые вопросы');
  });

  it('files a ticket by numbers and words alone: operator → category → description → ticket', async () => {
    bot = await startBotStack();
    await saysWithoutKeyboard(702, 'привет');
    await saysWithoutKeyboard(702, 'Позовите оператора, пожалуйста');
    expect(bot.lastTo(702).text).toContain('Выберите тему обращения');
    expect(bot.lastTo(702).text).toMatch(/1\. .+\n2\. /);
    await saysWithoutKeyboard(702, '1');
    expect(bot.lastTo(702).text).toMatch(/Опишите|опишите/);
    await saysWithoutKeyboard(702, 'Не открывается профиль после обновления');
    expect(
      bot
        .sentTo(702)
        .map((m) => m.text)
        .join('\n'),
    ).toMatch(/Обращение [A-Z]-\d+ создано/);
  });
});

describe('typed words', () => {
  it('understands "оператор", "человек" in any case and form, in both languages', async () => {
    bot = await startBotStack();
    for (const [userId, words] of [
      [711, 'оператор'],
      [712, 'ЧЕЛОВЕК'],
      [713, 'хочу поговорить с живым человеком'],
      [714, 'Operator please'],
    ] as const) {
      await bot.says(userId, 'привет');
      await bot.says(userId, words);
      expect(bot.payloadsOf(bot.lastTo(userId)).some((p) => p.c === 'cat')).toBe(true);
    }
  });

  it('answers small talk as such: "спасибо" is thanked, not offered an operator; "привет" greets', async () => {
    bot = await startBotStack();
    await bot.says(721, 'привет');
    await bot.says(721, 'Спасибо!');
    expect(bot.lastTo(721).text).toContain('Пожалуйста');
    expect(bot.lastTo(721).text).not.toContain('оператор');
    await bot.says(721, 'Здравствуйте');
    expect(bot.lastTo(721).text).toMatch(/Добрый день, User721/);
  });

  it('takes "да" and "нет" as the message\'s positive and negative buttons', async () => {
    bot = await startBotStack();
    await bot.says(731, 'привет');
    await bot.press(731, bot.lastTo(731), { c: 'cat', id: 'bug' });
    await bot.says(731, 'Кнопка оплаты серая и не нажимается');
    await bot.says(731, 'пропустить');
    expect(bot.lastTo(731).text).toContain('Проверьте');
    await bot.says(731, 'да');
    expect(bot.lastTo(731).text).toMatch(/Обращение B-\d+ создано/);

    await bot.says(732, 'привет');
    await bot.press(732, bot.lastTo(732), { c: 'cat', id: 'bug' });
    await bot.says(732, 'Кнопка оплаты серая и не нажимается');
    await bot.says(732, 'пропустить');
    await bot.says(732, 'Нет');
    expect(bot.lastTo(732).text).toMatch(/[Оо]тмен/);
  });

  it('takes a typed "4" as the rating of the survey the user was just asked', async () => {
    bot = await startBotStack();
    const { number } = await bot.fileTicket(741);
    await bot.api('POST', `/api/ops/tickets/${number}/status`, {
      operatorToken: OPERATOR_TOKEN,
      body: { status: 'resolved' },
    });
    await bot.advance(31 * MINUTE);
    expect(bot.lastTo(741).text).toContain('Оцените');
    await bot.says(741, '4');
    const surveys = await bot.store.read(async (r): Promise<SurveyRecord[]> => {
      const ticket = await r.tickets.getByNumber(number);
      return ticket ? r.surveys.listByTicket(ticket.ticketId) : [];
    });
    expect(surveys[0]).toMatchObject({ status: 'answered', rating: 4 });
    const ticket = await bot.store.read((r) => r.tickets.getByNumber(number));
    expect(ticket?.status).toBe('resolved');
  });
});

describe('typed ratings and reasons', () => {
  const resolve = (number: string) =>
    bot.api('POST', `/api/ops/tickets/${number}/status`, {
      operatorToken: OPERATOR_TOKEN,
      body: { status: 'resolved' },
    });
  const surveysOf = (number: string) =>
    bot.store.read(async (r): Promise<SurveyRecord[]> => {
      const ticket = await r.tickets.getByNumber(number);
      return ticket ? r.surveys.listByTicket(ticket.ticketId) : [];
    });
  const statusOf = async (number: string) =>
    (await bot.store.read((r) => r.tickets.getByNumber(number)))?.status;

  it('a rating typed after small talk still counts; a second one is told it counted, and reopens nothing', async () => {
    bot = await startBotStack();
    const { number } = await bot.fileTicket(751);
    await resolve(number);
    await bot.advance(31 * MINUTE);
    await bot.says(751, 'спасибо');
    await bot.says(751, '5');
    expect((await surveysOf(number))[0]).toMatchObject({ status: 'answered', rating: 5 });
    await bot.says(751, '5/5');
    expect(bot.lastTo(751).text).toBe('Оценка уже учтена');
    expect(await statusOf(number)).toBe('resolved');
  });

  it('a low rating takes its reason by number or in words; a reopening stops its alert', async () => {
    bot = await startBotStack({ environment: { QUALITY_CHAT_PEER_ID: '2000000002' } });
    const first = await bot.fileTicket(752);
    await resolve(first.number);
    await bot.advance(31 * MINUTE);
    await bot.says(752, '2');
    expect(bot.lastTo(752).text).toContain('Что пошло не так?');
    await bot.says(752, '1');
    expect((await surveysOf(first.number))[0]).toMatchObject({ rating: 2, reason: 'slow' });
    // The alert for it went out, so the one below would too if the reopening didn't stop it.
    expect(bot.sentTo(2000000002).filter((m) => m.text.includes(first.number))).toHaveLength(1);

    const second = await bot.fileTicket(753);
    await resolve(second.number);
    await bot.advance(31 * MINUTE);
    await bot.says(753, '1');
    await bot.says(753, 'Долго');
    expect((await surveysOf(second.number))[0]).toMatchObject({
      rating: 1,
      reason: 'other',
      reasonText: 'Долго',
    });
    expect(await statusOf(second.number)).toBe('resolved');

    const third = await bot.fileTicket(754);
    await resolve(third.number);
    await bot.advance(31 * MINUTE);
    await bot.says(754, '1');
    await bot.says(754, 'меню');
    await bot.says(754, 'Всё равно не работает, проверьте ещё раз');
    expect(await statusOf(third.number)).not.toBe('resolved');
    await bot.advance(2 * 60 * MINUTE);
    expect(bot.sentTo(2000000002).filter((m) => m.text.includes(third.number))).toHaveLength(0);
  });

  it('a client without keyboards is asked to type the rating, and its digit counts', async () => {
    bot = await startBotStack();
    await saysWithoutKeyboard(755, 'привет');
    await saysWithoutKeyboard(755, 'оператор');
    await saysWithoutKeyboard(755, '2');
    await saysWithoutKeyboard(755, 'Не приходят уведомления о заказах');
    const number = /([A-Z]-\d+)/.exec(
      bot
        .sentTo(755)
        .map((m) => m.text)
        .join('\n'),
    )?.[1];
    await resolve(number!);
    await bot.advance(31 * MINUTE);
    expect(bot.lastTo(755).text).toContain('Ответьте цифрой от 1 (плохо) до 5 (отлично)');
    await saysWithoutKeyboard(755, '4');
    expect((await surveysOf(number!))[0]).toMatchObject({ status: 'answered', rating: 4 });
  });
});

describe('what the tryout typed', () => {
  it('a first message "оператор" is acted on, greeting included; typos count; "оператор" while describing hands over', async () => {
    bot = await startBotStack();
    await bot.says(761, 'оператор');
    expect(bot.lastTo(761).text).toMatch(/^Добрый день, User761/);
    expect(bot.payloadsOf(bot.lastTo(761)).some((p) => p.c === 'cat')).toBe(true);
    await bot.says(761, 'менб');
    expect(bot.lastTo(761).text).toContain('Чем помочь?');
    await bot.says(761, 'аператор');
    await bot.press(761, bot.lastTo(761), { c: 'cancel' });
    await bot.press(761, bot.lastTo(761), { c: 'cat', id: 'bug' });
    await bot.says(761, 'оператор');
    expect(bot.lastTo(761).text).toContain('передам его оператору');
  });

  it('"нет" under an article passes the question to a person; a screenshot alone files a bug report', async () => {
    bot = await startBotStack();
    await bot.says(762, 'привет');
    await bot.says(762, 'Не проходит оплата картой');
    await bot.says(762, 'нет');
    expect(bot.lastTo(762).text).toMatch(/Обращение Q-\d+ создано/);

    await bot.says(763, 'привет');
    await bot.says(763, '', { photos: 1 });
    expect(
      bot
        .sentTo(763)
        .map((m) => m.text)
        .join('\n'),
    ).toMatch(/Обращение B-\d+ создано/);
  });
});
