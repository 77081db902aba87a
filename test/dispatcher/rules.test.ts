import { type Campaign, CONTROL, compileCampaigns, shippedCampaigns } from '../../lib/campaigns/campaign';
import { assignVariant, factsNeeded, matches, type UserFacts } from '../../lib/campaigns/segment';
import { DAY, HOUR, MINUTE } from '../../lib/clock';
import { BatchCollector, type CampaignBatch } from '../../lib/dispatcher/batch';
import {
  type AudienceSettings,
  decide,
  inPriorityOrder,
  type UserSnapshot,
} from '../../lib/dispatcher/decide';
import { capVerdict } from '../../lib/notifications/daily-cap';
import type { NotificationRecord, UserRecord } from '../../lib/storage/port';

/** Wednesday 2026-11-18, 12:00 in Moscow. */
const NOW = Date.UTC(2026, 10, 18, 9, 0);
const settings: AudienceSettings = {
  dailyCap: 1,
  timezone: 'Europe/Moscow',
  defaultQuietHours: { from: '22:00', to: '09:00' },
};
const campaign = (id: string) => shippedCampaigns().find((c) => c.id === id)!;
const facts = (
  events: Array<[string, number]>,
  resolvedTickets: UserFacts['resolvedTickets'] = [],
): UserFacts => ({
  events: events
    .map(([name, ago]) => ({ name, occurredAt: NOW - ago }))
    .sort((a, b) => a.occurredAt - b.occurredAt),
  resolvedTickets,
});
const user = (userId: number, changes: Partial<UserRecord> = {}): UserRecord => ({
  userId,
  language: 'ru',
  messagesAllowed: null,
  notificationsAllowed: true,
  notificationTypes: { ticketUpdates: true, reminders: true, news: true },
  quietHours: null,
  timezone: null,
  firstName: 'Анна',
  createdAt: 0,
  updatedAt: 0,
  ...changes,
});
const notification = (changes: Partial<NotificationRecord>): NotificationRecord => ({
  userId: 1,
  day: '2026-11-18',
  slot: 1,
  kind: 'ticket_update',
  campaign: null,
  variant: null,
  text: 'x',
  status: 'sent',
  createdAt: NOW - 2 * HOUR,
  updatedAt: NOW - 2 * HOUR,
  ...changes,
});

describe('segment rules', () => {
  const quiz = campaign('quiz-unfinished').segment;
  const lapsed = campaign('lapsed-week').segment;
  const unrated = campaign('rate-resolved-ticket').segment;

  it('"started the quiz 1–3 days ago and has not finished it since"', () => {
    expect(matches(quiz, facts([['quiz_start', 2 * DAY]]), NOW)).toBe(true);
    expect(matches(quiz, facts([['quiz_start', 12 * HOUR]]), NOW)).toBe(false); // too recent
    expect(matches(quiz, facts([['quiz_start', 4 * DAY]]), NOW)).toBe(false); // too old
    expect(
      matches(
        quiz,
        facts([
          ['quiz_start', 2 * DAY],
          ['quiz_finish', DAY],
        ]),
        NOW,
      ),
    ).toBe(false);
    // A finish before the latest start doesn't count: they started again and left again.
    expect(
      matches(
        quiz,
        facts([
          ['quiz_start', 2.9 * DAY],
          ['quiz_finish', 2.5 * DAY],
          ['quiz_start', 2 * DAY],
        ]),
        NOW,
      ),
    ).toBe(true);
  });

  it('"active in the previous 7 days but not in the last 3"', () => {
    expect(matches(lapsed, facts([['app_open', 5 * DAY]]), NOW)).toBe(true);
    expect(
      matches(
        lapsed,
        facts([
          ['app_open', 5 * DAY],
          ['screen_view', 2 * DAY],
        ]),
        NOW,
      ),
    ).toBe(false);
    expect(matches(lapsed, facts([['app_open', 8 * DAY]]), NOW)).toBe(false);
    expect(matches(lapsed, facts([]), NOW)).toBe(false);
  });

  it('"has a ticket resolved 1–5 days ago without a rating"', () => {
    expect(matches(unrated, facts([], [{ resolvedAt: NOW - 2 * DAY, rated: false }]), NOW)).toBe(true);
    expect(matches(unrated, facts([], [{ resolvedAt: NOW - 2 * DAY, rated: true }]), NOW)).toBe(false);
    expect(matches(unrated, facts([], [{ resolvedAt: NOW - 6 * DAY, rated: false }]), NOW)).toBe(false);
  });

  it('counts events with atLeast and moves with the clock', () => {
    const twice = { event: 'button_click', daysAgo: [0, 2] as [number, number], atLeast: 2 };
    const clicks = facts([
      ['button_click', HOUR],
      ['button_click', DAY],
    ]);
    expect(matches(twice, clicks, NOW)).toBe(true);
    expect(matches(twice, clicks, NOW + 1.5 * DAY)).toBe(false); // the older click left the window
  });

  it('loads only as much history as the rules look at', () => {
    expect(factsNeeded(shippedCampaigns())).toEqual({ eventDays: 7, ticketDays: 5 });
  });
});

