import { CONTROL } from '../../lib/campaigns/campaign';
import { HOUR, MINUTE } from '../../lib/clock';
import { shippedJourneys } from '../../lib/journeys/definition';
import { isJourneyClick } from '../../lib/journeys/goals';
import { assignJourneyVariant } from '../../lib/journeys/variant';
import type { JourneyRunRecord } from '../../lib/storage/port';
import { type BotStack, OPERATOR_TOKEN, startBotStack, WEDNESDAY_NOON_MSK } from '../support/bot-harness';

jest.setTimeout(120_000);

const journey = (id: string) => shippedJourneys().find((candidate) => candidate.id === id)!;

/** The first `count` user ids from `from` on that the journey puts in `group`. */
function usersIn(id: string, group: string, count: number, from: number): number[] {
  const found: number[] = [];
  for (let userId = from; found.length < count; userId++)
    if (assignJourneyVariant(journey(id), userId) === group) found.push(userId);
  return found;
}

async function logEvent(harness: BotStack, userId: number, id: string, name: string) {
  const response = await harness.api('POST', '/api/events', {
    user: userId,
    body: { events: [{ id, name, at: new Date(harness.clock.now()).toISOString() }] },
  });
  expect(response.status).toBe(202);
}

const runOf = async (harness: BotStack, id: string, userId: number): Promise<JourneyRunRecord | undefined> =>
  (await harness.store.read((r) => r.journeys.listByUser(userId, id, { since: 0, limit: 10 })))[0];

/** The one variant of a journey that has no A/B test. */
const ONLY = 'a';

