import { HOUR, MINUTE } from '../../lib/clock';
import type { JourneyRunRecord } from '../../lib/storage/port';
import { type BotStack, startBotStack, WEDNESDAY_NOON_MSK } from '../support/bot-harness';

jest.setTimeout(120_000);

/** The mini app logs one event now (or `at`), with the client's id `id`. */
async function logEvent(harness: BotStack, userId: number, id: string, name: string, at?: number) {
  const response = await harness.api('POST', '/api/events', {
    user: userId,
    body: { events: [{ id, name, at: new Date(at ?? harness.clock.now()).toISOString() }] },
  });
  expect(response.status).toBe(202);
  return response.body as { received: number; stored: number };
}

/** Messages each user had before the journey (the community's thanks for allowing messages). */
const before = new Map<number, number>();

/** A user who allowed the community's messages (VK's `message_allow`). */
async function allowsMessages(harness: BotStack, userId: number) {
  await harness.api('GET', '/api/me/preferences', { user: userId }); // registered by the app's launch
  await harness.sandbox.userAllowsMessages(userId);
  await harness.settle();
  const user = await harness.store.read((r) => r.users.get(userId));
  expect(user?.messagesAllowed).toBe(true);
  before.set(userId, harness.sentTo(userId).length);
}

const runsOf = (harness: BotStack, journey: string): Promise<JourneyRunRecord[]> =>
  harness.store.read((r) =>
    r.journeys.listByJourney(journey, { since: 0, until: harness.clock.now() + HOUR, limit: 100 }),
  );
const runOf = async (harness: BotStack, journey: string, userId: number) =>
  (await runsOf(harness, journey)).filter((run) => run.userId === userId);
/** The community's messages to the user since they allowed messages. */
const messagesTo = (harness: BotStack, userId: number) =>
  harness
    .sentTo(userId)
    .slice(before.get(userId) ?? 0)
    .map((message) => message.text);
const notificationsTo = (harness: BotStack, userId: number) =>
  harness.sandbox.notifications.filter((call) => call.userIds.includes(userId));