describe('variants', () => {
  it('assigns a variant from (user, campaign) alone, the same every time', () => {
    const quiz = campaign('quiz-unfinished');
    for (const userId of [1, 42, 1_000_003])
      expect(assignVariant(quiz, userId)).toBe(assignVariant(quiz, userId));
  });

  it('splits users by the weights and holds out the control share', () => {
    const quiz = campaign('quiz-unfinished'); // 10 % control, a and b equally
    const counts: Record<string, number> = {};
    for (let userId = 1; userId <= 20_000; userId++) {
      const variant = assignVariant(quiz, userId);
      counts[variant] = (counts[variant] ?? 0) + 1;
    }
    expect(counts[CONTROL]! / 20_000).toBeCloseTo(0.1, 1);
    expect(Math.abs(counts.a! - counts.b!) / 20_000).toBeLessThan(0.03);
    const weighted = compileCampaigns({
      campaigns: [
        {
          ...definitionOf('quiz-unfinished'),
          controlPercent: 0,
          variants: [
            { id: 'a', weight: 3, texts: { ru: ['A'], en: ['A'] } },
            { id: 'b', weight: 1, texts: { ru: ['B'], en: ['B'] } },
          ],
        },
      ],
    })[0]!;
    let a = 0;
    for (let userId = 1; userId <= 20_000; userId++) if (assignVariant(weighted, userId) === 'a') a++;
    expect(a / 20_000).toBeCloseTo(0.75, 1);
  });
});