describe('journeys: control group and variant assignment', () => {
  it('is stable per (user, journey), holds out about the control share of 10 000 users and splits the rest by weight', () => {
    const quiz = journey('quiz-dropout');
    expect(quiz.controlPercent).toBe(10);
    expect(quiz.variants.map((variant) => [variant.id, variant.weight])).toEqual([
      ['a', 1],
      ['b', 1],
    ]);
    const counts = new Map<string, number>();
    for (let userId = 1; userId <= 10_000; userId++) {
      const group = assignJourneyVariant(quiz, userId);
      expect(assignJourneyVariant(quiz, userId)).toBe(group);
      counts.set(group, (counts.get(group) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual(['a', 'b', CONTROL]);
    expect(counts.get(CONTROL)! / 10_000).toBeGreaterThan(0.09);
    expect(counts.get(CONTROL)! / 10_000).toBeLessThan(0.11);
    for (const variant of ['a', 'b']) {
      expect(counts.get(variant)! / 10_000).toBeGreaterThan(0.42);
      expect(counts.get(variant)! / 10_000).toBeLessThan(0.48);
    }
    // No control share: everybody is in a variant.
    const controlUser = usersIn('quiz-dropout', CONTROL, 1, 1)[0]!;
    expect(['a', 'b']).toContain(assignJourneyVariant({ ...quiz, controlPercent: 0 }, controlUser));
  });

  it("tells the step's own click from a goal, as campaigns do", () => {
    const open = { name: 'notification_open', occurredAt: 1_000_000, props: { journey: 'quiz-dropout' } };
    const launch = { name: 'app_open', occurredAt: 1_000_500, props: {} };
    const later = { name: 'app_open', occurredAt: 1_000_000 + 5 * MINUTE, props: {} };
    expect(isJourneyClick('quiz-dropout', open, [open])).toBe(true);
    expect(isJourneyClick('quiz-dropout', launch, [open, launch])).toBe(true);
    expect(isJourneyClick('quiz-dropout', later, [open, later])).toBe(false);
    expect(isJourneyClick('ticket-form-abandoned', launch, [open, launch])).toBe(false);
  });
});

describe('journeys: control group, goals and results through the local stack', () => {
  let harness: BotStack;
  beforeEach(async () => {
    harness = await startBotStack({ start: WEDNESDAY_NOON_MSK });
  });
  afterEach(async () => {
    await harness.close();
  });

  it('control users get nothing and are counted; goals within 48 h count per group, later ones do not; results show the uplift with its interval', async () => {
    const treated = usersIn('quiz-dropout', 'a', 3, 8100);
    const otherText = usersIn('quiz-dropout', 'b', 2, 8100);
    const control = usersIn('quiz-dropout', CONTROL, 2, 8100);
    for (const userId of [...treated, ...otherText, ...control])
      await logEvent(harness, userId, `start-${userId}`, 'quiz_start');
    await harness.advance(65 * MINUTE);

    // Each variant's users get that variant's own text (where it says so, its deep link too).
    const notified = (userId: number) =>
      harness.sandbox.notifications.filter((call) => call.userIds.includes(userId));
    for (const [variant, users, words] of [
      ['a', treated, 'остановились на середине квиза'],
      ['b', otherText, 'квиз ждёт вас'],
    ] as const) {
      for (const userId of users) {
        expect(notified(userId)).toHaveLength(1);
        expect(notified(userId)[0]!.text).toContain(words);
        expect(notified(userId)[0]!.fragment).toContain(`journey=quiz-dropout&variant=${variant}&step=0`);
        expect(await runOf(harness, 'quiz-dropout', userId)).toMatchObject({ variant, status: 'completed' });
      }
    }
    for (const userId of control) {
      expect(harness.sandbox.notifications.filter((call) => call.userIds.includes(userId))).toEqual([]);
      expect(harness.sentTo(userId)).toEqual([]);
      const run = await runOf(harness, 'quiz-dropout', userId);
      expect(run).toMatchObject({ variant: CONTROL, status: 'completed', goalAt: null });
      expect(run?.outcomes).toEqual([
        expect.objectContaining({ step: 0, outcome: 'control', channel: null }),
      ]);
    }

    // Within the window: one treated user and one control user finish the quiz.
    await harness.advance(HOUR);
    await logEvent(harness, treated[0]!, 'finish-t0', 'quiz_finish');
    await logEvent(harness, control[0]!, 'finish-c0', 'quiz_finish');
    // After it (more than 48 h after the start): no goal.
    await harness.advance(48 * HOUR);
    await logEvent(harness, treated[1]!, 'finish-t1', 'quiz_finish');

    expect((await runOf(harness, 'quiz-dropout', treated[0]!))?.goalAt).not.toBeNull();
    expect((await runOf(harness, 'quiz-dropout', control[0]!))?.goalAt).not.toBeNull();
    expect((await runOf(harness, 'quiz-dropout', treated[1]!))?.goalAt).toBeNull();

    const answer = await harness.api('GET', '/api/ops/campaigns/quiz-dropout/results', {
      operatorToken: OPERATOR_TOKEN,
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      kind: 'journey',
      campaign: 'quiz-dropout',
      goal: { event: 'quiz_finish', withinHours: 48 },
    });
    const byGroup = new Map(
      (answer.body.variants as Array<Record<string, unknown>>).map((entry) => [entry.variant, entry]),
    );
    expect(byGroup.get(CONTROL)).toMatchObject({
      assigned: 2,
      reached: 0,
      conversions: 1,
      conversionRate: 0.5,
      uplift: null,
      steps: [{ step: 0, sent: 0, capped: 0, skipped: 0, exited: 0, failed: 0, control: 2 }],
    });
    expect(byGroup.get('b')).toMatchObject({ assigned: 2, reached: 2, conversions: 0 });
    const treatedResult = byGroup.get('a') as {
      uplift: { points: number; low: number; high: number };
    } & Record<string, unknown>;
    expect(treatedResult).toMatchObject({
      assigned: 3,
      reached: 3,
      conversions: 1,
      steps: [{ step: 0, sent: 3, capped: 0, skipped: 0, exited: 0, failed: 0, control: 0 }],
    });
    // 1/3 − 1/2 = −16.7 points, with Newcombe's interval around it.
    expect(treatedResult.uplift.points).toBe(-16.7);
    expect(treatedResult.uplift.low).toBeLessThan(-16.7);
    expect(treatedResult.uplift.high).toBeGreaterThan(-16.7);
  });

  it('a goal that is also the exit keeps its mark on the exited run, in a later batch or the same one', async () => {
    const [later, sameBatch] = usersIn('quiz-dropout', 'a', 2, 8200);
    await logEvent(harness, later!, 'start', 'quiz_start');
    await harness.advance(30 * MINUTE);
    await logEvent(harness, later!, 'finish', 'quiz_finish');
    expect(await runOf(harness, 'quiz-dropout', later!)).toMatchObject({
      status: 'exited',
      goalAt: harness.clock.now(),
    });

    const now = harness.clock.now();
    const response = await harness.api('POST', '/api/events', {
      user: sameBatch,
      body: {
        events: [
          { id: 'start', name: 'quiz_start', at: new Date(now - MINUTE).toISOString() },
          { id: 'finish', name: 'quiz_finish', at: new Date(now).toISOString() },
        ],
      },
    });
    expect(response.status).toBe(202);
    expect(await runOf(harness, 'quiz-dropout', sameBatch!)).toMatchObject({ status: 'exited', goalAt: now });
  });

  it('the abandoned form: a ticket filed within 24 h is its goal, in the control group too', async () => {
    const [treated] = usersIn('ticket-form-abandoned', ONLY, 1, 8300);
    const [control] = usersIn('ticket-form-abandoned', CONTROL, 1, 8300);
    for (const userId of [treated!, control!])
      await logEvent(harness, userId, `form-${userId}`, 'ticket_form_open');
    await harness.advance(10 * MINUTE);
    for (const userId of [treated!, control!]) {
      const created = await harness.api('POST', '/api/tickets', {
        user: userId,
        body: { category: 'question', subject: 'Код', description: 'Не приходит код подтверждения' },
      });
      expect(created.status).toBe(201);
      const run = await runOf(harness, 'ticket-form-abandoned', userId);
      expect(run?.goalAt).toBe(harness.clock.now());
    }
    expect((await runOf(harness, 'ticket-form-abandoned', control!))?.variant).toBe(CONTROL);
  });
});
