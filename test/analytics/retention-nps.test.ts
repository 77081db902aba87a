import {
  activeDaysOf,
  backfillActivity,
  dateOfDay,
  dayOf,
  dayOfDate,
  markActive,
} from '../../lib/analytics/activity';
import { summariseNps } from '../../lib/analytics/nps';
import { SqliteStore } from '../../lib/storage/sqlite/store';
import { newUserRecord } from '../../lib/users/account';
import { type BotStack, OPERATOR_TOKEN, startBotStack, WEDNESDAY_NOON_MSK } from '../support/bot-harness';

jest.setTimeout(60_000);

describe('the daily activity record', () => {
  it('marks local days in a bitmap, moving its start back for a late event, and writes nothing for a known day', () => {
    const day = dayOfDate('2026-11-08');
    const first = markActive(null, 7, [day], 1)!;
    expect(first).toMatchObject({ firstDay: day, lastDay: day });
    expect(markActive(first, 7, [day], 2)).toBeNull();
    const earlier = markActive(first, 7, [dayOfDate('2026-11-01'), dayOfDate('2026-11-02')], 3)!;
    expect(activeDaysOf(earlier).map(dateOfDay)).toEqual(['2026-11-01', '2026-11-02', '2026-11-08']);
    expect(earlier).toMatchObject({ firstDay: dayOfDate('2026-11-01'), lastDay: day });
    // 01:30 in Moscow on the 3rd is still the 2nd in UTC: the community's timezone decides.
    expect(dateOfDay(dayOf(Date.parse('2026-11-02T22:30:00Z'), 'Europe/Moscow'))).toBe('2026-11-03');
    expect(dayOfDate('2026-02-30')).toBeNaN();
  });
});

describe('db:backfill-activity', () => {
  it('builds the records of users whose events came before the record, merging and idempotent', async () => {
    const store = new SqliteStore(':memory:');
    const now = Date.parse('2026-11-18T09:00:00Z');
    const event = (userId: number, eventId: string, at: string) => ({
      userId,
      eventId,
      name: 'app_open',
      occurredAt: Date.parse(at),
      screen: null,
      props: {},
    });
    await store.transaction(async (r) => {
      for (const userId of [11, 12, 13]) await r.users.put(newUserRecord(userId, now));
      await r.events.append([
        event(11, 'a', '2026-11-01T09:00:00Z'),
        event(11, 'b', '2026-11-01T10:00:00Z'),
        event(11, 'c', '2026-11-03T22:30:00Z'), // the 4th in Moscow
        event(12, 'a', '2026-11-10T09:00:00Z'),
      ]);
      // 12 already has a record from the new code path: the backfill adds to it.
      await r.activity.put(markActive(null, 12, [dayOfDate('2026-11-17')], now)!);
    });
    const options = { timezone: 'Europe/Moscow', now, batch: 2 };
    expect(await backfillActivity(store, options)).toEqual({ users: 3, written: 2 });
    const days = async (userId: number) =>
      activeDaysOf((await store.read((r) => r.activity.get(userId)))!).map(dateOfDay);
    expect(await days(11)).toEqual(['2026-11-01', '2026-11-04']);
    expect(await days(12)).toEqual(['2026-11-10', '2026-11-17']);
    expect(await store.read((r) => r.activity.get(13))).toBeNull();
    // Run again: nothing to write.
    expect(await backfillActivity(store, options)).toEqual({ users: 3, written: 0 });
    await store.close();
  });
});

describe('NPS', () => {
  it('is % promoters − % detractors, rounded: 10, 9, 7, 3 give 25', () => {
    expect(summariseNps([10, 9, 7, 3])).toEqual({
      score: 25,
      responses: 4,
      promoters: 2,
      passives: 1,
      detractors: 1,
    });
    expect(summariseNps([])).toEqual({ score: null, responses: 0, promoters: 0, passives: 0, detractors: 0 });
    // −12.5 rounds away from zero, as +12.5 does.
    expect(summariseNps([0, 8, 8, 8, 8, 8, 8, 8]).score).toBe(-13);
    expect(summariseNps([10, 8, 8, 8, 8, 8, 8, 8]).score).toBe(13);
  });
});