describe('the daily decision for one user', () => {
  const byPriority = inPriorityOrder(shippedCampaigns());
  const quizFacts = facts([['quiz_start', 2 * DAY]]);
  const snapshot = (changes: Partial<UserSnapshot> = {}): UserSnapshot => ({
    user: user(100),
    facts: quizFacts,
    notifications: [],
    deliveries: [],
    ...changes,
  });
  // A user id that lands in a sent variant of the quiz campaign, not its control group.
  const treated = [...Array(200).keys()]
    .map((i) => i + 1)
    .find((id) => assignVariant(campaign('quiz-unfinished'), id) !== CONTROL)!;
  const held = [...Array(200).keys()]
    .map((i) => i + 1)
    .find((id) => assignVariant(campaign('quiz-unfinished'), id) === CONTROL)!;

  it('picks the matching campaign with the highest priority and renders its text', () => {
    const both = facts([['quiz_start', 2 * DAY]], [{ resolvedAt: NOW - 2 * DAY, rated: false }]);
    const decision = decide(snapshot({ user: user(treated), facts: both }), byPriority, NOW, settings);
    expect(decision).toMatchObject({
      kind: expect.stringMatching(/send|control/),
      campaign: { id: 'rate-resolved-ticket' },
    });
    const quizOnly = decide(snapshot({ user: user(treated) }), byPriority, NOW, settings);
    expect(quizOnly).toMatchObject({ kind: 'send', campaign: { id: 'quiz-unfinished' } });
    if (quizOnly.kind === 'send') expect(quizOnly.text.length).toBeLessThanOrEqual(254);
  });

  it('puts the control group in the plan without a text', () => {
    expect(decide(snapshot({ user: user(held) }), byPriority, NOW, settings)).toMatchObject({
      kind: 'control',
      campaign: { id: 'quiz-unfinished' },
    });
  });

  it('skips users without consent, in quiet hours, with the notification type off, or at the cap', () => {
    const reason = (changes: Partial<UserSnapshot>, now = NOW) => {
      const decision = decide(snapshot({ user: user(treated), ...changes }), byPriority, now, settings);
      return decision.kind === 'skip' ? decision.reason : decision.kind;
    };
    expect(reason({ user: user(treated, { notificationsAllowed: false }) })).toBe('consent');
    expect(reason({}, Date.UTC(2026, 10, 18, 20, 0))).toBe('quiet_hours'); // 23:00 in Moscow: the default
    expect(reason({ user: user(treated, { quietHours: { from: '11:00', to: '13:00' } }) })).toBe(
      'quiet_hours',
    );
    expect(
      reason({
        user: user(treated, { notificationTypes: { ticketUpdates: true, reminders: false, news: true } }),
      }),
    ).toBe('type_off');
    // A campaign earlier today used the campaigns' one a day; a ticket update doesn't count against it.
    expect(reason({ notifications: [notification({ userId: treated, kind: 'campaign' })] })).toBe(
      'daily_cap',
    );
    expect(reason({ notifications: [notification({ userId: treated })] })).toBe('send');
    // Yesterday's doesn't count, but one 20 minutes ago trips VK's hourly limit even across midnight.
    expect(reason({ notifications: [notification({ userId: treated, day: '2026-11-17' })] })).toBe('send');
    expect(
      reason({
        notifications: [notification({ userId: treated, day: '2026-11-17', createdAt: NOW - 20 * MINUTE })],
      }),
    ).toBe('hourly_limit');
  });

  it('keeps the cooldown: not the same campaign again within its days, control group included', () => {
    const delivery = (day: string) => ({
      userId: treated,
      campaign: 'quiz-unfinished',
      day,
      variant: 'a',
      status: 'sent' as const,
      detail: null,
      text: 'x',
      slot: 1,
      sendKey: null,
      plannedAt: 0,
      claimedAt: null,
      openedAt: null,
      returnedAt: null,
      goalAt: null,
      updatedAt: 0,
    });
    const kind = (day: string) => {
      const decision = decide(
        snapshot({ user: user(treated), deliveries: [delivery(day)] }),
        byPriority,
        NOW,
        settings,
      );
      return decision.kind === 'skip' ? decision.reason : decision.kind;
    };
    expect(kind('2026-11-12')).toBe('cooldown'); // 6 days ago, cooldown 7
    expect(kind('2026-11-11')).toBe('send'); // 7 days ago
  });

  it('never repeats the last text: the next alternative goes, and with none left the campaign is skipped', () => {
    const first = decide(snapshot({ user: user(treated) }), byPriority, NOW, settings);
    if (first.kind !== 'send') throw new Error('expected a send');
    const last = notification({ userId: treated, day: '2026-11-10', text: first.text, kind: 'campaign' });
    const second = decide(
      snapshot({ user: user(treated), notifications: [last] }),
      byPriority,
      NOW,
      settings,
    );
    expect(second).toMatchObject({ kind: 'send', campaign: { id: 'quiz-unfinished' } });
    if (second.kind === 'send') expect(second.text).not.toBe(first.text);

    const single: Campaign = compileCampaigns({
      campaigns: [
        {
          ...definitionOf('quiz-unfinished'),
          controlPercent: 0,
          variants: [{ id: 'a', weight: 1, texts: { ru: ['Квиз ждёт'], en: ['Quiz'] } }],
        },
      ],
    })[0]!;
    const repeated = notification({ userId: treated, day: '2026-11-10', text: 'Квиз ждёт' });
    expect(
      decide(snapshot({ user: user(treated), notifications: [repeated] }), [single], NOW, settings),
    ).toEqual({
      kind: 'skip',
      reason: 'repeat_text',
    });
  });

  it('renders the personal name, with the fallback when VK gave none, in the user language', () => {
    const named = decide(snapshot({ user: user(treated, { firstName: 'Пётр' }) }), byPriority, NOW, settings);
    const english = decide(
      snapshot({ user: user(treated, { firstName: null, language: 'en' }) }),
      byPriority,
      NOW,
      settings,
    );
    if (named.kind !== 'send' || english.kind !== 'send') throw new Error('expected sends');
    if (named.variant.id === 'a') expect(named.text).toMatch(/^Пётр, /);
    expect(english.text).toMatch(/^(Hi, |Find out|Your quiz)/);
  });
});

