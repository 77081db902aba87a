import { CONTROL, shippedCampaigns } from '../../lib/campaigns/campaign';
import { assignVariant } from '../../lib/campaigns/segment';
import { DAY, HOUR, MINUTE } from '../../lib/clock';
import type { CampaignBatch } from '../../lib/dispatcher/batch';
import { planCampaigns } from '../../lib/dispatcher/plan';
import type { Repositories, TransactionOptions, UserRecord } from '../../lib/storage/port';
import { newUserRecord } from '../../lib/users/account';
import { seedAudience } from '../support/audience';
import { ADMIN_TOKEN, startBotStack, WEDNESDAY_NOON_MSK } from '../support/bot-harness';
import { ConflictingStore } from '../support/undetermined-commit-store';

jest.setTimeout(60_000);

const quiz = shippedCampaigns().find((campaign) => campaign.id === 'quiz-unfinished')!;
/** Ids whose quiz variant is sent (not the control group), and some of the control group. */
const treatedIds = (from: number, count: number) => {
  const ids: number[] = [];
  for (let id = from; ids.length < count; id++) if (assignVariant(quiz, id) !== CONTROL) ids.push(id);
  return ids;
};

type Stack = Awaited<ReturnType<typeof startBotStack>>;

async function seed(harness: Stack, userIds: readonly number[], changes: Partial<UserRecord> = {}) {
  const users = userIds.map((userId) => ({ userId, changes: { firstName: 'Анна', ...changes } }));
  await seedAudience(harness.stack.store, harness.stack.clock.now(), users);
}

