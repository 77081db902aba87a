import { CONTROL, shippedCampaigns } from '../../lib/campaigns/campaign';
import { assignVariant } from '../../lib/campaigns/segment';
import { HOUR, MINUTE } from '../../lib/clock';
import { notifyQueueWriter } from '../../lib/dispatcher/compose';
import { planCampaigns } from '../../lib/dispatcher/plan';
import { sendTimeFor } from '../../lib/schedule/timezone';
import { seedAudience } from '../support/audience';
import { startBotStack, WEDNESDAY_NOON_MSK } from '../support/bot-harness';

jest.setTimeout(60_000);

const quiz = shippedCampaigns().find((campaign) => campaign.id === 'quiz-unfinished')!;
/** 16:00 in Moscow is 23:00 in Vladivostok: inside the default quiet hours (22:00–09:00) there. */
const WEDNESDAY_4PM_MSK = WEDNESDAY_NOON_MSK + 4 * HOUR;

describe('a variant’s local send time', () => {
  const noonMoscow = Date.UTC(2026, 10, 18, 9, 0);
  it('is that time today in the user’s zone, or at once if it has passed or falls after the UTC day', () => {
    expect(sendTimeFor('18:00', noonMoscow, 'Europe/Moscow')).toBe(Date.UTC(2026, 10, 18, 15, 0));
    expect(sendTimeFor('18:00', noonMoscow, 'Asia/Vladivostok')).toBe(noonMoscow);
    expect(sendTimeFor('09:00', noonMoscow, 'America/New_York')).toBe(Date.UTC(2026, 10, 18, 14, 0));
    // 23:30 in New York is 04:30 UTC tomorrow: past the plan's day, so at once.
    expect(sendTimeFor('23:30', noonMoscow, 'America/New_York')).toBe(noonMoscow);
  });
});

describe('quiet hours in the user’s own timezone', () => {
  let harness: Awaited<ReturnType<typeof startBotStack>>;
  beforeEach(async () => {
    harness = await startBotStack({ start: WEDNESDAY_4PM_MSK });
  });
  afterEach(async () => {
    await harness.stack.close();
  });

  it('stores the timezone the mini app reports and refuses one Intl does not know', async () => {
    const user = 31_000;
    const changed = await harness.api('PUT', '/api/me/preferences', {
      user,
      body: { timezone: 'Asia/Vladivostok' },
    });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ timezone: 'Asia/Vladivostok', quietHours: null });
    expect((await harness.api('GET', '/api/me/preferences', { user })).body.timezone).toBe(
      'Asia/Vladivostok',
    );

    const refused = await harness.api('PUT', '/api/me/preferences', {
      user,
      body: { timezone: 'Mars/Olympus' },
    });
    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused.body)).toContain('timezone');
    // null goes back to the app's timezone.
    const reset = await harness.api('PUT', '/api/me/preferences', { user, body: { timezone: null } });
    expect(reset.body.timezone).toBeNull();
  });

  it('does not notify a user in Vladivostok at 23:00 their time though it is 16:00 in Moscow', async () => {
    const [vladivostok, moscow] = (() => {
      const ids: number[] = [];
      for (let id = 32_000; ids.length < 2; id++) if (assignVariant(quiz, id) !== CONTROL) ids.push(id);
      return ids as [number, number];
    })();
    const now = harness.stack.clock.now();
    await seedAudience(harness.stack.store, now, [
      { userId: vladivostok, changes: { timezone: 'Asia/Vladivostok' } },
      { userId: moscow, changes: { timezone: null } },
    ]);
    const run = (await harness.stack.fireDispatcher()) as { report: { skipped: Record<string, number> } };
    for (let i = 0; i < 3000; i++) {
      const { visible, inFlight } = await harness.stack.queue.depth('notify');
      if (visible + inFlight === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(harness.sandbox.notifications.flatMap((call) => call.userIds)).toEqual([moscow]);
    expect(run.report.skipped).toMatchObject({ quiet_hours: 1 });
  });

  it('sends a variant with sendAt at that local time for each user, not at the run', async () => {
    // Its own stack: this one starts at noon in Moscow.
    const noonStack = await startBotStack({ start: WEDNESDAY_NOON_MSK });
    try {
      const quizAt18 = {
        ...quiz,
        controlPercent: 0,
        variants: quiz.variants.map((variant) => ({ ...variant, sendAt: '18:00' })),
      };
      const [vladivostok, moscow] = [33_001, 33_002];
      // 12:00 in Moscow: 18:00 there is six hours ahead; in Vladivostok (19:00) it has passed.
      const now = noonStack.stack.clock.now();
      await seedAudience(
        noonStack.stack.store,
        now,
        [
          { userId: vladivostok, changes: { timezone: 'Asia/Vladivostok' } },
          { userId: moscow, changes: { timezone: null } },
        ],
        { eventPrefix: 's', screen: null },
      );
      await planCampaigns(
        {
          store: noonStack.stack.store,
          clock: noonStack.stack.clock,
          settings: { dailyCap: 1, timezone: 'Europe/Moscow', defaultQuietHours: null },
          enqueue: notifyQueueWriter(noonStack.stack.queue),
        },
        { campaigns: [quizAt18], dryRun: false },
      );
      const notified = () => noonStack.sandbox.notifications.flatMap((call) => call.userIds);
      const drain = async () => {
        for (let i = 0; i < 3000; i++) {
          const { visible, inFlight } = await noonStack.stack.queue.depth('notify');
          if (visible + inFlight === 0) return;
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      };
      await drain();
      expect(notified()).toEqual([vladivostok]);
      for (let step = 0; step < 23; step++) {
        noonStack.stack.clock.advance(15 * MINUTE);
        await drain();
      }
      expect(notified()).toEqual([vladivostok]); // 17:45 in Moscow
      noonStack.stack.clock.advance(16 * MINUTE);
      await drain();
      expect(notified()).toEqual([vladivostok, moscow]);
    } finally {
      await noonStack.stack.close();
    }
  });
});
