import { dayOf, markActive } from '../../lib/analytics/activity';
import { typedNpsScoreOf } from '../../lib/bot/flows/nps';
import { DAY, MINUTE } from '../../lib/clock';
import { claimMarketingMessage } from '../../lib/journeys/message-cap';
import { createLogger } from '../../lib/log/logger';
import type { NpsSurveyResult } from '../../lib/nps/survey';
import { npsSurveyClaimKey, npsSurveyProblem, runNpsSurvey } from '../../lib/nps/survey';
import { newUserRecord } from '../../lib/users/account';
import { type BotStack, startBotStack, WEDNESDAY_NOON_MSK } from '../support/bot-harness';

jest.setTimeout(60_000);

const DAY_OF_RUN = '2026-11-18';
const SURVEY_TEXT = 'Насколько вероятно, что вы порекомендуете нас друзьям? Оцените от 0 до 10.';

describe('who the NPS survey asks, and what counts as a typed score', () => {
  const settings = { timezone: 'Europe/Moscow', defaultQuietHours: { from: '22:00', to: '09:00' } };
  const user = newUserRecord(1, WEDNESDAY_NOON_MSK - 10 * DAY, { messagesAllowed: true });
  const candidate = { user, askedAt: null, latest: null, dialog: null };

  it("skips quiet hours (in the user's own zone) and a dialog an operator is in", () => {
    expect(npsSurveyProblem(candidate, WEDNESDAY_NOON_MSK, settings)).toBeNull();
    // 12:00 in Moscow is 04:00 in New York: within the default quiet hours there.
    const newYorker = { ...candidate, user: { ...user, timezone: 'America/New_York' } };
    expect(npsSurveyProblem(newYorker, WEDNESDAY_NOON_MSK, settings)).toBe('quiet_hours');
    const withOperator = {
      ...candidate,
      dialog: {
        peerId: 1,
        userId: 1,
        state: 'with_operator',
        data: {},
        operatorSilentUntil: WEDNESDAY_NOON_MSK + MINUTE,
        updatedAt: WEDNESDAY_NOON_MSK,
      },
    };
    expect(npsSurveyProblem(withOperator, WEDNESDAY_NOON_MSK, settings)).toBe('with_operator');
    const askedLongAgo = { ...candidate, askedAt: WEDNESDAY_NOON_MSK - 91 * DAY };
    expect(npsSurveyProblem(askedLongAgo, WEDNESDAY_NOON_MSK, settings)).toBeNull();
  });

  it('reads 0–10 alone or out of ten, and nothing else', () => {
    expect(['0', '7', '10', ' 9 ', '7/10', '8 из 10', '10!'].map(typedNpsScoreOf)).toEqual([
      0, 7, 10, 9, 7, 8, 10,
    ]);
    expect(['11', '-1', '7.5', 'семь', '', '5 из 5'].map(typedNpsScoreOf)).toEqual([
      null,
      null,
      null,
      null,
      null,
      null,
    ]);
  });
});

