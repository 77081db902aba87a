import { DAY, HOUR, MINUTE } from '../../lib/clock';
import type { UserRecord } from '../../lib/storage/port';
import { userUpdatesKey } from '../../lib/tickets/update-digest';
import { newUserRecord } from '../../lib/users/account';
import { type BotStack, OPERATOR_TOKEN, startBotStack, WEDNESDAY_NOON_MSK } from '../support/bot-harness';

jest.setTimeout(120_000);

/**
 * Ticket updates through the local stack: the user hears of every reply and status change, within
 * VK's allowance (1 notification an hour, 3 a day) and outside quiet hours, pending ones as one
 * digest, never dropped; campaigns don't take their budget.
 */
describe('ticket updates: their own budget, quiet hours, digests', () => {
  let harness: BotStack;
  beforeEach(async () => {
    harness = await startBotStack({ start: WEDNESDAY_NOON_MSK });
  });
  afterEach(async () => {
    await harness.close();
  });

  const seedUser = (userId: number, changes: Partial<UserRecord>) => {
    // VK lets the community write only to users who allowed it (`message_allow`): so does the sandbox.
    if (changes.messagesAllowed) harness.sandbox.allowed.add(userId);
    return harness.store.transaction((r) =>
      r.users.put(
        newUserRecord(userId, harness.clock.now() - DAY, {
          language: 'ru',
          firstName: 'Анна',
          notificationsAllowed: true,
          ...changes,
        }),
      ),
    );
  };
  const file = async (userId: number) => {
    const created = await harness.api('POST', '/api/tickets', {
      user: userId,
      body: { category: 'question', subject: 'Не приходит код', description: 'Жду код уже час' },
    });
    expect(created.status).toBe(201);
    return created.body.number as string;
  };
  const operator = (path: string, body: unknown) =>
    harness.api('POST', path, { operatorToken: OPERATOR_TOKEN, body });
  const reply = (number: string, text: string) => operator(`/api/ops/tickets/${number}/messages`, { text });
  const setStatus = (number: string, status: string) =>
    operator(`/api/ops/tickets/${number}/status`, { status });
  const notificationsTo = (userId: number) =>
    harness.sandbox.notifications.filter((notification) => notification.userIds.includes(userId));
  const textsTo = (userId: number) => notificationsTo(userId).map((notification) => notification.text);

  it('sends a user without messages every update: one an hour, pending ones as one digest, the fourth when VK’s day allows, never the same text twice', async () => {
    const user = 501;
    await seedUser(user, { messagesAllowed: false });
    const number = await file(user);
    await setStatus(number, 'in_progress');
    expect(textsTo(user)).toEqual([`Обращение ${number}: взято в работу`]);

    // Ten minutes later the operator asks a question: VK's hourly limit holds it, nothing is dropped.
    await harness.advance(10 * MINUTE);
    expect((await reply(number, 'Какая у вас версия приложения?')).status).toBe(201);
    await setStatus(number, 'waiting_for_user');
    await harness.advance(45 * MINUTE);
    expect(notificationsTo(user)).toHaveLength(1);
    await harness.advance(15 * MINUTE);
    expect(notificationsTo(user).at(-1)).toMatchObject({
      text: `${number}: 1 ответ оператора, статус — ждём вашего ответа`,
      fragment: `ticket=${encodeURIComponent(number)}`,
    });

    await reply(number, 'Попробуйте перезапустить приложение');
    await harness.advance(HOUR + 15 * MINUTE);
    expect(textsTo(user)).toHaveLength(3);
    expect(textsTo(user).at(-1)).toBe(`Новый ответ по обращению ${number}`);

    // VK's three a day are spent: the fourth waits until the first is a day old (12:00 Moscow).
    await reply(number, 'Мы выпустили исправление');
    await harness.advance(21 * HOUR + 30 * MINUTE); // 11:45 Moscow, Thursday
    expect(textsTo(user)).toHaveLength(3);
    await harness.advance(30 * MINUTE);
    expect(textsTo(user)).toEqual([
      `Обращение ${number}: взято в работу`,
      `${number}: 1 ответ оператора, статус — ждём вашего ответа`,
      `Новый ответ по обращению ${number}`,
      // VK refuses a text the user got last: the same news in other words.
      `${number}: 1 ответ оператора`,
    ]);
    const state = await harness.store.read((r) => r.claims.get(userUpdatesKey(user), harness.clock.now()));
    expect(state?.value).toMatchObject({ pending: [], inflight: null });
  });

  it('holds a notification past the default quiet hours (22:00–09:00 Moscow)', async () => {
    const user = 504;
    await seedUser(user, { messagesAllowed: false });
    const number = await file(user);
    await harness.advance(11 * HOUR); // 23:00 Moscow
    await reply(number, 'Ответим утром подробнее');
    await harness.advance(9 * HOUR + 45 * MINUTE); // 08:45
    expect(textsTo(user)).toEqual([]);
    await harness.advance(30 * MINUTE);
    expect(textsTo(user)).toEqual([`Новый ответ по обращению ${number}`]);
  });

  it('sends each chat update once, with no repeated call, when an operator changes the status quickly', async () => {
    const user = 505;
    await seedUser(user, { messagesAllowed: true });
    const number = await file(user);
    const before = harness.sandbox.calls.length;
    await Promise.all(
      ['in_progress', 'waiting_for_user', 'in_progress', 'resolved'].map((status, i) =>
        new Promise((resolve) => setTimeout(resolve, i * 5)).then(() => setStatus(number, status)),
      ),
    );
    await harness.advance(2 * MINUTE);
    const sends = harness.sandbox.calls
      .slice(before)
      .filter(
        (call) =>
          JSON.stringify(call.params).includes(`peer_id\\":${user}`) || call.params.peer_id === String(user),
      );
    expect(sends.length).toBeGreaterThan(0);
    expect(sends.filter((call) => call.outcome === 'duplicate')).toEqual([]);
    expect(
      harness
        .sentTo(user)
        .map((message) => message.text)
        .join('\n'),
    ).toContain(`${number}`);
  });

  it('leaves ticket updates their budget when a campaign went out today', async () => {
    const user = 502;
    await seedUser(user, { messagesAllowed: null });
    // This morning's campaign: the campaigns' one a day is spent, VK's allowance is not.
    await harness.store.transaction((r) =>
      r.notifications.claim({
        userId: user,
        day: '2026-11-18',
        slot: 1,
        kind: 'campaign',
        campaign: 'quiz-unfinished',
        variant: 'a',
        text: 'Вы не закончили тест',
        status: 'sent',
        createdAt: harness.clock.now() - 2 * HOUR,
        updatedAt: harness.clock.now() - 2 * HOUR,
      }),
    );
    const number = await file(user);
    await setStatus(number, 'in_progress');
    expect(textsTo(user)).toEqual([`Обращение ${number}: взято в работу`]);
  });

  it('holds chat replies past quiet hours as one message with every reply, unless the user is writing right then', async () => {
    const user = 503;
    await seedUser(user, { messagesAllowed: true });
    const number = await file(user);
    await harness.advance(10 * HOUR + 30 * MINUTE); // 22:30 Moscow
    const before = harness.sentTo(user).length;
    await reply(number, 'Уточните, пожалуйста, модель телефона');
    await harness.advance(10 * MINUTE);
    await reply(number, 'И версию Android');
    await harness.advance(HOUR);
    expect(harness.sentTo(user)).toHaveLength(before);

    await harness.advance(9 * HOUR + 30 * MINUTE); // 09:10 Moscow
    const digest = harness.sentTo(user).slice(before);
    expect(digest).toHaveLength(1);
    expect(digest[0]?.text).toBe(
      `📬 ${number}: 2 ответа оператора\n\n💬 Уточните, пожалуйста, модель телефона\n\n💬 И версию Android`,
    );

    // The next night the user writes on the ticket and the operator answers at once: no waiting.
    await harness.advance(14 * HOUR); // 23:10 Moscow
    await harness.api('POST', `/api/tickets/${number}/messages`, {
      user,
      body: { text: 'Samsung A52, Android 14' },
    });
    await reply(number, 'Спасибо, передали разработчикам');
    expect(harness.lastTo(user).text).toBe(
      `💬 Ответ по обращению ${number}:\n\nСпасибо, передали разработчикам`,
    );
  });
});
