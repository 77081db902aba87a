import { type BotStack, startBotStack } from '../support/bot-harness';

/** A user the mini app only logs events for is still a user: registered with their launch consent. */
describe('POST /api/events registers the user', () => {
  let bot: BotStack;
  beforeAll(async () => {
    bot = await startBotStack();
  });
  afterAll(async () => {
    await bot.close();
  });

  it('creates an event-only user with the consent their launch params carry, once', async () => {
    const user = 9101;
    expect(await bot.store.read((r) => r.users.get(user))).toBeNull();
    const events = [{ id: 'open-1', name: 'app_open', at: bot.clock.now() }];
    expect((await bot.api('POST', '/api/events', { user, body: { events } })).status).toBe(202);
    const stored = await bot.store.read((r) => r.users.get(user));
    // The dev launch params say vk_are_notifications_enabled=1 and vk_language=ru.
    expect(stored).toMatchObject({ userId: user, notificationsAllowed: true, language: 'ru' });
    expect((await bot.api('POST', '/api/events', { user, body: { events } })).body).toEqual({
      received: 1,
      stored: 0,
    });
    expect(await bot.store.read((r) => r.users.get(user))).toEqual(stored);
  });

  it('stores nothing, the user included, for a batch refused as invalid', async () => {
    const user = 9102;
    const bad = [{ id: 'x', name: 'drop_table', at: bot.clock.now() }];
    expect((await bot.api('POST', '/api/events', { user, body: { events: bad } })).status).toBe(400);
    expect(await bot.store.read((r) => r.users.get(user))).toBeNull();
  });
});
