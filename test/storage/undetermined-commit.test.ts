import { MINUTE } from '../../lib/clock';
import { type BotStack, OPERATOR_TOKEN, startBotStack } from '../support/bot-harness';
import { UndeterminedCommitStore } from '../support/undetermined-commit-store';

/**
 * What happens when a commit went through but its answer was lost, and the store does what YDB's
 * SDK would: the work guarded by a claim runs again and recognises its own claim; anything else fails
 * rather than run twice. Before this, every transaction was re-run: an operator's reply was stored and
 * sent twice, and a callback's committed reply sat pending until the rescue timer (20 minutes).
 */
describe('a commit whose answer was lost', () => {
  let bot: BotStack | undefined;
  afterEach(async () => {
    await bot?.close();
    bot = undefined;
  });

  it('a callback: the turn is applied once and its reply goes out at once, not after the rescue', async () => {
    const store = new UndeterminedCommitStore(':memory:');
    bot = await startBotStack({ store });
    store.armed.push(({ claimKeys }) => claimKeys.some((key) => key.startsWith('vk-event:')));
    const delivery = await bot.says(701, 'привет');
    expect(store.reruns).toBe(1);
    expect(delivery).toMatchObject({ status: 200 });
    expect(bot.sentTo(701)).toHaveLength(1);
    expect(bot.lastTo(701).text).toMatch(/User701/);
    // Nothing is left for the rescue to send again.
    await bot.advance(25 * MINUTE);
    expect(bot.sentTo(701)).toHaveLength(1);
    const dialog = await bot.store.read((r) => r.dialogs.get(701));
    expect(dialog).not.toBeNull();
  });

  it('an operator reply over the API: stored once, never sent twice, and the API says it may have been saved', async () => {
    const store = new UndeterminedCommitStore(':memory:');
    bot = await startBotStack({ store });
    const user = 7_000_001;
    bot.sandbox.allowed.add(user);
    const operatorToken = OPERATOR_TOKEN;
    const created = await bot.api('POST', '/api/tickets', {
      user,
      body: {
        category: 'question',
        subject: 'Как сменить тариф?',
        description: 'Хочу перейти на годовой тариф, где это сделать?',
      },
    });
    const number = created.body.number as string;
    await bot.api('POST', `/api/ops/tickets/${number}/assign`, { operatorToken, body: {} });

    store.armed.push(({ options }) => !options.idempotent);
    const reply = await bot.api('POST', `/api/ops/tickets/${number}/messages`, {
      operatorToken,
      body: { text: 'Откройте «Настройки» → «Тариф»', internal: false },
    });
    expect(reply.status).toBe(503);
    expect(reply.body).toMatchObject({ status: 503 });
    expect(store.reruns).toBe(0);

    const thread = await bot.api('GET', `/api/tickets/${number}`, { user });
    expect(thread.body.messages.filter((m: { text: string }) => m.text.includes('Настройки'))).toHaveLength(
      1,
    );
    await bot.advance(30 * MINUTE);
    const told = bot.sentTo(user).filter((m) => m.text.includes('Настройки'));
    expect(told.length).toBeLessThanOrEqual(1);
  });
});