describe('journeys: event-triggered steps through the local stack', () => {
  let harness: BotStack;
  beforeEach(async () => {
    harness = await startBotStack({ start: WEDNESDAY_NOON_MSK });
  });
  afterEach(async () => {
    await harness.close();
  });

  it('quiz_start without quiz_finish: a community message after an hour to a user who allows messages, a notification to one who does not', async () => {
    const writer = 7103; // in the treated group (7101 is in the control group)
    const silent = 7102;
    await allowsMessages(harness, writer);
    await logEvent(harness, writer, 'w-start', 'quiz_start');
    await logEvent(harness, silent, 's-start', 'quiz_start');
    expect((await runOf(harness, 'quiz-dropout', writer))[0]).toMatchObject({ status: 'active', step: 0 });

    await harness.advance(45 * MINUTE);
    expect(messagesTo(harness, writer)).toEqual([]);
    expect(notificationsTo(harness, silent)).toEqual([]);

    await harness.advance(20 * MINUTE);
    expect(messagesTo(harness, writer)).toEqual([expect.stringContaining('квиз')]);
    expect(notificationsTo(harness, writer)).toEqual([]);
    const [notification] = notificationsTo(harness, silent);
    expect(notification?.fragment).toMatch(/^quiz\?journey=quiz-dropout&variant=[ab]&step=0$/);
    expect(messagesTo(harness, silent)).toEqual([]);

    const [writerRun] = await runOf(harness, 'quiz-dropout', writer);
    expect(writerRun).toMatchObject({ status: 'completed', sending: null });
    expect(writerRun?.outcomes).toEqual([
      expect.objectContaining({ step: 0, outcome: 'sent', channel: 'message' }),
    ]);
    const [silentRun] = await runOf(harness, 'quiz-dropout', silent);
    expect(silentRun?.outcomes).toEqual([
      expect.objectContaining({ step: 0, outcome: 'sent', channel: 'notification' }),
    ]);
  });

  it('quiz_finish before the step ends the run: nothing is sent', async () => {
    const user = 7201;
    await allowsMessages(harness, user);
    await logEvent(harness, user, 'start', 'quiz_start');
    await harness.advance(30 * MINUTE);
    await logEvent(harness, user, 'finish', 'quiz_finish');
    await harness.advance(2 * HOUR);
    expect(messagesTo(harness, user)).toEqual([]);
    expect(notificationsTo(harness, user)).toEqual([]);
    const [run] = await runOf(harness, 'quiz-dropout', user);
    expect(run).toMatchObject({ status: 'exited', nextAt: null });
    expect(run?.outcomes).toEqual([expect.objectContaining({ outcome: 'exited', detail: 'quiz_finish' })]);
    // Its waiting step was cancelled, not left to run.
    const job = await harness.store.read((r) => r.jobs.get(`journey:quiz-dropout:${user}:start:0`));
    expect(job?.status).toBe('cancelled');
  });

  it('a batch that starts and finishes the quiz at once leaves an exited run and no job', async () => {
    const user = 7251;
    const now = harness.clock.now();
    const response = await harness.api('POST', '/api/events', {
      user,
      body: {
        events: [
          { id: 'finish', name: 'quiz_finish', at: new Date(now).toISOString() },
          { id: 'start', name: 'quiz_start', at: new Date(now - MINUTE).toISOString() },
        ],
      },
    });
    expect(response.status).toBe(202);
    const [run] = await runOf(harness, 'quiz-dropout', user);
    expect(run).toMatchObject({ status: 'exited' });
    expect(await harness.store.read((r) => r.jobs.get(`journey:quiz-dropout:${user}:start:0`))).toBeNull();
  });

  it('VK refusing the message (901) marks the permission lost and records the step failed', async () => {
    const user = 7281;
    await logEvent(harness, user, 'start', 'quiz_start');
    // The store believes they allow messages; VK does not (they never wrote, or took it back).
    await harness.store.transaction(async (r) => {
      const current = await r.users.get(user);
      await r.users.put({ ...current!, messagesAllowed: true });
    });
    await harness.advance(61 * MINUTE);
    expect(messagesTo(harness, user)).toEqual([]);
    expect((await harness.store.read((r) => r.users.get(user)))?.messagesAllowed).toBe(false);
    const [run] = await runOf(harness, 'quiz-dropout', user);
    expect(run?.outcomes).toEqual([
      expect.objectContaining({ outcome: 'failed', channel: 'message', detail: 'messages_not_allowed' }),
    ]);
  });

  it('a re-sent trigger (same event id) and a second start while one runs start one run, one message', async () => {
    const user = 7301;
    await allowsMessages(harness, user);
    const at = harness.clock.now();
    expect(await logEvent(harness, user, 'start', 'quiz_start', at)).toEqual({ received: 1, stored: 1 });
    expect(await logEvent(harness, user, 'start', 'quiz_start', at)).toEqual({ received: 1, stored: 0 });
    await harness.advance(5 * MINUTE);
    await logEvent(harness, user, 'start-again', 'quiz_start');
    expect(await runOf(harness, 'quiz-dropout', user)).toHaveLength(1);
    await harness.advance(2 * HOUR);
    expect(messagesTo(harness, user)).toHaveLength(1);
  });

  it('a run whose step was lost (its job dead-lettered) holds nobody out: a trigger a day past its due time replaces it', async () => {
    const user = 7302;
    await allowsMessages(harness, user);
    await logEvent(harness, user, 'start-1', 'quiz_start');
    const [lost] = await runOf(harness, 'quiz-dropout', user);
    // Its step's job fails for good: the queue gives up on it, the run stays `active` at step 0.
    const jobId = `journey:quiz-dropout:${user}:${lost!.runId}:0`;
    await harness.store.transaction(async (r) => {
      await r.jobs.update({ ...(await r.jobs.get(jobId))!, status: 'cancelled' });
    });
    await harness.advance(2 * HOUR);
    expect(messagesTo(harness, user)).toEqual([]);
    // Within a day of its due time a new trigger still waits for it (a slow worker is no lost job).
    await logEvent(harness, user, 'start-2', 'quiz_start');
    expect(await runOf(harness, 'quiz-dropout', user)).toHaveLength(1);

    harness.clock.advance(24 * HOUR);
    await logEvent(harness, user, 'start-3', 'quiz_start');
    const runs = await runOf(harness, 'quiz-dropout', user);
    expect(runs.map((run) => [run.runId, run.status])).toEqual(
      expect.arrayContaining([
        ['start-1', 'stalled'],
        ['start-3', 'active'],
      ]),
    );
    expect(runs.find((run) => run.runId === 'start-1')?.outcomes.at(-1)).toMatchObject({
      outcome: 'failed',
      detail: 'stalled',
    });
    await harness.advance(HOUR + MINUTE);
    expect(messagesTo(harness, user)).toHaveLength(1);
  });

  it('the abandoned form: one nudge after 30 minutes without a ticket, none once a ticket is filed', async () => {
    const abandoned = 7401;
    const filed = 7402;
    await allowsMessages(harness, abandoned);
    await allowsMessages(harness, filed);
    await logEvent(harness, abandoned, 'form', 'ticket_form_open');
    await logEvent(harness, filed, 'form', 'ticket_form_open');
    const created = await harness.api('POST', '/api/tickets', {
      user: filed,
      body: { category: 'question', subject: 'Код', description: 'Не приходит код подтверждения' },
    });
    expect(created.status).toBeLessThan(300);
    const beforeNudge = messagesTo(harness, filed).length;
    await harness.advance(35 * MINUTE);
    expect(messagesTo(harness, abandoned)).toEqual([expect.stringContaining('поддержк')]);
    expect(messagesTo(harness, filed)).toHaveLength(beforeNudge);
    const [run] = await runOf(harness, 'ticket-form-abandoned', filed);
    expect(run).toMatchObject({ status: 'exited' });
    expect(run?.outcomes).toEqual([expect.objectContaining({ outcome: 'exited', detail: 'ticket' })]);
  });

  it('caps hold: the day’s marketing message and the campaigns’ notification budget are spent once, the rest recorded capped', async () => {
    const writer = 7501;
    const silent = 7503; // treated in both journeys (7502 is quiz-dropout's control)
    await allowsMessages(harness, writer);
    for (const userId of [writer, silent]) {
      await logEvent(harness, userId, 'form', 'ticket_form_open');
      await logEvent(harness, userId, 'quiz', 'quiz_start');
    }
    await harness.advance(2 * HOUR);
    // The form's nudge at 30 minutes took the day's one; the quiz's step at an hour is capped.
    expect(messagesTo(harness, writer)).toHaveLength(1);
    expect(notificationsTo(harness, silent)).toHaveLength(1);
    for (const userId of [writer, silent]) {
      const [quizRun] = await runOf(harness, 'quiz-dropout', userId);
      expect(quizRun?.outcomes).toEqual([
        expect.objectContaining({ outcome: 'capped', detail: 'daily_cap' }),
      ]);
      expect(quizRun?.status).toBe('completed');
    }
  });

  it('a step due in quiet hours waits until they end (22:00–09:00 Moscow by default)', async () => {
    await harness.close();
    harness = await startBotStack({ start: Date.UTC(2026, 10, 18, 18, 30) }); // 21:30 in Moscow
    const user = 7601;
    await allowsMessages(harness, user);
    await logEvent(harness, user, 'start', 'quiz_start');
    await harness.advance(90 * MINUTE); // 23:00 in Moscow: due, and held
    expect(messagesTo(harness, user)).toEqual([]);
    const [held] = await runOf(harness, 'quiz-dropout', user);
    expect(held).toMatchObject({ status: 'active', nextAt: Date.UTC(2026, 10, 19, 6, 0) });
    await harness.advance(Date.UTC(2026, 10, 19, 6, 1) - harness.clock.now());
    expect(messagesTo(harness, user)).toHaveLength(1);
  });
});
