import { DAY, HOUR, MINUTE } from '../../lib/clock';
import type { SurveyRecord } from '../../lib/storage/port';
import {
  ADMIN_TOKEN,
  type BotStack,
  OPERATOR_TOKEN,
  startBotStack,
  WEDNESDAY_NOON_MSK,
} from '../support/bot-harness';

/**
 * CSAT surveys end to end: the local stack on a manual clock (its deferred queue running between
 * steps, hop by hop), the chat bot and the mini app API over HTTP, the VK sandbox.
 */
const QUALITY_CHAT = 2000000002;
const DIALOG_ASK = /Обращение [A-Z]-\d+ решено\. Оцените/;

let bot: BotStack;
afterEach(async () => {
  await bot?.close();
});

async function start(environment: Record<string, string> = {}, startAt = WEDNESDAY_NOON_MSK) {
  bot = await startBotStack({
    start: startAt,
    environment: { QUALITY_CHAT_PEER_ID: String(QUALITY_CHAT), ...environment },
  });
  return bot;
}

async function surveysOf(number: string): Promise<SurveyRecord[]> {
  return bot.store.read(async (repositories) => {
    const ticket = await repositories.tickets.getByNumber(number);
    return ticket ? repositories.surveys.listByTicket(ticket.ticketId) : [];
  });
}

const resolve = (number: string, token = OPERATOR_TOKEN) =>
  bot.api('POST', `/api/ops/tickets/${number}/status`, {
    operatorToken: token,
    body: { status: 'resolved' },
  });

const surveyMessages = (userId: number) => bot.sentTo(userId).filter((m) => DIALOG_ASK.test(m.text));