describe('the NPS survey in the community chat', () => {
  let bot: BotStack;
  beforeEach(async () => {
    // 12:00 in Moscow: out of the default quiet hours. No campaigns: the survey alone writes.
    bot = await startBotStack({ start: WEDNESDAY_NOON_MSK, campaigns: [] });
  });
  afterEach(async () => {
    await bot.close();
  });

  /** An app event `daysAgo` days back, through the API (it keeps the user's daily activity record). */
  const activeInApp = async (userId: number, daysAgo = 1) => {
    const at = new Date(bot.clock.now() - daysAgo * DAY).toISOString();
    const response = await bot.api('POST', '/api/events', {
      user: userId,
      body: { events: [{ id: `open-${userId}-${daysAgo}`, name: 'app_open', at }] },
    });
    expect(response.status).toBe(202);
  };
  const latest = (userId: number) => bot.store.read((r) => r.nps.latestByUser(userId));
  const askedAt = (userId: number) => bot.store.read((r) => r.nps.askedAt(userId));
  const surveysTo = (userId: number) => bot.sentTo(userId).filter((message) => message.text === SURVEY_TEXT);
  const fire = async () => {
    const result = (await bot.stack.fireDispatcher()) as { npsSurvey?: NpsSurveyResult };
    await bot.settle();
    return result.npsSurvey;
  };

  it('asks an active user who allows messages once, and nobody it must not', async () => {
    const asked = 7001;
    const notAllowing = 7002;
    const askedLastMonth = 7003;
    const answeredInApp = 7004;
    const inactive = 7005;
    const capSpent = 7006;
    const mailedToday = 7007;
    for (const userId of [asked, notAllowing, askedLastMonth, answeredInApp, capSpent, mailedToday])
      await activeInApp(userId);
    // Last seen 40 days ago (older than the API takes events): its activity record directly.
    const fortyDaysAgo = dayOf(bot.clock.now(), 'Europe/Moscow') - 40;
    await bot.store.transaction(async (r) =>
      r.activity.put(markActive(null, inactive, [fortyDaysAgo], bot.clock.now())!),
    );
    // Writing to the community allows its messages.
    for (const userId of [asked, askedLastMonth, answeredInApp, inactive, capSpent, mailedToday])
      await bot.says(userId, 'привет');
    const now = bot.clock.now();
    await bot.store.transaction(async (r) => {
      await r.nps.markAsked(askedLastMonth, now - 30 * DAY);
      // Today's marketing message went to a journey already.
      await claimMarketingMessage(r, capSpent, now, 1, 'journey:welcome:7006:run:0');
      // Today's plan has a daily campaign's community message for them, sent later than the survey
      // would go: the survey leaves them the day's marketing message.
      await r.deliveries.plan({
        userId: mailedToday,
        campaign: 'digest',
        day: DAY_OF_RUN,
        variant: 'a',
        status: 'planned',
        detail: null,
        text: 'Новое за неделю',
        channel: 'message',
        slot: null,
        sendKey: null,
        plannedAt: now,
        claimedAt: null,
        openedAt: null,
        returnedAt: null,
        goalAt: null,
        updatedAt: now,
      });
    });
    const answer = await bot.api('POST', '/api/me/nps', { user: answeredInApp, body: { score: 8 } });
    expect(answer.status).toBe(201);
    await bot.advance(MINUTE);

    const survey = await fire();
    expect(survey).toMatchObject({ day: DAY_OF_RUN, started: true, report: { asked: 1 } });
    expect(survey?.report?.skipped).toMatchObject({
      consent: 1,
      asked_recently: 1,
      answered_recently: 1,
      daily_cap: 1,
      campaign_message_today: 1,
    });
    expect(surveysTo(asked)).toHaveLength(1);
    for (const userId of [notAllowing, askedLastMonth, answeredInApp, inactive, capSpent, mailedToday])
      expect(surveysTo(userId)).toEqual([]);
    expect(await askedAt(asked)).toBe(bot.clock.now());
    // Skipped for the cap: not marked asked, so a later day asks them.
    expect(await askedAt(capSpent)).toBeNull();
    expect(await askedAt(askedLastMonth)).toBe(now - 30 * DAY);

    // Eleven scores do not fit an inline keyboard (VK: 10): a normal one, 4/4/3, callback buttons.
    const message = bot.lastTo(asked);
    expect(message.keyboard).toMatchObject({ one_time: true });
    const rows = (message.keyboard as { buttons: Array<Array<{ action: { type: string; label: string } }>> })
      .buttons;
    expect(rows.map((row) => row.map((button) => button.action.label))).toEqual([
      ['0', '1', '2', '3'],
      ['4', '5', '6', '7'],
      ['8', '9', '10'],
    ]);
    expect(rows.flat().every((button) => button.action.type === 'callback')).toBe(true);
    expect(bot.payloadsOf(message)[7]).toEqual({ c: 'nps', s: 7 });

    // The timer fires again the same day: the day's claim makes it a no-op.
    expect(await fire()).toEqual({ day: DAY_OF_RUN, started: false });
    // Even a run past the claim (it expired) sends nothing twice: the ask and its job are keyed per day.
    await bot.store.transaction((r) =>
      r.claims.put({ key: npsSurveyClaimKey(DAY_OF_RUN), value: {}, createdAt: now, expiresAt: now }),
    );
    const again = await runNpsSurvey({
      store: bot.store,
      clock: bot.clock,
      logger: createLogger({ level: 'error', sink: () => {} }),
      settings: { dailyLimit: 200, messagesDailyCap: 1, timezone: 'Europe/Moscow', defaultQuietHours: null },
      dispatch: async () => {},
    });
    expect(again.started).toBe(true);
    await bot.settle();
    expect(surveysTo(asked)).toHaveLength(1);
    expect(bot.sentTo(capSpent).filter((m) => m.text === SURVEY_TEXT)).toEqual([]);
  });

  it('stores a pressed score from the bot, then the words behind it, and a second press replaces the score', async () => {
    const userId = 7101;
    await activeInApp(userId);
    await bot.says(userId, 'привет');
    await bot.advance(MINUTE);
    await fire();
    const survey = bot.lastTo(userId);
    expect(survey.text).toBe(SURVEY_TEXT);

    await bot.press(userId, survey, { c: 'nps', s: 9 });
    expect(await latest(userId)).toMatchObject({ score: 9, source: 'bot', comment: null });
    expect(bot.sandbox.eventAnswers.at(-1)?.eventData).toEqual({
      type: 'show_snackbar',
      text: 'Спасибо за оценку!',
    });
    const followUp = bot.lastTo(userId);
    // A promoter is asked what they like; the reply hides the survey's keyboard.
    expect(followUp.text).toBe(
      'Спасибо за оценку: 9\n\nЧто вам нравится больше всего? Напишите одним сообщением.',
    );
    expect(followUp.keyboard).toEqual({ buttons: [] });

    await bot.says(userId, 'Быстро отвечают в поддержке');
    expect(await latest(userId)).toMatchObject({ score: 9, comment: 'Быстро отвечают в поддержке' });
    expect(bot.lastTo(userId).text).toBe('Спасибо, что поделились! Мы читаем каждый ответ.');

    // The old survey pressed again: the score changes, the words stay, one answer is kept.
    await bot.press(userId, survey, { c: 'nps', s: 10 });
    expect(await latest(userId)).toMatchObject({ score: 10, comment: 'Быстро отвечают в поддержке' });
    expect(await bot.store.read((r) => r.nps.listByUser(userId, 10))).toHaveLength(1);
    expect(bot.lastTo(userId).text).toBe('Оценка изменена: 10. Спасибо!');

    // After the NPS period the survey is closed: thanked for, nothing changes, no error.
    bot.clock.advance(91 * DAY);
    await bot.press(userId, survey, { c: 'nps', s: 3 });
    expect(await latest(userId)).toMatchObject({ score: 10 });
    expect(bot.sandbox.eventAnswers.at(-1)?.eventData).toEqual({
      type: 'show_snackbar',
      text: 'Этот опрос уже закрыт — спасибо!',
    });
  });

  it('takes a typed score while the survey is open, and "меню" leaves the follow-up question', async () => {
    const userId = 7201;
    await activeInApp(userId);
    await bot.says(userId, 'привет');
    await bot.advance(MINUTE);
    await fire();
    expect(bot.lastTo(userId).text).toBe(SURVEY_TEXT);

    // Off the scale: the scale again, nothing stored, the survey still open.
    await bot.says(userId, '11');
    expect(bot.lastTo(userId).text).toBe(
      'Ответьте цифрой от 0 (точно нет) до 10 (обязательно порекомендую).',
    );
    expect(await latest(userId)).toBeNull();

    await bot.says(userId, '7');
    expect(await latest(userId)).toMatchObject({ score: 7, source: 'bot', comment: null });
    expect(bot.lastTo(userId).text).toBe(
      'Спасибо за оценку: 7\n\nЧто нам стоит улучшить? Напишите одним сообщением.',
    );
    await bot.says(userId, 'меню');
    expect(bot.payloadsOf(bot.lastTo(userId))).toContainEqual({ c: 'faq' });
    // Words after the menu are no comment any more.
    await bot.says(userId, 'Сделайте тёмную тему');
    expect(await latest(userId)).toMatchObject({ score: 7, comment: null });
  });

  it('lets a client without callback buttons press text buttons, and the words wait 30 minutes only', async () => {
    const userId = 7301;
    await activeInApp(userId);
    await bot.says(userId, 'привет', { buttonActions: ['text', 'open_link'] });
    await bot.advance(MINUTE);
    await fire();
    const survey = bot.lastTo(userId);
    expect(bot.buttonsOf(survey).every((button) => button.action.type === 'text')).toBe(true);

    await bot.press(userId, survey, { c: 'nps', s: 4 });
    expect(await latest(userId)).toMatchObject({ score: 4, source: 'bot' });
    expect(bot.lastTo(userId).text).toContain('Что нам стоит улучшить?');
    await bot.advance(31 * MINUTE);
    await bot.says(userId, 'Долго грузится лента');
    expect(await latest(userId)).toMatchObject({ score: 4, comment: null });
  });

  it('asks no more than the daily limit, and none when it is 0', async () => {
    await bot.close();
    bot = await startBotStack({
      start: WEDNESDAY_NOON_MSK,
      campaigns: [],
      environment: { NPS_SURVEY_DAILY_LIMIT: '2' },
    });
    for (const userId of [7401, 7402, 7403]) {
      await activeInApp(userId);
      await bot.says(userId, 'привет');
    }
    await bot.advance(MINUTE);
    expect((await fire())?.report?.asked).toBe(2);
    expect([7401, 7402, 7403].filter((userId) => surveysTo(userId).length === 1)).toHaveLength(2);

    await bot.close();
    bot = await startBotStack({
      start: WEDNESDAY_NOON_MSK,
      campaigns: [],
      environment: { NPS_SURVEY_DAILY_LIMIT: '0' },
    });
    await activeInApp(7501);
    await bot.says(7501, 'привет');
    expect(await fire()).toEqual({ day: DAY_OF_RUN, started: false });
    expect(surveysTo(7501)).toEqual([]);
  });
});
