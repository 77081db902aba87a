import { type Campaign, compileCampaigns } from '../../lib/campaigns/campaign';
import type { CampaignBatch } from '../../lib/dispatcher/batch';
import { createNotifyDispatcher } from '../../lib/dispatcher/compose';
import type { AudienceSettings } from '../../lib/dispatcher/decide';
import { planCampaigns } from '../../lib/dispatcher/plan';
import { UnconfirmedSendError } from '../../lib/dispatcher/sender';
import { claimMarketingMessage } from '../../lib/journeys/message-cap';
import { createLogger } from '../../lib/log/logger';
import type { UserRecord } from '../../lib/storage/port';
import { VkClient } from '../../lib/vk/client';
import { seedAudience } from '../support/audience';
import { startBotStack } from '../support/bot-harness';

jest.setTimeout(60_000);

type Stack = Awaited<ReturnType<typeof startBotStack>>;

const DAY_OF_RUN = '2026-11-18';
const SETTINGS: AudienceSettings = {
  dailyCap: 1,
  timezone: 'Europe/Moscow',
  defaultQuietHours: null,
  messagesDailyCap: 1,
};

/** One daily campaign over everyone active this month, on the given channel. */
function campaignOn(
  channel: 'message' | 'auto' | 'notification',
  extra: Record<string, unknown> = {},
): Campaign {
  return compileCampaigns({
    campaigns: [
      {
        id: 'news-digest',
        description: 'The week in the app.',
        type: 'news',
        priority: 10,
        cooldownDays: 1,
        segment: { event: '*', daysAgo: [0, 30] },
        fragment: 'news',
        channel,
        ...extra,
        variants: [
          {
            id: 'a',
            weight: 1,
            texts: {
              ru: ['{first_name|Привет}, новое в приложении за неделю'],
              en: ['What is new this week'],
            },
          },
        ],
      },
    ],
  })[0]!;
}

/** Users who write to the community (not notified), seen in the app yesterday. */
async function seed(harness: Stack, userIds: readonly number[], changes: Partial<UserRecord> = {}) {
  const users = userIds.map((userId) => ({
    userId,
    changes: { messagesAllowed: true, notificationsAllowed: false, firstName: 'Анна', ...changes },
  }));
  await seedAudience(harness.stack.store, harness.stack.clock.now(), users, {
    name: 'app_open',
    daysAgo: 1,
    eventPrefix: 'open',
    screen: null,
  });
  for (const userId of userIds) if (changes.messagesAllowed !== false) harness.sandbox.allowed.add(userId);
}

const range = (from: number, count: number) => Array.from({ length: count }, (_, index) => from + index);