describe('csat: scheduling and sending', () => {
  it('schedules on resolve in the operators’ chat, credits the resolver, and sends after the delay (past one 15-min hop)', async () => {
    await start();
    const { number, card } = await bot.fileTicket(2001);
    await bot.press(1, card, { c: 'op', a: 'take' });
    await bot.press(1, card, { c: 'op', a: 'resolve' });
    const [scheduled] = await surveysOf(number);
    expect(scheduled).toMatchObject({ status: 'scheduled', operatorId: 1, scale: 'five', sentAt: null });
    // Reassigning the resolved ticket later does not move the credit.
    await bot.api('POST', `/api/ops/tickets/${number}/assign`, {
      operatorToken: ADMIN_TOKEN,
      body: { assigneeId: 2 },
    });

    await bot.advance(16 * MINUTE); // one hop made, not yet due
    expect(surveyMessages(2001)).toHaveLength(0);
    await bot.advance(15 * MINUTE);
    const [survey] = surveyMessages(2001);
    expect(survey?.text).toContain(number);
    const buttons = bot.buttonsOf(survey!);
    expect(buttons.map((b) => [b.action.type, b.action.label, b.color])).toEqual([
      ['callback', '😡 1', 'negative'],
      ['callback', '🙁 2', 'negative'],
      ['callback', '😐 3', 'secondary'],
      ['callback', '🙂 4', 'positive'],
      ['callback', '😍 5', 'positive'],
    ]);
    expect((await surveysOf(number))[0]).toMatchObject({ status: 'sent', channel: 'message', operatorId: 1 });
  });

  it('answers a press with a snackbar, edits the survey to the rating, says "already counted" to a second press, and sends no reminder', async () => {
    await start({ CSAT_REVIEW_URL: 'https://vk.com/reviews-100000001' });
    const { number } = await bot.fileTicket(2101);
    await resolve(number);
    await bot.advance(31 * MINUTE);
    const survey = surveyMessages(2101)[0]!;
    await bot.press(2101, survey, { c: 'csat', r: 5 });
    expect(bot.sandbox.eventAnswers.at(-1)?.eventData).toEqual({
      type: 'show_snackbar',
      text: 'Спасибо за оценку!',
    });
    const edited = bot.sandbox.sent.find((m) => m.messageId === survey.messageId)!;
    expect(edited.text).toBe(`Обращение ${number}: ваша оценка — 😍 5. Спасибо!`);
    expect(edited.keyboard).toEqual({ inline: true, buttons: [] });
    expect(bot.lastTo(2101).text).toContain('https://vk.com/reviews-100000001');
    expect((await surveysOf(number))[0]).toMatchObject({ status: 'answered', rating: 5, channel: 'message' });

    // The old keyboard pressed again (a client that hadn't refreshed): counted already, nothing changes.
    const sentBefore = bot.sandbox.sent.length;
    await bot.sandbox.userPressesButton(
      2101,
      { c: 'csat', t: number, n: 1, r: 1 },
      survey.conversationMessageId,
    );
    await bot.settle();
    expect(bot.sandbox.eventAnswers.at(-1)?.eventData).toEqual({
      type: 'show_snackbar',
      text: 'Оценка уже учтена',
    });
    expect(bot.sandbox.sent.length).toBe(sentBefore);
    expect((await surveysOf(number))[0]).toMatchObject({ rating: 5 });

    await bot.advance(2 * DAY);
    expect(bot.sentTo(2101).filter((m) => m.text.includes('Напоминаем'))).toHaveLength(0);
  });

  it('reminds once after 24 h when unanswered, and never again', async () => {
    await start();
    const { number } = await bot.fileTicket(2201);
    await resolve(number);
    await bot.advance(31 * MINUTE);
    expect(surveyMessages(2201)).toHaveLength(1);
    await bot.advance(23 * HOUR);
    const reminders = () => bot.sentTo(2201).filter((m) => m.text.startsWith('Напоминаем'));
    expect(reminders()).toHaveLength(0);
    await bot.advance(HOUR + 15 * MINUTE);
    expect(reminders()).toHaveLength(1);
    expect(bot.payloadsOf(reminders()[0]!)).toContainEqual({ c: 'csat', t: number, n: 1, r: 4 });
    // The timer re-sends hops it thinks were lost; the queue redelivers: still one reminder.
    await bot.stack.queue.send('deferred', {
      body: JSON.stringify({ jobId: `csat-reminder:${(await surveysOf(number))[0]!.surveyId}`, hop: 0 }),
      delaySeconds: 0,
    });
    await bot.advance(3 * DAY);
    expect(reminders()).toHaveLength(1);
    expect((await surveysOf(number))[0]).toMatchObject({ status: 'sent', remindersSent: 1 });
    // A press on the reminder counts like one on the survey.
    await bot.press(2201, reminders()[0]!, { c: 'csat', r: 4 });
    expect((await surveysOf(number))[0]).toMatchObject({ status: 'answered', rating: 4 });
  });

  it('waits out quiet hours: the community default at night, and the user’s own', async () => {
    // 21:50 in Moscow: the survey falls due at 22:20, inside the default 22:00–09:00.
    await start({}, Date.UTC(2026, 10, 18, 18, 50));
    const { number } = await bot.fileTicket(2301);
    await resolve(number);
    await bot.advance(10 * HOUR + 30 * MINUTE); // to 08:20
    expect(surveyMessages(2301)).toHaveLength(0);
    expect((await surveysOf(number))[0]).toMatchObject({ status: 'scheduled' });
    await bot.advance(HOUR); // past 09:00
    expect(surveyMessages(2301)).toHaveLength(1);

    // A user with quiet hours 12:00–15:00 gets it at 15:00, not at 12:50 (next day, noon).
    await bot.advance(2 * HOUR + 40 * MINUTE);
    await bot.api('PUT', '/api/me/preferences', {
      user: 2302,
      body: { quietHours: { from: '12:00', to: '15:00' } },
    });
    const second = await bot.fileTicket(2302);
    await resolve(second.number);
    await bot.advance(2 * HOUR);
    expect(surveyMessages(2302)).toHaveLength(0);
    await bot.advance(HOUR + 15 * MINUTE);
    expect(surveyMessages(2302)).toHaveLength(1);
  });

  it('survives VK failing and the queue redelivering: one survey message', async () => {
    await start();
    const { number } = await bot.fileTicket(2401);
    await resolve(number);
    // The send takes effect but its answer is lost, then VK answers 10 once: the client retries under
    // the same random_id, and the sandbox (like VK) drops the repeat.
    bot.sandbox.injectFault({ method: 'messages.send', error: 'lost_answer', times: 1 });
    bot.sandbox.injectFault({ method: 'messages.send', error: 10, times: 1 });
    await bot.advance(31 * MINUTE);
    const [survey] = await surveysOf(number);
    await bot.stack.queue.send('deferred', {
      body: JSON.stringify({ jobId: survey!.surveyId, hop: 0 }),
      delaySeconds: 0,
    });
    await bot.stack.queue.send('deferred', {
      body: JSON.stringify({ jobId: survey!.surveyId, hop: 1 }),
      delaySeconds: 0,
    });
    await bot.advance(30 * MINUTE);
    expect(surveyMessages(2401)).toHaveLength(1);
    expect(
      bot.sandbox.calls.filter((c) => c.method === 'messages.send' && c.outcome === 'duplicate').length,
    ).toBeGreaterThan(0);
  });
});

