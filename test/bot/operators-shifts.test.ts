import { HOUR } from '../../lib/clock';
import { DEFAULT_SHIFT_MS } from '../../lib/tickets/routing';
import { startShift } from '../../lib/tickets/shifts';
import { ADMIN_TOKEN, type BotStack, OPERATORS_CHAT, startBotStack } from '../support/bot-harness';

/**
 * Routing, priority and shifts (issue 19, item 8), through the local stack: a category names its own
 * operators' chat (content/support.json `"chat": "payments"`, OPERATORS_CHATS maps it), operators mark
 * themselves on shift there, and new tickets of the chat go round them. The dev operators 1 (User1)
 * and 2 (User2) sit in every operators' chat of the sandbox.
 */
const PAYMENTS_CHAT = 2000000003;
const environment = { OPERATORS_CHATS: `payments=${PAYMENTS_CHAT}` };

let bot: BotStack;
afterEach(async () => {
  await bot?.close();
});

/** A user files a ticket in a category through "talk to an operator"; its number. */
async function fileIn(userId: number, category: string, text: string): Promise<string> {
  await bot.says(userId, 'меню');
  await bot.press(userId, bot.lastTo(userId), { c: 'operator' });
  await bot.press(userId, bot.lastTo(userId), { c: 'cat', id: category });
  await bot.says(userId, text);
  const confirmation = bot
    .sentTo(userId)
    .slice(-2)
    .find((message) => /Обращение [A-Z]-\d+/.test(message.text));
  const number = confirmation && /Обращение ([A-Z]-\d+)/.exec(confirmation.text)?.[1];
  if (!number) throw new Error(`no ticket: ${bot.lastTo(userId).text}`);
  return number;
}

const ticketOf = async (number: string) => (await bot.stack.tickets.thread(number)).ticket;
const cardOf = (peerId: number, number: string) =>
  bot.sentTo(peerId).find((message) => message.text.includes(` ${number} · `));
const command = async (peerId: number, operatorId: number, text: string) => {
  await bot.sandbox.memberWritesInChat(peerId, operatorId, text);
  await bot.settle();
  return bot.lastTo(peerId).text;
};

describe('shifts in an operators’ chat', () => {
  it('answers /shift on, /shift off and /shift in Russian, in the chat it was asked in, in either spelling', async () => {
    bot = await startBotStack({ environment });
    expect(await command(PAYMENTS_CHAT, 1, '/shift')).toBe(
      '👥 На смене никого: новые обращения ждут, пока их возьмут.',
    );
    // A shift ends on its own after OPERATOR_SHIFT_HOURS (12 by default): the answer says when.
    expect(await command(PAYMENTS_CHAT, 1, '/shift on')).toBe(
      '🟢 User1 на смене: новые обращения этого чата приходят по очереди. Смена закончится сама завтра в 0:00, раньше — /shift off.',
    );
    expect(await command(PAYMENTS_CHAT, 1, '/shift on')).toBe('User1, вы уже на смене (до завтра в 0:00).');
    expect(await command(PAYMENTS_CHAT, 2, '/смена вкл')).toMatch(/^🟢 User2 на смене: /);
    expect(await command(PAYMENTS_CHAT, 2, '/Смена')).toBe(
      '👥 На смене: User1 (сегодня в 12:00, до завтра в 0:00), User2 (сегодня в 12:00, до завтра в 0:00).',
    );
    expect(await command(PAYMENTS_CHAT, 1, '/shift off')).toBe('⚪ User1 закончил(а) смену.');
    expect(await command(PAYMENTS_CHAT, 1, '/смена выкл')).toBe('User1, вы не на смене.');
    expect(await command(PAYMENTS_CHAT, 1, '/shift maybe')).toMatch(/^Смена: \/shift on/);
    // A shift is per chat: the default chat has nobody on shift, and its answers stay there.
    expect(await command(OPERATORS_CHAT, 2, '/shift')).toBe(
      '👥 На смене никого: новые обращения ждут, пока их возьмут.',
    );
    expect(bot.sentTo(PAYMENTS_CHAT).filter((m) => m.text.startsWith('👥'))).toHaveLength(2);
  });

  it('refuses /shift from someone who is not a member of the chat', async () => {
    bot = await startBotStack({ environment });
    await bot.sandbox.memberWritesInChat(PAYMENTS_CHAT, 77, '/shift on');
    await bot.settle();
    expect(bot.sentTo(PAYMENTS_CHAT)).toHaveLength(0);
    expect(await bot.store.read((r) => r.shifts.listByChat(PAYMENTS_CHAT, 10))).toEqual([]);
  });

  it('ends a shift on its own after OPERATOR_SHIFT_HOURS: nobody forgotten on shift gets new tickets', async () => {
    bot = await startBotStack({ environment: { ...environment, OPERATOR_SHIFT_HOURS: '2' } });
    expect(await command(PAYMENTS_CHAT, 1, '/shift on')).toContain('закончится сама сегодня в 14:00');
    await bot.advance(2 * HOUR);
    expect(await command(PAYMENTS_CHAT, 1, '/shift')).toBe(
      '👥 На смене никого: новые обращения ждут, пока их возьмут.',
    );
    const unassigned = await fileIn(1441, 'payment', 'Не проходит оплата');
    expect(await ticketOf(unassigned)).toMatchObject({ assigneeId: null, status: 'new' });
    // Back on shift: a new one, with its own end.
    expect(await command(PAYMENTS_CHAT, 1, '/shift on')).toContain('закончится сама сегодня в 16:00');
    const assigned = await fileIn(1442, 'payment', 'Не проходит оплата');
    expect((await ticketOf(assigned)).assigneeId).toBe(1);
  });

  it('ends the shift of an operator who leaves the chat or is removed from it, and forgets them as a member', async () => {
    bot = await startBotStack({ environment });
    await command(PAYMENTS_CHAT, 1, '/shift on');
    await command(PAYMENTS_CHAT, 2, '/shift on');
    // VK's service message: chat_kick_user, member 2, by member 1 (an admin of the chat removes them).
    await bot.sandbox.memberLeavesChat(PAYMENTS_CHAT, 2, 1);
    await bot.settle();
    expect(bot.lastTo(PAYMENTS_CHAT).text).toBe('⚪ Смена User2 закончена: вышел(а) из чата.');
    const numbers = [await fileIn(1451, 'payment', 'Оплата'), await fileIn(1452, 'payment', 'Оплата')];
    expect((await Promise.all(numbers.map(ticketOf))).map((t) => t.assigneeId)).toEqual([1, 1]);
    // No longer a member: their commands are not the chat's business.
    const before = bot.sentTo(PAYMENTS_CHAT).length;
    await bot.sandbox.memberWritesInChat(PAYMENTS_CHAT, 2, '/shift on');
    await bot.settle();
    expect(bot.sentTo(PAYMENTS_CHAT)).toHaveLength(before);
    // Added back, they may come on shift again; leaving by themselves ends it too, said once.
    await bot.sandbox.memberJoinsChat(PAYMENTS_CHAT, 2, 1);
    expect(await command(PAYMENTS_CHAT, 2, '/shift on')).toMatch(/^🟢 User2 на смене/);
    await bot.sandbox.memberLeavesChat(PAYMENTS_CHAT, 2);
    await bot.sandbox.memberLeavesChat(PAYMENTS_CHAT, 1, 1);
    await bot.settle();
    expect(
      bot
        .sentTo(PAYMENTS_CHAT)
        .slice(-2)
        .map((m) => m.text),
    ).toEqual(['⚪ Смена User2 закончена: вышел(а) из чата.', '⚪ Смена User1 закончена: вышел(а) из чата.']);
    expect(await bot.store.read((r) => r.shifts.listByChat(PAYMENTS_CHAT, 10))).toEqual([]);
  });
});

