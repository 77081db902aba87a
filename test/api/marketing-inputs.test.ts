import { ADMIN_TOKEN, type BotStack, startBotStack } from '../support/bot-harness';

jest.setTimeout(60_000);

/** Inputs a marketer or the mini app gets wrong, answered clearly (found trying issue 20 as a user). */
describe('marketing inputs', () => {
  let bot: BotStack;
  beforeAll(async () => {
    bot = await startBotStack();
  });
  afterAll(async () => {
    await bot.close();
  });

  it('refuses a broadcast segment naming an event the app never sends, instead of reaching no one', async () => {
    const answer = await bot.api('POST', '/api/ops/broadcasts?dryRun=1', {
      operatorToken: ADMIN_TOKEN,
      body: { text: 'Сбой оплаты', audience: { segment: { event: 'quiz_strat', daysAgo: [0, 3] } } },
    });
    expect(answer.status).toBe(400);
    expect(JSON.stringify(answer.body)).toContain('unknown event \\"quiz_strat\\"');
  });

  it('stores a timezone under its canonical name', async () => {
    const answer = await bot.api('PUT', '/api/me/preferences', {
      user: 9101,
      body: { timezone: 'asia/vladivostok' },
    });
    expect(answer.status).toBe(200);
    expect(answer.body.timezone).toBe('Asia/Vladivostok');
    expect((await bot.store.read((r) => r.users.get(9101)))?.timezone).toBe('Asia/Vladivostok');
  });

  it('says an event from the future is in the future', async () => {
    const at = new Date(bot.clock.now() + 10 * 60_000).toISOString();
    const answer = await bot.api('POST', '/api/events', {
      user: 9102,
      body: { events: [{ id: 'f1', name: 'app_open', at }] },
    });
    expect(answer.status).toBe(400);
    expect(answer.body.errors).toEqual([
      { path: 'body.events.0.at', message: 'is in the future (more than 5 minutes ahead)' },
    ]);
  });
});