describe('csat: cancellation', () => {
  it('drops the survey when the ticket reopens, sends one for the next resolution, and calls an old survey’s press closed', async () => {
    await start();
    const { number } = await bot.fileTicket(2501);
    await resolve(number);
    await bot.advance(10 * MINUTE);
    await bot.says(2501, 'Нет, всё ещё не работает'); // the dialog is with the ticket: reopens it
    expect((await surveysOf(number))[0]).toMatchObject({ status: 'cancelled' });
    await bot.advance(HOUR);
    expect(surveyMessages(2501)).toHaveLength(0);

    await resolve(number);
    await bot.advance(31 * MINUTE);
    expect(surveyMessages(2501)).toHaveLength(1);
    const first = surveyMessages(2501)[0]!;
    expect(bot.payloadsOf(first)).toContainEqual({ c: 'csat', t: number, n: 2, r: 5 });
    // Reopened again after this survey went out: its buttons no longer count.
    await bot.says(2501, 'Опять сломалось');
    await bot.press(2501, first, { c: 'csat', r: 5 });
    expect(bot.sandbox.eventAnswers.at(-1)?.eventData).toEqual({
      type: 'show_snackbar',
      text: 'Этот опрос уже неактуален',
    });
    expect((await surveysOf(number)).map((s) => s.status)).toEqual(['cancelled', 'cancelled']);
  });

  it('drops the survey, its reminder and alert when the user erases their data', async () => {
    await start();
    const { number } = await bot.fileTicket(2601);
    await resolve(number);
    expect((await bot.api('DELETE', '/api/me', { user: 2601 })).status).toBe(200);
    await bot.advance(2 * DAY);
    expect(surveyMessages(2601)).toHaveLength(0);
    const [survey] = await surveysOf(number);
    expect(survey).toMatchObject({ status: 'cancelled', userId: null });
    const job = await bot.store.read((r) => r.jobs.get(survey!.surveyId));
    expect(job?.status).toBe('cancelled');
  });
});