describe('routing new tickets', () => {
  it("posts a category's cards in its own chat with their priority, where operators act on them; other categories stay in the default chat", async () => {
    bot = await startBotStack({ environment });
    const payment = await fileIn(1401, 'payment', 'Не проходит оплата картой');
    const question = await fileIn(1402, 'question', 'Как сменить язык?');
    const card = cardOf(PAYMENTS_CHAT, payment);
    expect(card?.text).toMatch(/^🆕 💳 P-\d+ · Оплата\n/);
    expect(card?.text.split('\n').at(-1)).toBe('🟠 Приоритет: высокий');
    expect(cardOf(OPERATORS_CHAT, payment)).toBeUndefined();
    expect(cardOf(OPERATORS_CHAT, question)?.text.split('\n').at(-1)).toBe('🟢 Приоритет: обычный');
    // Each chat's /queue lists its own tickets.
    const queueOf = async (peerId: number) => (await command(peerId, 1, '/queue')).split('\n');
    const paymentsQueue = await queueOf(PAYMENTS_CHAT);
    expect(paymentsQueue[0]).toBe('📋 Очередь: новых 1, в работе 0, ждут пользователя 0.');
    expect(paymentsQueue.slice(1).join('\n')).toContain(payment);
    expect(paymentsQueue.slice(1).join('\n')).not.toContain(question);
    const defaultQueue = await queueOf(OPERATORS_CHAT);
    expect(defaultQueue[0]).toBe('📋 Очередь: новых 1, в работе 0, ждут пользователя 0.');
    expect(defaultQueue.slice(1).join('\n')).toContain(question);
    // The card's buttons work in its chat, and a reply to it reaches the user.
    if (!card) throw new Error('no card');
    await bot.press(2, card, { c: 'op', a: 'take' });
    expect(bot.lastTo(PAYMENTS_CHAT).text).toBe(`👤 ${payment} взял(а) User2.`);
    await bot.sandbox.memberWritesInChat(
      PAYMENTS_CHAT,
      2,
      'Уже проверяем платёж',
      card.conversationMessageId,
    );
    await bot.settle();
    expect(bot.lastTo(1401).text).toContain('Уже проверяем платёж');
    // The user's next message is relayed where the card is.
    await bot.says(1401, 'Номер заказа 123');
    expect(bot.lastTo(PAYMENTS_CHAT).text).toContain(`✉️ ${payment} · `);
  });

  it('makes a ticket urgent by its words, on the card and in the operators’ API, which filters by priority', async () => {
    bot = await startBotStack({ environment });
    const urgent = await fileIn(1411, 'bug', 'Здравствуйте! Деньги списали дважды, а премиум не включился');
    const calm = await fileIn(1412, 'bug', 'Кнопка «Назад» не работает');
    expect(cardOf(OPERATORS_CHAT, urgent)?.text.split('\n').at(-1)).toBe('🔴 Приоритет: срочный');
    expect((await ticketOf(urgent)).details.priority).toBe('urgent');
    expect((await ticketOf(calm)).details.priority).toBe('normal');

    const queue = await bot.api('GET', '/api/ops/tickets', { operatorToken: ADMIN_TOKEN });
    const priorities = Object.fromEntries(
      (queue.body.tickets as Array<{ number: string; priority: string }>).map((t) => [t.number, t.priority]),
    );
    expect(priorities).toMatchObject({ [urgent]: 'urgent', [calm]: 'normal' });
    const filtered = await bot.api('GET', '/api/ops/tickets?priority=urgent', { operatorToken: ADMIN_TOKEN });
    expect(filtered.body.tickets.map((t: { number: string }) => t.number)).toEqual([urgent]);
    const view = await bot.api('GET', `/api/ops/tickets/${urgent}`, { operatorToken: ADMIN_TOKEN });
    expect(view.body.priority).toBe('urgent');
    const bad = await bot.api('GET', '/api/ops/tickets?priority=asap', { operatorToken: ADMIN_TOKEN });
    expect(bad.status).toBe(400);

    // The user's later words raise the calm one: its card's last line follows, edited in place.
    expect(cardOf(OPERATORS_CHAT, calm)?.text.split('\n').at(-1)).toBe('🟢 Приоритет: обычный');
    await bot.says(1412, 'И ещё у меня списали деньги дважды');
    await bot.settle();
    expect((await ticketOf(calm)).details.priority).toBe('urgent');
    expect(cardOf(OPERATORS_CHAT, calm)?.text.split('\n').at(-1)).toBe('🔴 Приоритет: срочный');
  });

  it('assigns new tickets of a chat round-robin among those on shift there, as an assignment by the system', async () => {
    bot = await startBotStack({ environment });
    await command(PAYMENTS_CHAT, 1, '/shift on');
    await command(PAYMENTS_CHAT, 2, '/shift on');
    const numbers: string[] = [];
    for (const userId of [1421, 1422, 1423])
      numbers.push(await fileIn(userId, 'payment', 'Не проходит оплата'));
    const tickets = await Promise.all(numbers.map(ticketOf));
    expect(tickets.map((t) => [t.assigneeId, t.status])).toEqual([
      [1, 'in_progress'],
      [2, 'in_progress'],
      [1, 'in_progress'],
    ]);
    // The card shows who has it, by name.
    expect(cardOf(PAYMENTS_CHAT, numbers[1] ?? '')?.text).toContain('взял(а) User2');
    const first = await bot.stack.tickets.thread(numbers[0] ?? '');
    expect(first.statusChanges.map((c) => [c.to, c.changedBy])).toEqual([
      ['new', expect.stringMatching(/^user/)],
      ['in_progress', 'system'],
    ]);
    const audit = await bot.store.read((r) => r.audit.listBySubject(`ticket:${first.ticket.ticketId}`, 10));
    expect(audit.map((a) => [a.action, a.actor, a.details.to])).toEqual([['ticket.assign', 'system', 1]]);
    // The user is not told of the assignment: only the ticket's confirmation went to them.
    expect(bot.sentTo(1421).filter((m) => m.text.includes('взято в работу'))).toHaveLength(0);

    // Off shift, out of the rotation; nobody on shift in the default chat: unassigned as before.
    await command(PAYMENTS_CHAT, 1, '/shift off');
    const next = await fileIn(1424, 'payment', 'Не проходит оплата');
    expect((await ticketOf(next)).assigneeId).toBe(2);
    const question = await fileIn(1425, 'question', 'Как сменить язык?');
    expect(await ticketOf(question)).toMatchObject({ assigneeId: null, status: 'new' });
  });

  it('never gives two tickets filed at once to one operator while another on shift waits', async () => {
    bot = await startBotStack({ environment });
    await bot.store.transaction(async (r) => {
      for (const operatorId of [1, 2, 3, 4])
        await startShift(
          r,
          { chatPeerId: PAYMENTS_CHAT, operatorId, name: null },
          bot.clock.now(),
          DEFAULT_SHIFT_MS,
        );
    });
    expect(bot.stack.tickets.settings.operatorsChats.byKey).toEqual({ payments: PAYMENTS_CHAT });
    const created = await Promise.all(
      [1431, 1432, 1433, 1434].map((userId) =>
        bot.stack.tickets.create({
          userId,
          channel: 'app',
          category: 'payment',
          subject: 'Оплата',
          description: 'Не проходит оплата',
          attachments: [],
          details: {},
        }),
      ),
    );
    expect(created.map((c) => c.ticket.assigneeId).sort()).toEqual([1, 2, 3, 4]);
  });
});