describe('daily campaigns as community messages', () => {
  let harness: Stack;
  beforeEach(async () => {
    harness = await startBotStack();
  });
  afterEach(async () => {
    await harness.stack.close();
  });

  /** The dispatcher over these campaigns, with clients on the sandbox (one attempt per call). */
  function dispatcherFor(campaigns: readonly Campaign[]) {
    const client = () =>
      new VkClient({
        apiUrl: harness.sandbox.apiUrl,
        version: '5.199',
        token: 't',
        rateLimitPerSecond: 1000,
        timeoutMs: 2000,
        maxAttempts: 1,
      });
    return createNotifyDispatcher({
      store: harness.stack.store,
      queue: harness.stack.queue,
      clock: harness.stack.clock,
      logger: createLogger({ level: 'error', sink: () => {} }),
      appVk: client(),
      groupVk: client(),
      settings: SETTINGS,
      campaigns,
    });
  }

  async function plan(campaigns: readonly Campaign[], pageSize = 1000) {
    const batches: CampaignBatch[] = [];
    const report = await planCampaigns(
      {
        store: harness.stack.store,
        clock: harness.stack.clock,
        settings: SETTINGS,
        enqueue: async (written) => {
          batches.push(...written);
        },
      },
      { campaigns, dryRun: false, pageSize },
    );
    return { report, batches };
  }

  const messageCalls = () =>
    harness.sandbox.calls.filter(
      (call) => call.method === 'messages.send' && call.params.peer_ids !== undefined,
    );
  const peersOf = (calls: ReturnType<typeof messageCalls>) =>
    calls.flatMap((call) => (call.params.peer_ids ?? '').split(',').map(Number));
  const deliveryOf = (userId: number) =>
    harness.stack.store.read((r) => r.deliveries.get({ userId, campaign: 'news-digest', day: DAY_OF_RUN }));

  it('writes to 150 users in 2 calls of ≤ 100 peers, each once, and marks the 901s', async () => {
    const users = range(20_001, 150);
    const refused = users.slice(0, 3);
    await seed(harness, users);
    for (const userId of refused) harness.sandbox.allowed.delete(userId);
    // Someone who allows only notifications isn't written to.
    await seed(harness, [20_500], { messagesAllowed: false, notificationsAllowed: true });

    const campaign = campaignOn('message');
    const { report, batches } = await plan([campaign], 60);
    expect(report.planned['news-digest']).toEqual({ a: 150 });
    expect(batches.every((batch) => batch.channel === 'message')).toBe(true);
    expect(batches.map((batch) => batch.userIds.length)).toEqual([100, 50]);

    const dispatcher = dispatcherFor([campaign]);
    for (const batch of batches) await dispatcher.handleMessage(JSON.stringify(batch));
    const calls = messageCalls();
    expect(calls).toHaveLength(2);
    for (const call of calls) {
      expect(peersOf([call]).length).toBeLessThanOrEqual(100);
      expect(call.params.message).toBe('Анна, новое в приложении за неделю');
    }
    expect(peersOf(calls).sort()).toEqual([...users].sort());
    expect(harness.sandbox.calls.filter((call) => call.method === 'notifications.sendMessage')).toEqual([]);
    const received = harness.sandbox.sent.map((message) => message.peerId);
    expect(received.sort()).toEqual(users.slice(3).sort());

    expect(await deliveryOf(users[5]!)).toMatchObject({
      channel: 'message',
      status: 'sent',
      slot: 1,
      text: calls[0]!.params.message,
    });
    expect(await deliveryOf(refused[0]!)).toMatchObject({ status: 'not_allowed', detail: '901' });
    const user = await harness.stack.store.read((r) => r.users.get(refused[0]!));
    expect(user?.messagesAllowed).toBe(false);

    // The batches delivered again (the queue is at-least-once): nothing goes twice.
    for (const batch of batches) await dispatcher.handleMessage(JSON.stringify(batch));
    expect(messageCalls()).toHaveLength(2);
  });

  it('repeats a call whose answer was lost with the same random_id, and VK delivers once', async () => {
    const users = range(21_001, 4);
    await seed(harness, users);
    const campaign = campaignOn('message');
    const { batches } = await plan([campaign]);
    const dispatcher = dispatcherFor([campaign]);
    harness.sandbox.injectFault({ method: 'messages.send', error: 'lost_answer', times: 1 });
    await expect(dispatcher.handleMessage(JSON.stringify(batches[0]))).rejects.toBeInstanceOf(
      UnconfirmedSendError,
    );
    expect(await deliveryOf(users[0]!)).toMatchObject({ status: 'claimed' });
    // The queue delivers the batch again: the very same call.
    await dispatcher.handleMessage(JSON.stringify(batches[0]));
    const calls = messageCalls();
    expect(calls).toHaveLength(2);
    expect(calls[1]!.params.random_id).toBe(calls[0]!.params.random_id);
    expect(harness.sandbox.sent.map((message) => message.peerId).sort()).toEqual(users);
    for (const userId of users) expect(await deliveryOf(userId)).toMatchObject({ status: 'sent' });
  });

  it('gives the marketing message back on flood control (9), and sends it later', async () => {
    const users = range(21_101, 2);
    await seed(harness, users);
    const campaign = campaignOn('message');
    const { batches } = await plan([campaign]);
    const dispatcher = dispatcherFor([campaign]);
    harness.sandbox.injectFault({ method: 'messages.send', error: 9, times: 1 });
    expect(await dispatcher.handleMessage(JSON.stringify(batches[0]))).toMatchObject({
      retryAfterSeconds: 60,
    });
    expect(await deliveryOf(users[0]!)).toMatchObject({ status: 'planned', slot: null });
    expect(await dispatcher.handleMessage(JSON.stringify(batches[0]))).toMatchObject({
      results: { sent: 2 },
    });
    expect(harness.sandbox.sent).toHaveLength(2);
  });

  it("shares the day's marketing message cap with journeys", async () => {
    const [journeyFirst, campaignFirst] = [21_201, 21_202];
    await seed(harness, [journeyFirst, campaignFirst]);
    const now = harness.stack.clock.now();
    // A journey's step took journeyFirst's message of the day already.
    expect(
      await harness.stack.store.transaction((r) =>
        claimMarketingMessage(r, journeyFirst, now, 1, `journey:j:${journeyFirst}:r:0`),
      ),
    ).toBe(true);
    const campaign = campaignOn('message');
    const { batches } = await plan([campaign]);
    const outcome = await dispatcherFor([campaign]).handleMessage(JSON.stringify(batches[0]));
    expect(outcome?.results).toEqual({ 'capped:daily_cap': 1, sent: 1 });
    expect(await deliveryOf(journeyFirst)).toMatchObject({ status: 'capped', detail: 'daily_cap' });
    expect(harness.sandbox.sent.map((message) => message.peerId)).toEqual([campaignFirst]);
    // And a journey's step later that day finds campaignFirst's message taken.
    expect(
      await harness.stack.store.transaction((r) =>
        claimMarketingMessage(r, campaignFirst, now + 1000, 1, `journey:j:${campaignFirst}:r:0`),
      ),
    ).toBe(false);
  });

  it('holds quiet hours (the user’s local time), at planning and at sending', async () => {
    const [quiet, awake, quietLater] = [21_301, 21_302, 21_303];
    // WEDNESDAY_NOON_MSK: noon in Moscow.
    await seed(harness, [quiet], { quietHours: { from: '11:00', to: '13:00' } });
    await seed(harness, [awake, quietLater]);
    const campaign = campaignOn('message');
    const { report, batches } = await plan([campaign]);
    expect(report.skipped).toEqual({ quiet_hours: 1 });
    expect(await deliveryOf(quiet)).toBeNull();
    // One who set quiet hours between the plan and the send is skipped then.
    await harness.stack.store.transaction(async (r) => {
      const user = await r.users.get(quietLater);
      await r.users.put({ ...user!, quietHours: { from: '11:30', to: '12:30' } });
    });
    await dispatcherFor([campaign]).handleMessage(JSON.stringify(batches[0]));
    expect(harness.sandbox.sent.map((message) => message.peerId)).toEqual([awake]);
    expect(await deliveryOf(quietLater)).toMatchObject({ status: 'skipped', detail: 'quiet_hours' });
  });

  it('auto: a message to users who allow messages, a notification to the others', async () => {
    const writeTo = range(21_401, 3);
    const notifyOnly = range(21_501, 2);
    await seed(harness, writeTo, { notificationsAllowed: true });
    const newsOn = { ticketUpdates: true, reminders: true, news: true };
    await seed(harness, notifyOnly, {
      messagesAllowed: false,
      notificationsAllowed: true,
      notificationTypes: newsOn,
    });
    await seed(harness, [21_601], { messagesAllowed: false, notificationsAllowed: false });
    // The notification preference (`type`: news, off by default) holds notifications only: the
    // message permission is its own consent, as in journeys.
    await seed(harness, [21_602], { messagesAllowed: false, notificationsAllowed: true });
    const campaign = campaignOn('auto');
    const { report, batches } = await plan([campaign]);
    expect(report.skipped).toEqual({ consent: 1, type_off: 1 });
    expect(batches.map((batch) => [batch.channel, batch.userIds.length]).sort()).toEqual([
      ['message', 3],
      ['notification', 2],
    ]);
    const dispatcher = dispatcherFor([campaign]);
    for (const batch of batches) await dispatcher.handleMessage(JSON.stringify(batch));
    expect(peersOf(messageCalls()).sort()).toEqual(writeTo);
    expect(harness.sandbox.notifications.flatMap((call) => call.userIds).sort()).toEqual(notifyOnly);
    expect(await deliveryOf(notifyOnly[0]!)).toMatchObject({
      status: 'sent',
      slot: 1,
      channel: 'notification',
    });
    expect(await deliveryOf(writeTo[0]!)).toMatchObject({ status: 'sent', channel: 'message' });
  });

  it('subscriptionKey limits the audience to users subscribed with that key', async () => {
    const users = range(21_701, 6);
    await seed(harness, users);
    const now = harness.stack.clock.now();
    await harness.stack.store.transaction(async (r) => {
      for (const userId of users.slice(0, 2))
        await r.messageSubscriptions.put({ key: 'sale', userId, at: now });
      await r.messageSubscriptions.put({ key: 'other', userId: users[2]!, at: now });
    });
    const campaign = campaignOn('message', { subscriptionKey: 'sale' });
    const { report, batches } = await plan([campaign], 4);
    expect(report.planned['news-digest']).toEqual({ a: 2 });
    expect(report.skipped).toEqual({ not_subscribed: 4 });
    expect(batches.flatMap((batch) => batch.userIds).sort()).toEqual(users.slice(0, 2));
  });

  it('refuses a subscriptionKey on a notification campaign', () => {
    expect(() => campaignOn('notification', { subscriptionKey: 'sale' })).toThrow(/subscriptionKey/);
    expect(campaignOn('message').channel).toBe('message');
  });
});