describe('csat: low ratings', () => {
  it('asks why with buttons and alerts the quality lead once, with ticket, category, operator, rating, reason and dialog link', async () => {
    await start();
    const { number, card } = await bot.fileTicket(2701);
    await bot.press(1, card, { c: 'op', a: 'take' });
    await resolve(number, ADMIN_TOKEN); // operator 1 resolves
    await bot.advance(31 * MINUTE);
    await bot.press(2701, surveyMessages(2701)[0]!, { c: 'csat', r: 2 });
    const why = bot.lastTo(2701);
    expect(why.text).toBe('Жаль, что не всё прошло хорошо. Что пошло не так?');
    expect(bot.buttonsOf(why).map((b) => b.action.label)).toEqual([
      'Долго отвечали',
      'Проблема не решена',
      'Невежливо',
      'Другое',
    ]);
    expect(bot.sentTo(QUALITY_CHAT)).toHaveLength(0); // waits for the reason
    await bot.press(2701, why, { c: 'csat_why', w: 'slow' });
    expect(bot.sandbox.eventAnswers.at(-1)?.eventData).toMatchObject({
      text: expect.stringContaining('Спасибо'),
    });
    const alerts = bot.sentTo(QUALITY_CHAT);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.text).toBe(
      [
        '⚠️ Низкая оценка: 🙁 2/5',
        `Обращение: ${number} (Задать вопрос)`,
        'Оператор: User1 Sandbox (id1)',
        'Причина: Долго отвечали',
        'Диалог: https://vk.com/gim100000001?sel=2701',
      ].join('\n'),
    );
    // A second reason press, the reason wait running out, redelivery: still one alert.
    // The reason question was edited (its buttons gone); an old client presses anyway.
    expect(bot.sandbox.sent.find((m) => m.messageId === why.messageId)?.text).toContain('→ Долго отвечали');
    await bot.sandbox.userPressesButton(
      2701,
      { c: 'csat_why', t: number, n: 1, w: 'impolite' },
      why.conversationMessageId,
    );
    await bot.settle();
    expect(bot.sandbox.eventAnswers.at(-1)?.eventData).toMatchObject({ text: 'Причину уже учли, спасибо' });
    await bot.advance(2 * HOUR);
    expect(bot.sentTo(QUALITY_CHAT)).toHaveLength(1);
    expect((await surveysOf(number))[0]).toMatchObject({ rating: 2, reason: 'slow', operatorId: 1 });
  });

  it('takes "other" in the user’s words (length checked), and alerts without a reason when none comes', async () => {
    await start();
    const first = await bot.fileTicket(2801);
    await resolve(first.number);
    await bot.advance(31 * MINUTE);
    await bot.press(2801, surveyMessages(2801)[0]!, { c: 'csat', r: 1 });
    await bot.press(2801, bot.lastTo(2801), { c: 'csat_why', w: 'other' });
    expect(bot.lastTo(2801).text).toContain('Расскажите');
    await bot.says(2801, 'ok');
    expect(bot.lastTo(2801).text).toBe('Напишите чуть подробнее, пожалуйста.');
    await bot.says(2801, 'Оператор ответил не по делу и закрыл обращение');
    expect(bot.lastTo(2801).text).toContain('Передали руководителю');
    // The dialog is still about its ticket: a later message still reaches the operators.
    const dialog = await bot.store.read((r) => r.dialogs.get(2801));
    expect(dialog?.state).not.toBe('csat_reason');
    expect(dialog?.data.ticket).toBe(first.number);
    expect(bot.sentTo(QUALITY_CHAT).at(-1)?.text).toContain(
      'Причина: Другое: «Оператор ответил не по делу и закрыл обращение»',
    );

    const second = await bot.fileTicket(2802);
    await resolve(second.number);
    await bot.advance(31 * MINUTE);
    await bot.press(2802, surveyMessages(2802)[0]!, { c: 'csat', r: 1 });
    expect(bot.sentTo(QUALITY_CHAT)).toHaveLength(1);
    await bot.advance(31 * MINUTE);
    expect(bot.sentTo(QUALITY_CHAT)).toHaveLength(2);
    expect(bot.sentTo(QUALITY_CHAT).at(-1)?.text).toContain('Причина: не указана');
  });

  it('asks 👍/👎 when configured, and 👎 is a low rating', async () => {
    await start({ CSAT_SCALE: 'thumbs' });
    const { number } = await bot.fileTicket(2901);
    await resolve(number);
    await bot.advance(31 * MINUTE);
    const survey = surveyMessages(2901)[0]!;
    expect(bot.buttonsOf(survey).map((b) => [b.action.label, b.color])).toEqual([
      ['👎', 'negative'],
      ['👍', 'positive'],
    ]);
    await bot.press(2901, survey, { c: 'csat', r: 1 });
    expect(bot.sandbox.sent.find((m) => m.messageId === survey.messageId)?.text).toContain(
      'ваша оценка — 👎',
    );
    expect(bot.lastTo(2901).text).toContain('Что пошло не так?');
  });
});