describe('the daily cap', () => {
  const campaigns = (campaignCap: number) => ({ kind: 'campaign' as const, campaignCap });
  const updates = { kind: 'ticket_update' as const };
  const today = (slot: number, ago: number, kind: NotificationRecord['kind'] = 'campaign') =>
    notification({ slot, createdAt: NOW - ago, kind });

  it('hands campaigns the lowest free slot up to their cap, never within an hour of the last', () => {
    expect(capVerdict([], NOW, campaigns(1))).toEqual({ slot: 1 });
    expect(capVerdict([today(1, 2 * HOUR)], NOW, campaigns(1))).toEqual({ refused: 'daily_cap' });
    expect(capVerdict([today(1, 2 * HOUR)], NOW, campaigns(2))).toEqual({ slot: 2 });
    expect(capVerdict([today(1, 30 * MINUTE)], NOW, campaigns(2))).toEqual({ refused: 'hourly_limit' });
    expect(capVerdict([today(2, 3 * HOUR)], NOW, campaigns(2))).toEqual({ slot: 1 }); // slot 1 was given back
  });

  it('counts only campaigns against NOTIFY_DAILY_CAP, and keeps the last of VK’s 3 for ticket updates', () => {
    const updateToday = today(1, 3 * HOUR, 'ticket_update');
    expect(capVerdict([updateToday], NOW, campaigns(1))).toEqual({ slot: 2 });
    expect(capVerdict([updateToday, today(2, 2 * HOUR)], NOW, campaigns(2))).toEqual({
      refused: 'daily_cap',
    });
    // The campaign took today's slot: a ticket update still has VK's other two.
    expect(capVerdict([today(1, 2 * HOUR)], NOW, updates)).toEqual({ slot: 2 });
    expect(capVerdict([today(1, 4 * HOUR), today(2, 2 * HOUR, 'ticket_update')], NOW, updates)).toEqual({
      slot: 3,
    });
    const three = [
      today(1, 6 * HOUR),
      today(2, 4 * HOUR, 'ticket_update'),
      today(3, 2 * HOUR, 'ticket_update'),
    ];
    expect(capVerdict(three, NOW, updates)).toEqual({ refused: 'daily_cap' });
    expect(capVerdict([today(1, 20 * MINUTE)], NOW, updates)).toEqual({ refused: 'hourly_limit' });
  });
});

describe('batches', () => {
  it('groups users by campaign, variant and text, 100 a batch, with open groups bounded', async () => {
    const flushed: CampaignBatch[] = [];
    const collector = new BatchCollector(async (batches) => {
      flushed.push(...batches);
    }, 3);
    const base = { day: '2026-11-18', campaign: 'c', variant: 'a', fragment: 'f' };
    for (let id = 1; id <= 250; id++) await collector.add({ ...base, text: 'same' }, id);
    for (let id = 1; id <= 5; id++) await collector.add({ ...base, text: `personal ${id}` }, 1000 + id);
    await collector.flushAll();
    const same = flushed.filter((batch) => batch.text === 'same');
    expect(same.map((batch) => batch.userIds.length)).toEqual([100, 100, 50]);
    expect(flushed.flatMap((batch) => batch.userIds)).toHaveLength(255);
    expect(new Set(flushed.flatMap((batch) => batch.userIds)).size).toBe(255);
  });
});

function definitionOf(id: string) {
  const source = (require('../../content/campaigns.json') as { campaigns: Array<Record<string, unknown>> })
    .campaigns;
  return source.find((c) => c.id === id)!;
}
