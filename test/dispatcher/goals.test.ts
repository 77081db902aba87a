import { CONTROL, shippedCampaigns } from '../../lib/campaigns/campaign';
import { assignVariant } from '../../lib/campaigns/segment';
import { DAY, HOUR, MINUTE, SECOND } from '../../lib/clock';
import { campaignResults } from '../../lib/dispatcher/report';
import { markResponses } from '../../lib/dispatcher/responses';
import type { CampaignDeliveryRecord } from '../../lib/storage/port';
import { newUserRecord } from '../../lib/users/account';
import { ADMIN_TOKEN, startBotStack, WEDNESDAY_NOON_MSK } from '../support/bot-harness';

jest.setTimeout(60_000);

const quiz = shippedCampaigns().find((campaign) => campaign.id === 'quiz-unfinished')!;
const idsIn = (variant: string, from: number, count: number) => {
  const ids: number[] = [];
  for (let id = from; ids.length < count; id++) if (assignVariant(quiz, id) === variant) ids.push(id);
  return ids;
};

describe('campaign responses: opens, returns without the own click, goals', () => {
  const plannedAt = WEDNESDAY_NOON_MSK;
  const delivery: CampaignDeliveryRecord = {
    userId: 1,
    campaign: 'quiz-unfinished',
    day: '2026-11-18',
    variant: 'a',
    status: 'sent',
    detail: null,
    text: 'Квиз ждёт',
    slot: 1,
    sendKey: null,
    plannedAt,
    claimedAt: plannedAt,
    openedAt: null,
    returnedAt: null,
    goalAt: null,
    updatedAt: plannedAt,
  };
  const goal = { event: 'quiz_finish', withinHours: 48 };
  const tagged = { campaign: 'quiz-unfinished', variant: 'a' };
  const event = (name: string, after: number, props: Record<string, string> = {}) => ({
    name,
    occurredAt: plannedAt + after,
    props,
  });

  it('does not count the notification’s open or the launch it causes as a return', () => {
    expect(
      markResponses(
        delivery,
        [event('notification_open', HOUR, tagged), event('app_open', HOUR + 2 * SECOND, tagged)],
        goal,
      ),
    ).toEqual({ openedAt: plannedAt + HOUR, returnedAt: null, goalAt: null });
    // An untagged launch right after the open is the click's too; a later one is a return.
    expect(
      markResponses(
        delivery,
        [
          event('notification_open', HOUR, tagged),
          event('screen_view', HOUR + 5 * SECOND),
          event('app_open', 2 * DAY),
        ],
        goal,
      ),
    ).toEqual({ openedAt: plannedAt + HOUR, returnedAt: plannedAt + 2 * DAY, goalAt: null });
  });

  it('marks the goal event within its window after the plan, the first one only', () => {
    const marked = markResponses(
      delivery,
      [event('quiz_finish', 47 * HOUR), event('quiz_finish', 3 * HOUR), event('quiz_finish', 49 * HOUR)],
      goal,
    );
    expect(marked.goalAt).toBe(plannedAt + 3 * HOUR);
    expect(markResponses(delivery, [event('quiz_finish', 49 * HOUR)], goal)).toEqual({
      openedAt: null,
      returnedAt: plannedAt + 49 * HOUR,
      goalAt: null,
    });
    expect(markResponses(delivery, [event('quiz_finish', -MINUTE)], goal).goalAt).toBeNull();
    expect(markResponses(delivery, [event('quiz_finish', HOUR)], undefined).goalAt).toBeNull();
  });
});