describe('csat: channels', () => {
  it('uses text buttons for a client without callback buttons, answering with a message', async () => {
    await start();
    const textOnly = { buttonActions: ['text'] };
    await bot.says(3001, 'меню', textOnly);
    const pressText = async (payload: Record<string, unknown>, label: string) => {
      await bot.says(3001, label, { ...textOnly, payload });
    };
    await pressText({ c: 'operator' }, 'Оператор');
    await pressText({ c: 'cat', id: 'question' }, 'Вопрос');
    await bot.says(3001, 'Не приходит код подтверждения', textOnly);
    const number = /Обращение ([A-Z]-\d+)/.exec(bot.lastTo(3001).text)![1]!;
    await resolve(number);
    await bot.advance(31 * MINUTE);
    const survey = surveyMessages(3001)[0]!;
    expect(bot.buttonsOf(survey).every((b) => b.action.type === 'text')).toBe(true);
    await pressText({ c: 'csat', t: number, n: 1, r: 4 }, '🙂 4');
    expect(bot.lastTo(3001).text).toBe('Спасибо за оценку!');
    expect((await surveysOf(number))[0]).toMatchObject({ status: 'answered', rating: 4 });
    await pressText({ c: 'csat', t: number, n: 1, r: 4 }, '🙂 4');
    expect(bot.lastTo(3001).text).toBe('Оценка уже учтена');
  });

  it('falls back to a mini app notification that opens the rating screen; the mini app rates once', async () => {
    await start();
    // A mini app user: never wrote to the community, notifications on (launch params).
    const created = await bot.api('POST', '/api/tickets', {
      user: 3101,
      body: { category: 'bug', subject: 'Белый экран', description: 'После обновления белый экран' },
    });
    const number = created.body.number as string;
    await resolve(number);
    const surveyNotifications = () =>
      bot.sandbox.notifications.filter((n) => n.userIds.includes(3101) && n.text.includes('Оцените'));
    // "Resolved" took today's one notification: the survey waits for the next day, after quiet hours.
    expect(bot.sandbox.notifications.filter((n) => n.userIds.includes(3101))).toHaveLength(1);
    await bot.advance(31 * MINUTE);
    expect(surveyNotifications()).toHaveLength(0);
    await bot.advance(20 * HOUR + 45 * MINUTE); // Thursday 09:16 in Moscow
    expect(surveyNotifications()).toHaveLength(1);
    expect(surveyNotifications()[0]).toMatchObject({ fragment: `rate=${number}` });
    expect((await surveysOf(number))[0]).toMatchObject({ status: 'sent', channel: 'notification' });
    const view = await bot.api('GET', `/api/tickets/${number}`, { user: 3101 });
    expect(view.body.rating).toEqual({ value: null, canRate: true });

    const rated = await bot.api('POST', `/api/tickets/${number}/rating`, {
      user: 3101,
      body: { rating: 2, reason: 'not_solved' },
    });
    expect(rated).toMatchObject({ status: 200, body: { rating: 2, reason: 'not_solved' } });
    expect(bot.sentTo(QUALITY_CHAT).at(-1)?.text).toContain('Причина: Проблема не решена');
    const again = await bot.api('POST', `/api/tickets/${number}/rating`, { user: 3101, body: { rating: 5 } });
    expect(again.status).toBe(409);
    expect((await bot.api('GET', `/api/tickets/${number}`, { user: 3101 })).body.rating).toEqual({
      value: 2,
      canRate: false,
    });
    // Bad input changes nothing: a reason for a high rating, a comment without "other".
    const other = await bot.api('POST', '/api/tickets', {
      user: 3101,
      body: { category: 'bug', subject: 'Снова', description: 'Снова белый экран' },
    });
    await resolve(other.body.number);
    for (const body of [
      { rating: 5, reason: 'slow' },
      { rating: 1, reason: 'slow', comment: 'долго' },
    ]) {
      expect(
        (await bot.api('POST', `/api/tickets/${other.body.number}/rating`, { user: 3101, body })).status,
      ).toBe(400);
    }
    // No reminder goes out after a rating.
    await bot.advance(DAY + HOUR);
    expect(bot.sandbox.notifications.filter((n) => n.text.startsWith('Напоминаем'))).toHaveLength(0);
  });

  it('marks the survey unreachable when neither messages nor notifications are allowed', async () => {
    await start();
    const turnedOff = await bot.api('PUT', '/api/me/preferences', {
      user: 3201,
      body: { notificationTypes: { ticketUpdates: false } },
    });
    expect(turnedOff.status).toBe(200);
    const created = await bot.api('POST', '/api/tickets', {
      user: 3201,
      body: { category: 'bug', subject: 'Не грузится', description: 'Лента не грузится' },
    });
    await resolve(created.body.number);
    await bot.advance(31 * MINUTE);
    expect((await surveysOf(created.body.number))[0]).toMatchObject({ status: 'unreachable', sentAt: null });
    // The mini app can still rate it.
    const rated = await bot.api('POST', `/api/tickets/${created.body.number}/rating`, {
      user: 3201,
      body: { rating: 5 },
    });
    expect(rated.status).toBe(200);
  });
});