/** Waits until the notify queue has nothing visible or in flight (delayed messages stay). */
async function drainNotify(harness: Stack) {
  for (let i = 0; i < 3000; i++) {
    const { visible, inFlight } = await harness.stack.queue.depth('notify');
    if (visible + inFlight === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('the notify queue did not drain');
}

async function waitFor(condition: () => boolean) {
  for (let i = 0; i < 3000 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  if (!condition()) throw new Error('timed out waiting');
}

const notifiedUsers = (harness: Stack) => harness.sandbox.notifications.flatMap((call) => call.userIds);
const deliveryOf = (harness: Stack, userId: number, campaign = 'quiz-unfinished') =>
  harness.stack.store.read((r) => r.deliveries.get({ userId, campaign, day: '2026-11-18' }));

describe('notify-dispatcher: the daily run and its sends', () => {
  let harness: Stack;
  beforeEach(async () => {
    harness = await startBotStack({ start: WEDNESDAY_NOON_MSK });
  });
  afterEach(async () => {
    await harness.stack.close();
  });

  it('plans the segment once, sends each user one notification whose fragment carries campaign and variant', async () => {
    const treated = treatedIds(5000, 12);
    const finished = treated.slice(0, 2);
    await seed(harness, treated);
    await harness.stack.store.transaction((r) =>
      r.events.append(
        finished.map((userId) => ({
          userId,
          eventId: `finish-${userId}`,
          name: 'quiz_finish',
          occurredAt: harness.stack.clock.now() - DAY,
          screen: null,
          props: {},
        })),
      ),
    );
    // Two overlapping timer fires: one plans, the other sees the claim.
    const [first, second] = await Promise.all([
      harness.stack.fireDispatcher(),
      harness.stack.fireDispatcher(),
    ]);
    expect([first, second].map((run) => (run as { started: boolean }).started).sort()).toEqual([false, true]);
    await drainNotify(harness);
    expect(await harness.stack.fireDispatcher()).toMatchObject({ started: false });

    const notified = notifiedUsers(harness);
    expect([...notified].sort()).toEqual(treated.slice(2).sort());
    for (const call of harness.sandbox.notifications) {
      expect(call.fragment).toMatch(/^quiz\?campaign=quiz-unfinished&variant=(a|b)$/);
      expect(call.userIds.length).toBeLessThanOrEqual(100);
    }
    const row = await deliveryOf(harness, treated[2]!);
    expect(row).toMatchObject({
      status: 'sent',
      slot: 1,
      text: harness.sandbox.notifications[0]?.text ?? expect.any(String),
    });
    // The send key was claimed: the user's notification for the day is recorded with the campaign.
    const [ledger] = await harness.stack.store.read((r) => r.notifications.listByUser(treated[2]!, 1));
    expect(ledger).toMatchObject({
      day: '2026-11-18',
      slot: 1,
      kind: 'campaign',
      campaign: 'quiz-unfinished',
      status: 'sent',
    });
  });

  it('records the control group without sending to it, and measures opens and returns against it', async () => {
    const held: number[] = [];
    for (let id = 7000; held.length < 3; id++) if (assignVariant(quiz, id) === CONTROL) held.push(id);
    const treated = treatedIds(7000, 3);
    await seed(harness, [...held, ...treated]);
    await harness.stack.fireDispatcher();
    await drainNotify(harness);
    expect(notifiedUsers(harness).some((id) => held.includes(id))).toBe(false);
    expect(await deliveryOf(harness, held[0]!)).toMatchObject({
      variant: CONTROL,
      status: 'control',
      text: null,
    });

    // The next day one treated user opens the notification, one control user comes back on their own.
    await harness.advance(DAY);
    const opener = treated[0]!;
    const variant = (await deliveryOf(harness, opener))!.variant;
    const at = new Date(harness.stack.clock.now()).toISOString();
    await harness.api('POST', '/api/events', {
      user: opener,
      body: {
        events: [
          { id: 'o1', name: 'notification_open', at, props: { campaign: 'quiz-unfinished', variant } },
        ],
      },
    });
    await harness.api('POST', '/api/events', {
      user: held[0]!,
      body: { events: [{ id: 'h1', name: 'app_open', at }] },
    });
    const stats = await harness.api('GET', '/api/ops/stats', { operatorToken: ADMIN_TOKEN });
    expect(stats.status).toBe(200);
    const results = (
      stats.body.campaigns.campaigns as Array<{ campaign: string; variants: Array<Record<string, unknown>> }>
    ).find((entry) => entry.campaign === 'quiz-unfinished')!;
    const control = results.variants.find((v) => v.variant === CONTROL)!;
    expect(control).toMatchObject({ assigned: 3, sent: 0, returned: 1 });
    const opened = results.variants.find((v) => v.variant === variant)!;
    // The open alone is the notification's own click, not a return (lib/dispatcher/responses.ts).
    expect(opened).toMatchObject({ opened: 1, returned: 0 });
    expect(opened.ctr).toBeCloseTo(1 / (opened.delivered as number));
    expect(typeof opened.upliftPoints).toBe('number');
  });

  it('keeps consent, preferences and quiet hours, counts campaigns only, and leaves VK’s last slot to ticket updates', async () => {
    const [allowed, noConsent, remindersOff, quiet, capped, updatedOnce] = treatedIds(9000, 6);
    await seed(harness, [allowed!, updatedOnce!]);
    await seed(harness, [noConsent!], { notificationsAllowed: false });
    await seed(harness, [remindersOff!], {
      notificationTypes: { ticketUpdates: true, reminders: false, news: true },
    });
    await seed(harness, [quiet!], { quietHours: { from: '11:00', to: '14:00' } });
    await seed(harness, [capped!]);
    const ticketUpdate = (userId: number, slot: number, hoursAgo: number) =>
      harness.stack.store.transaction((r) =>
        r.notifications.claim({
          userId,
          day: '2026-11-18',
          slot,
          kind: 'ticket_update',
          campaign: null,
          variant: null,
          text: `Ответ по обращению A-${slot}`,
          status: 'sent',
          createdAt: harness.stack.clock.now() - hoursAgo * HOUR,
          updatedAt: harness.stack.clock.now() - hoursAgo * HOUR,
        }),
      );
    // One ticket update this morning doesn't count against the campaigns' cap (NOTIFY_DAILY_CAP = 1)…
    await ticketUpdate(updatedOnce!, 1, 3);
    // …but after two, a campaign would take VK's third and last: that one waits for ticket updates.
    await ticketUpdate(capped!, 1, 5);
    await ticketUpdate(capped!, 2, 3);
    const run = (await harness.stack.fireDispatcher()) as { report: { skipped: Record<string, number> } };
    await drainNotify(harness);
    expect(notifiedUsers(harness)).toEqual([allowed, updatedOnce]);
    expect(run.report.skipped).toMatchObject({ type_off: 1, quiet_hours: 1, daily_cap: 1 });
    // Without consent a user isn't even looked at (the stream holds consenting users only).
    expect(await deliveryOf(harness, noConsent!)).toBeNull();
  });

  it('sends a redelivered batch once, and a batch whose answers were lost once, with the same random_id', async () => {
    const treated = treatedIds(11000, 4);
    await seed(harness, treated);
    // Every attempt of the first call takes effect at VK but its answer is lost (HTTP 500).
    harness.sandbox.injectFault({ method: 'notifications.sendMessage', error: 'lost_answer', times: 4 });
    await harness.stack.fireDispatcher();
    const sendCalls = () =>
      harness.sandbox.calls.filter((call) => call.method === 'notifications.sendMessage');
    await waitFor(() => sendCalls().length >= 4);
    await new Promise((resolve) => setTimeout(resolve, 300)); // the handler gives up and throws
    expect(await deliveryOf(harness, treated[0]!)).toMatchObject({ status: 'claimed' });
    // The batch is back after the visibility timeout; the retry repeats the very same call.
    harness.stack.clock.advance(31_000);
    await drainNotify(harness);
    const calls = harness.sandbox.calls.filter((call) => call.method === 'notifications.sendMessage');
    expect(new Set(calls.map((call) => call.params.random_id)).size).toBe(
      harness.sandbox.notifications.length,
    );
    expect(calls.some((call) => call.outcome === 'duplicate')).toBe(true);
    const notified = notifiedUsers(harness);
    expect(notified.sort()).toEqual([...treated].sort());
    for (const userId of treated) expect(await deliveryOf(harness, userId)).toMatchObject({ status: 'sent' });

    // A batch delivered again (SQS is at-least-once) changes nothing.
    const rows = await Promise.all(treated.map((userId) => deliveryOf(harness, userId)));
    const batch: CampaignBatch = {
      kind: 'campaign-batch',
      day: '2026-11-18',
      campaign: 'quiz-unfinished',
      variant: rows[0]!.variant,
      text: rows[0]!.text!,
      fragment: 'quiz?campaign=quiz-unfinished&variant=a',
      userIds: treated,
    };
    await Promise.all([
      harness.stack.notify.handleMessage(JSON.stringify(batch)),
      harness.stack.notify.handleMessage(JSON.stringify(batch)),
    ]);
    expect(notifiedUsers(harness)).toHaveLength(treated.length);
  });

  it('backs off on flood control (9): the batch waits and goes once later', async () => {
    const treated = treatedIds(13000, 3);
    await seed(harness, treated);
    harness.sandbox.injectFault({ method: 'notifications.sendMessage', error: 9, times: 1 });
    await harness.stack.fireDispatcher();
    await drainNotify(harness);
    expect(notifiedUsers(harness)).toEqual([]);
    expect((await harness.stack.queue.depth('notify')).delayed).toBeGreaterThan(0);
    for (const userId of treated)
      expect(await deliveryOf(harness, userId)).toMatchObject({ status: 'planned', slot: null });
    harness.stack.clock.advance(61_000);
    await drainNotify(harness);
    expect(notifiedUsers(harness).sort()).toEqual([...treated].sort());
  });

  it("records VK's per-user results and stops trying users whose notifications are off", async () => {
    const [ok, off, notInstalled, limited] = treatedIds(15000, 4);
    await seed(harness, [ok!, off!, notInstalled!, limited!]);
    harness.sandbox.notificationsOff.add(off!);
    harness.sandbox.appNotInstalled.add(notInstalled!);
    // VK already delivered one to this user in the last hour, as far as VK knows (another app sender).
    await fetch(`${harness.sandbox.apiUrl}/notifications.sendMessage`, {
      method: 'POST',
      body: new URLSearchParams({
        user_ids: String(limited),
        message: 'Не наш текст',
        v: '5.199',
        access_token: 't',
      }),
    });
    harness.sandbox.notifications.length = 0;
    await harness.stack.fireDispatcher();
    await drainNotify(harness);
    expect(await deliveryOf(harness, ok!)).toMatchObject({ status: 'sent' });
    expect(await deliveryOf(harness, off!)).toMatchObject({ status: 'notifications_off' });
    expect(await deliveryOf(harness, notInstalled!)).toMatchObject({ status: 'app_not_installed' });
    expect(await deliveryOf(harness, limited!)).toMatchObject({ status: 'hourly_limit' });
    expect(await harness.stack.store.read((r) => r.users.get(off!))).toMatchObject({
      notificationsAllowed: false,
    });
    // Days later the same segment would match, but the user who turned notifications off is not tried.
    await harness.stack.store.transaction(async (r) => {
      for (const userId of [ok!, off!])
        await r.events.append([
          {
            userId,
            eventId: `again-${userId}`,
            name: 'quiz_start',
            occurredAt: harness.stack.clock.now() + 7 * DAY,
            screen: null,
            props: {},
          },
        ]);
    });
    harness.stack.clock.advance(9 * DAY + MINUTE);
    harness.sandbox.notifications.length = 0;
    await harness.stack.fireDispatcher();
    await drainNotify(harness);
    expect(notifiedUsers(harness)).toEqual([ok]);
  });

  it('leaves a live run alone and resumes a dead one from its checkpoint', async () => {
    const treated = treatedIds(17000, 4);
    await seed(harness, treated);
    const now = harness.stack.clock.now();
    const runState = (heartbeatAt: number) => ({
      key: 'dispatch:2026-11-18',
      value: {
        runId: 'other',
        campaign: null,
        startedAt: now - HOUR,
        heartbeatAt,
        cursor: treated[1],
        finishedAt: null,
        report: null,
      },
      createdAt: now - HOUR,
      expiresAt: now + 30 * DAY,
    });
    await harness.stack.store.transaction((r) => r.claims.put(runState(now - MINUTE)));
    expect(await harness.stack.fireDispatcher()).toMatchObject({ started: false });
    // No checkpoint for 10 minutes: that run died; this one takes over after its cursor.
    await harness.stack.store.transaction((r) => r.claims.put(runState(now - 10 * MINUTE)));
    expect(await harness.stack.fireDispatcher()).toMatchObject({ started: true, report: { users: 2 } });
    await drainNotify(harness);
    expect(notifiedUsers(harness).sort()).toEqual(treated.slice(2).sort());
  });
});

describe('notify-dispatcher: counts under retried transactions', () => {
  it('a transaction YDB aborts and runs again counts its sends once', async () => {
    const store = new ConflictingStore(':memory:');
    const harness = await startBotStack({ start: WEDNESDAY_NOON_MSK, store });
    try {
      const treated = treatedIds(21000, 3);
      await seed(harness, treated);
      const now = harness.stack.clock.now();
      const variant = assignVariant(quiz, treated[0]!);
      const users = treated.filter((userId) => assignVariant(quiz, userId) === variant);
      await store.transaction(async (r) => {
        for (const userId of users) {
          await r.deliveries.plan({
            userId,
            campaign: 'quiz-unfinished',
            day: '2026-11-18',
            variant,
            status: 'planned',
            detail: null,
            text: 'Вы не закончили квиз',
            slot: null,
            sendKey: null,
            plannedAt: now,
            claimedAt: null,
            openedAt: null,
            returnedAt: null,
            goalAt: null,
            updatedAt: now,
          });
        }
      });
      store.conflicts = 100; // every transaction from here on is aborted once and run again
      const outcome = await harness.stack.notify.handleMessage(
        JSON.stringify({
          kind: 'campaign-batch',
          day: '2026-11-18',
          campaign: 'quiz-unfinished',
          variant,
          text: 'Вы не закончили квиз',
          fragment: 'quiz',
          userIds: users,
        }),
      );
      expect(store.aborted).toBeGreaterThanOrEqual(2);
      expect(outcome?.results).toEqual({ sent: users.length });
      expect(notifiedUsers(harness).sort()).toEqual([...users].sort());
    } finally {
      store.conflicts = 0;
      await harness.stack.close();
    }
  });
});

describe('notify-dispatcher: bounded reads and transactions', () => {
  /** A store that measures the largest events read and the most plan rows one transaction writes. */
  class MeasuringStore extends ConflictingStore {
    largestEventsRead = 0;
    mostPlansInOneTransaction = 0;
    override async transaction<T>(work: (r: Repositories) => Promise<T>, options?: TransactionOptions) {
      return super.transaction((r) => work(this.#measured(r)), options);
    }
    override read<T>(work: (r: Repositories) => Promise<T>) {
      return super.read((r) => work(this.#measured(r)));
    }
    #measured(r: Repositories): Repositories {
      let plans = 0;
      return {
        ...r,
        events: {
          ...r.events,
          listForUsers: async (range) => {
            const rows = await r.events.listForUsers(range);
            this.largestEventsRead = Math.max(this.largestEventsRead, rows.length);
            return rows;
          },
        },
        deliveries: {
          ...r.deliveries,
          plan: async (delivery) => {
            this.mostPlansInOneTransaction = Math.max(this.mostPlansInOneTransaction, ++plans);
            return r.deliveries.plan(delivery);
          },
        },
      };
    }
  }

  it('reads a page of users’ events a bounded number at a time and writes plans in small transactions, deciding the same', async () => {
    const store = new MeasuringStore(':memory:');
    const now = WEDNESDAY_NOON_MSK;
    const users = treatedIds(31000, 7);
    await store.transaction(async (r) => {
      for (const userId of users) {
        await r.users.put(
          newUserRecord(userId, now - 10 * DAY, { notificationsAllowed: true, language: 'ru' }),
        );
        const events = Array.from({ length: 5 }, (_, i) => ({
          userId,
          eventId: `view-${userId}-${i}`,
          name: 'screen_view',
          occurredAt: now - 2 * DAY + i * MINUTE,
          screen: 'home',
          props: {},
        }));
        await r.events.append([
          ...events,
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
    const batches: CampaignBatch[] = [];
    const report = await planCampaigns(
      {
        store,
        clock: { now: () => now },
        settings: { dailyCap: 1, timezone: 'Europe/Moscow', defaultQuietHours: null },
        enqueue: async (sent) => void batches.push(...sent),
      },
      { campaigns: shippedCampaigns(), dryRun: false, eventsPerRead: 4, plansPerTransaction: 3 },
    );
    expect(store.largestEventsRead).toBeLessThanOrEqual(4);
    expect(store.mostPlansInOneTransaction).toBeLessThanOrEqual(3);
    // Every user's quiz_start was found across the reads: each is planned for the unfinished quiz.
    const planned = report.planned['quiz-unfinished'] ?? {};
    expect(Object.values(planned).reduce((sum, n) => sum + n, 0)).toBe(users.length);
    expect(batches.flatMap((batch) => batch.userIds).sort()).toEqual([...users].sort());
    await store.close();
  });
});