describe('retention and NPS through the API', () => {
  let bot: BotStack;
  beforeEach(async () => {
    bot = await startBotStack({ start: WEDNESDAY_NOON_MSK }); // 2026-11-18 12:00 Moscow
  });
  afterEach(async () => {
    await bot.close();
  });

  /** Noon in Moscow (09:00 UTC) of a date, unless a full instant is given. */
  const at = (date: string) => (date.includes('T') ? date : `${date}T09:00:00Z`);
  const activeOn = async (userId: number, ...dates: string[]) => {
    const response = await bot.api('POST', '/api/events', {
      user: userId,
      body: {
        events: dates.map((date, index) => ({ id: `e-${userId}-${index}`, name: 'app_open', at: at(date) })),
      },
    });
    expect(response.status).toBe(202);
  };
  const ops = (path: string) => bot.api('GET', path, { operatorToken: OPERATOR_TOKEN });

  it('gives cohorts by first active day (d1, d7, d30, null while ahead) and DAU/WAU/MAU with stickiness', async () => {
    // Sent out of order, in two batches: the record moves its start back.
    await activeOn(9001, '2026-11-08');
    await activeOn(9001, '2026-11-01', '2026-11-02');
    await activeOn(9002, '2026-11-01');
    // 01:30 Moscow on the 3rd.
    await activeOn(9003, '2026-11-02', '2026-11-02T22:30:00Z');
    await activeOn(9004, '2026-11-10', '2026-11-17');

    const response = await ops('/api/ops/metrics/retention?from=2026-11-01&to=2026-11-18');
    expect(response.status).toBe(200);
    const { cohorts, active } = response.body as {
      cohorts: Array<Record<string, unknown>>;
      active: Array<Record<string, unknown>>;
    };
    expect(cohorts).toHaveLength(18);
    const cohort = (date: string) => cohorts.find((row) => row.date === date);
    expect(cohort('2026-11-01')).toEqual({ date: '2026-11-01', users: 2, d1: 0.5, d7: 0.5, d30: null });
    expect(cohort('2026-11-02')).toEqual({ date: '2026-11-02', users: 1, d1: 1, d7: 0, d30: null });
    expect(cohort('2026-11-10')).toEqual({ date: '2026-11-10', users: 1, d1: 0, d7: 1, d30: null });
    expect(cohort('2026-11-17')).toEqual({ date: '2026-11-17', users: 0, d1: null, d7: null, d30: null });
    // Today's cohort: day 1 is still ahead.
    expect(cohort('2026-11-18')?.d1).toBeNull();
    // A range past today ends today: the days ahead have no rows.
    const ahead = await ops('/api/ops/metrics/retention?from=2026-11-17&to=2026-11-25');
    expect(ahead.body.active.map((row: { date: string }) => row.date)).toEqual(['2026-11-17', '2026-11-18']);
    expect((await ops('/api/ops/metrics/retention?from=2026-11-20&to=2026-11-25')).body).toEqual({
      cohorts: [],
      active: [],
    });

    const day = (date: string) => active.find((row) => row.date === date);
    expect(day('2026-11-08')).toEqual({ date: '2026-11-08', dau: 1, wau: 2, mau: 3, stickiness: 0.3333 });
    expect(day('2026-11-17')).toEqual({ date: '2026-11-17', dau: 1, wau: 1, mau: 4, stickiness: 0.25 });
    expect(day('2026-11-03')).toMatchObject({ dau: 1, wau: 3, mau: 3 });

    // A later range still counts the days before it: 9004 within the week, all four within the month.
    bot.clock.advance(2 * 24 * 3600_000);
    const later = await ops('/api/ops/metrics/retention?from=2026-11-20&to=2026-11-20');
    expect(later.body.active).toEqual([{ date: '2026-11-20', dau: 0, wau: 1, mau: 4, stickiness: 0 }]);
  });

  it('refuses a range it cannot read, and needs an operator', async () => {
    for (const query of [
      'from=2026-11-10&to=2026-11-01',
      'from=2025-01-01&to=2026-11-18',
      'from=2026-13-01',
    ]) {
      const response = await ops(`/api/ops/metrics/retention?${query}`);
      expect(response.status).toBe(400);
      expect((await ops(`/api/ops/metrics/nps?${query}`)).status).toBe(400);
    }
    // Every report takes at most 366 days, and no year before 1970 (which JavaScript reads as 19xx).
    for (const path of ['retention', 'nps', 'support', 'nps/comments']) {
      expect((await ops(`/api/ops/metrics/${path}?from=2025-11-17&to=2026-11-17`)).status).toBe(200);
      expect((await ops(`/api/ops/metrics/${path}?from=2025-11-17&to=2026-11-18`)).status).toBe(400);
      expect((await ops(`/api/ops/metrics/${path}?from=0001-01-01&to=0001-01-02`)).status).toBe(400);
    }
    expect((await ops('/api/ops/stats?from=2025-11-17&to=2026-11-18')).status).toBe(400);
    expect((await bot.api('GET', '/api/ops/metrics/retention')).status).toBe(401);
  });

  it('takes answers from the mini app, one per user per 90 days, and scores them: 10, 9, 7, 3 give 25', async () => {
    for (const [userId, score] of [
      [9101, 10],
      [9102, 9],
      [9103, 7],
      [9104, 3],
    ] as const) {
      const answer = await bot.api('POST', '/api/me/nps', { user: userId, body: { score } });
      expect(answer.status).toBe(201);
      expect(answer.body).toMatchObject({ score, source: 'app', replaced: false, comment: null });
    }
    expect((await ops('/api/ops/metrics/nps')).body).toMatchObject({
      score: 25,
      responses: 4,
      promoters: 2,
      passives: 1,
      detractors: 1,
    });
    // The detractor changes their mind a day later: their answer is replaced, not added.
    bot.clock.advance(24 * 3600_000);
    const again = await bot.api('POST', '/api/me/nps', {
      user: 9104,
      body: { score: 8, comment: '  Стало лучше  ' },
    });
    expect(again).toMatchObject({ status: 200, body: { replaced: true, comment: 'Стало лучше' } });
    // A new score without words keeps the words it replaces.
    const rescored = await bot.api('POST', '/api/me/nps', { user: 9104, body: { score: 9 } });
    expect(rescored).toMatchObject({ status: 200, body: { score: 9, comment: 'Стало лучше' } });
    await bot.api('POST', '/api/me/nps', { user: 9104, body: { score: 8 } });
    bot.clock.advance(60_000);
    await bot.api('POST', '/api/me/nps', { user: 9102, body: { score: 9, comment: 'Удобно' } });
    // The words, oldest first, a page at a time.
    const first = await ops('/api/ops/metrics/nps/comments?limit=1');
    expect(first.status).toBe(200);
    expect(first.body.comments).toEqual([
      expect.objectContaining({ userId: 9104, score: 8, comment: 'Стало лучше', source: 'app' }),
    ]);
    const second = await ops(`/api/ops/metrics/nps/comments?limit=1&cursor=${first.body.nextCursor}`);
    expect(second.body.comments).toEqual([expect.objectContaining({ userId: 9102, comment: 'Удобно' })]);
    const last = await ops(`/api/ops/metrics/nps/comments?limit=1&cursor=${second.body.nextCursor}`);
    expect(last.body).toEqual({ comments: [], nextCursor: null });
    expect((await ops('/api/ops/metrics/nps/comments?cursor=abc')).status).toBe(400);
    expect((await ops('/api/ops/metrics/nps')).body).toMatchObject({
      score: 50,
      responses: 4,
      detractors: 0,
    });
    // Only the range's answers: none in October.
    expect((await ops('/api/ops/metrics/nps?from=2026-10-01&to=2026-10-31')).body).toMatchObject({
      score: null,
      responses: 0,
    });

    for (const body of [{ score: 11 }, { score: 7.5 }, { score: '9' }, {}, { score: 9, extra: 1 }]) {
      const refused = await bot.api('POST', '/api/me/nps', { user: 9105, body });
      expect(refused.status).toBe(400);
    }
    expect(await bot.store.read((r) => r.nps.latestByUser(9105))).toBeNull();
  });
});