describe('csat: reports and poison jobs', () => {
  it('reports average, distribution, response rate by operator, category and week, and the worst reasons', async () => {
    await start();
    const rate = async (userId: number, rating: number, reason?: 'slow' | 'impolite') => {
      const { number } = await bot.fileTicket(userId);
      await resolve(number, userId % 2 ? ADMIN_TOKEN : OPERATOR_TOKEN);
      await bot.advance(31 * MINUTE);
      if (rating === 0) return;
      await bot.press(userId, surveyMessages(userId)[0]!, { c: 'csat', r: rating });
      if (reason) await bot.press(userId, bot.lastTo(userId), { c: 'csat_why', w: reason });
    };
    await rate(3301, 5);
    await rate(3302, 4);
    await rate(3303, 1, 'slow');
    await rate(3304, 2, 'slow');
    await rate(3305, 2, 'impolite');
    await rate(3306, 0); // never answers
    const stats = await bot.api('GET', '/api/ops/stats', { operatorToken: ADMIN_TOKEN });
    expect(stats.status).toBe(200);
    const { csat } = stats.body;
    expect(csat).toMatchObject({
      sent: 6,
      answered: 5,
      responseRate: 0.833,
      average: 2.8,
      satisfied: 0.4,
      distribution: { 1: 1, 2: 2, 4: 1, 5: 1 },
      lowRatings: 3,
      worstReasons: [
        { reason: 'slow', count: 2, share: 0.667 },
        { reason: 'impolite', count: 1, share: 0.333 },
      ],
    });
    expect(csat.byOperator['1']).toMatchObject({ sent: 3, answered: 3, average: 2.67 }); // 5, 1, 2
    expect(csat.byOperator['2']).toMatchObject({ sent: 3, answered: 2, average: 3 }); // 4, 2, —
    expect(Object.keys(csat.byCategory)).toEqual(['question']);
    expect(Object.keys(csat.byWeek)).toEqual(['2026-W47']);
  });

  it('dead-letters a survey job VK keeps refusing, with its reason logged, and sends nothing twice', async () => {
    await start();
    const { number } = await bot.fileTicket(3401);
    await resolve(number);
    bot.sandbox.injectFault({ method: 'messages.send', error: 9, times: 50 });
    await bot.advance(31 * MINUTE);
    for (let i = 0; i < 8; i++) await bot.advance(MINUTE); // redeliveries after the visibility timeout
    expect(bot.lines.some((l) => l.includes('deferred job dead-lettered') && l.includes('csat:'))).toBe(true);
    expect(bot.lines.find((l) => l.includes('deferred job dead-lettered'))).toMatch(
      /"reason":"[^"]*[Ff]lood/,
    );
    expect(surveyMessages(3401)).toHaveLength(0);
    bot.sandbox.faults.length = 0;
    await bot.advance(HOUR);
    expect(surveyMessages(3401)).toHaveLength(0); // given up: never sent late, never twice
  });
});
