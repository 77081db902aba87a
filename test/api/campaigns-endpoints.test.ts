import { campaignResults } from '../../lib/dispatcher/report';
import { utcDay } from '../../lib/notifications/daily-cap';
import type { CampaignDeliveryRecord } from '../../lib/storage/port';
import { ADMIN_TOKEN, type BotStack, OPERATOR_TOKEN, startBotStack } from '../support/bot-harness';

/** Where people look: the campaigns list and one campaign's results, as `npm run notify:report` prints them. */
describe('GET /api/ops/campaigns and /api/ops/campaigns/{id}/results', () => {
  let bot: BotStack;
  beforeAll(async () => {
    bot = await startBotStack();
  });
  afterAll(async () => {
    await bot.close();
  });

  const delivery = (
    userId: number,
    variant: string,
    status: CampaignDeliveryRecord['status'],
    marks: Partial<CampaignDeliveryRecord> = {},
  ): CampaignDeliveryRecord => {
    const now = bot.clock.now();
    return {
      userId,
      campaign: 'quiz-unfinished',
      day: utcDay(now),
      variant,
      status,
      detail: null,
      text: variant === 'control' ? null : 'Квиз ждёт',
      slot: null,
      sendKey: null,
      plannedAt: now,
      claimedAt: null,
      openedAt: null,
      returnedAt: null,
      goalAt: null,
      updatedAt: now,
      ...marks,
    };
  };

  it('lists the daily campaigns and the journeys with kind, channel and state, to any operator', async () => {
    expect((await bot.api('GET', '/api/ops/campaigns')).status).toBe(401);
    const listed = await bot.api('GET', '/api/ops/campaigns', { operatorToken: OPERATOR_TOKEN });
    expect(listed.status).toBe(200);
    const byId = new Map(
      (listed.body.campaigns as Array<{ id: string }>).map((campaign) => [campaign.id, campaign]),
    );
    expect(byId.get('quiz-unfinished')).toEqual({
      id: 'quiz-unfinished',
      kind: 'daily',
      description: expect.any(String),
      channel: 'notification',
      state: 'active',
      goal: { event: 'quiz_finish', withinHours: 48 },
    });
    expect(byId.get('quiz-dropout')).toMatchObject({ kind: 'journey', channel: 'auto', state: 'active' });
  });

  it("reports one campaign's variants against control, the same figures as notify:report", async () => {
    const now = bot.clock.now();
    await bot.store.transaction(async (r) => {
      await r.deliveries.plan(delivery(9201, 'a', 'sent', { openedAt: now, returnedAt: now, goalAt: now }));
      await r.deliveries.plan(delivery(9202, 'a', 'sent'));
      await r.deliveries.plan(delivery(9203, 'b', 'app_not_installed'));
      await r.deliveries.plan(delivery(9204, 'control', 'control', { returnedAt: now }));
    });
    const answer = await bot.api('GET', '/api/ops/campaigns/quiz-unfinished/results', {
      operatorToken: ADMIN_TOKEN,
    });
    expect(answer.status).toBe(200);
    const day = utcDay(now);
    const fromDay = utcDay(now - 13 * 86_400_000);
    expect(answer.body).toMatchObject({ campaign: 'quiz-unfinished', kind: 'daily', toDay: day, fromDay });
    const printed = await bot.store.read((r) => campaignResults(r, { fromDay, toDay: day }));
    const entry = printed.campaigns.find((campaign) => campaign.campaign === 'quiz-unfinished');
    expect(answer.body).toEqual({ fromDay, toDay: day, kind: 'daily', ...entry });
    const a = answer.body.variants.find((variant: { variant: string }) => variant.variant === 'a');
    expect(a).toMatchObject({ assigned: 2, sent: 2, delivered: 2, opened: 1, returned: 1, conversions: 1 });
  });

  it('answers an unknown campaign with 404, a bad range with 400, and a quiet one with no variants', async () => {
    const asOperator = { operatorToken: OPERATOR_TOKEN };
    expect((await bot.api('GET', '/api/ops/campaigns/nope/results', asOperator)).status).toBe(404);
    const reversed = await bot.api(
      'GET',
      '/api/ops/campaigns/lapsed-week/results?from=2026-11-10&to=2026-11-01',
      asOperator,
    );
    expect(reversed.status).toBe(400);
    const quiet = await bot.api(
      'GET',
      '/api/ops/campaigns/lapsed-week/results?from=2026-01-01&to=2026-01-02',
      asOperator,
    );
    expect(quiet.body).toMatchObject({ campaign: 'lapsed-week', variants: [], goal: { event: 'app_open' } });
  });
});