describe('a daily mailing through the local stack, as `npm start` runs it', () => {
  let harness: Stack;
  afterEach(async () => {
    await harness?.stack.close();
  });

  it("the day's run plans it, the notify queue's consumer sends it: messages where allowed, notifications else, once", async () => {
    harness = await startBotStack({ campaigns: [campaignOn('auto')] });
    const writeTo = range(21_801, 3);
    const notifyOnly = range(21_901, 2);
    await seed(harness, writeTo);
    await seed(harness, notifyOnly, {
      messagesAllowed: false,
      notificationsAllowed: true,
      notificationTypes: { ticketUpdates: true, reminders: true, news: true },
    });

    // The daily timer (12:00 Moscow): the plan goes to the notify queue, the stack's trigger takes it.
    await harness.stack.fireDispatcher();
    const delivered = async () =>
      (
        await Promise.all(
          [...writeTo, ...notifyOnly].map((userId) =>
            harness.stack.store.read((r) =>
              r.deliveries.get({ userId, campaign: 'news-digest', day: DAY_OF_RUN }),
            ),
          ),
        )
      ).filter((delivery) => delivery?.status === 'sent').length;
    for (let i = 0; i < 200 && (await delivered()) < 5; i++) await new Promise((r) => setTimeout(r, 25));
    expect(await delivered()).toBe(5);
    const messageCalls = harness.sandbox.calls.filter(
      (call) => call.method === 'messages.send' && call.params.peer_ids !== undefined,
    );
    expect(messageCalls).toHaveLength(1);
    expect(messageCalls[0]!.params.peer_ids!.split(',').map(Number).sort()).toEqual(writeTo);
    expect(messageCalls[0]!.params.message).toContain('Анна, новое в приложении');
    expect(harness.sandbox.notifications.flatMap((call) => call.userIds).sort()).toEqual(notifyOnly);

    // The timer again the same day (it ticks every minute after 09:00 UTC): the day's claim holds.
    await harness.stack.fireDispatcher();
    await harness.settle();
    expect(
      harness.sandbox.calls.filter((call) => call.method === 'messages.send' && call.params.peer_ids),
    ).toHaveLength(1);
    expect(harness.sandbox.notifications).toHaveLength(1);
  });
});