describe('campaign goals through the local stack', () => {
  let harness: Awaited<ReturnType<typeof startBotStack>>;
  beforeEach(async () => {
    harness = await startBotStack({ start: WEDNESDAY_NOON_MSK });
  });
  afterEach(async () => {
    await harness.stack.close();
  });

  it('counts goal events after the plan per variant and control, and no open or launch as a return', async () => {
    const treated = idsIn('a', 20_000, 4);
    const held = idsIn(CONTROL, 20_000, 3);
    const now = harness.stack.clock.now();
    await harness.stack.store.transaction(async (r) => {
      for (const userId of [...treated, ...held]) {
        await r.users.put(
          newUserRecord(userId, now - 10 * DAY, { notificationsAllowed: true, language: 'ru' }),
        );
        await r.events.append([
          {
            userId,
            eventId: `start-${userId}`,
            name: 'quiz_start',
            occurredAt: now - 2 * DAY,
            screen: 'quiz',
            props: {},
          },
        ]);
      }
    });
    await harness.stack.fireDispatcher();
    for (let i = 0; i < 3000; i++) {
      const { visible, inFlight } = await harness.stack.queue.depth('notify');
      if (visible + inFlight === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(harness.sandbox.notifications.flatMap((call) => call.userIds).sort()).toEqual([...treated].sort());

    const at = (after: number) => new Date(now + after).toISOString();
    const tagged = { campaign: 'quiz-unfinished', variant: 'a' };
    const send = async (user: number, events: Array<Record<string, unknown>>) =>
      expect((await harness.api('POST', '/api/events', { user, body: { events } })).status).toBe(202);
    await harness.advance(2 * HOUR);
    // The fourth treated user does nothing.
    const [clicksAndFinishes, clicksOnly, finishesLate] = treated as [number, number, number];
    // Taps the notification (open + the launch it causes), finishes the quiz ten minutes later.
    await send(clicksAndFinishes, [
      { id: 'o1', name: 'notification_open', at: at(HOUR), props: tagged },
      { id: 'l1', name: 'app_open', at: at(HOUR + 2 * SECOND), props: tagged },
      { id: 'f1', name: 'quiz_finish', at: at(HOUR + 10 * MINUTE) },
    ]);
    // Taps it and leaves: neither a return nor a goal (the untagged launch is within a minute).
    await send(clicksOnly, [
      { id: 'o2', name: 'notification_open', at: at(HOUR), props: tagged },
      { id: 'l2', name: 'app_open', at: at(HOUR + 3 * SECOND) },
    ]);
    // Finishes after the 48 hours: a return, not a goal.
    await harness.advance(3 * DAY - 2 * HOUR);
    await send(finishesLate, [{ id: 'f3', name: 'quiz_finish', at: at(3 * DAY) }]);
    // The control group: one finishes on their own within the window, one only opens the app.
    await send(held[0]!, [{ id: 'f4', name: 'quiz_finish', at: at(DAY) }]);
    await send(held[1]!, [{ id: 'a5', name: 'app_open', at: at(2 * DAY) }]);

    const results = await harness.stack.store.read((r) =>
      campaignResults(r, { fromDay: '2026-11-18', toDay: '2026-11-18' }),
    );
    const campaign = results.campaigns.find((entry) => entry.campaign === 'quiz-unfinished')!;
    expect(campaign.goal).toEqual({ event: 'quiz_finish', withinHours: 48 });
    const variant = campaign.variants.find((v) => v.variant === 'a')!;
    const control = campaign.variants.find((v) => v.variant === CONTROL)!;
    expect(variant).toMatchObject({ assigned: 4, delivered: 4, opened: 2, returned: 2, conversions: 1 });
    expect(variant.conversionRate).toBeCloseTo(1 / 4);
    expect(control).toMatchObject({ assigned: 3, delivered: 0, returned: 2, conversions: 1, uplift: null });
    expect(control.conversionRate).toBeCloseTo(1 / 3);
    // 25 % − 33.3 % = −8.3 points; Newcombe's interval around it is wide with so few users.
    expect(variant.uplift).toMatchObject({ points: -8.3 });
    expect(variant.uplift!.low).toBeLessThan(-8.3);
    expect(variant.uplift!.high).toBeGreaterThan(0);

    // The ops stats carry the same results (strict response schema).
    const stats = await harness.api('GET', '/api/ops/stats', { operatorToken: ADMIN_TOKEN });
    expect(stats.status).toBe(200);
  });
});
