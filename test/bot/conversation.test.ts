import { HOUR, MINUTE } from '../../lib/clock';
import { type BotStack, OPERATORS_CHAT, startBotStack, WEDNESDAY_NOON_MSK } from '../support/bot-harness';

let bot: BotStack;
afterEach(async () => {
  await bot?.close();
});

describe('first message', () => {
  it('greets by the time of day in Moscow and shows the main menu with callback buttons in an inline keyboard', async () => {
    bot = await startBotStack({ start: Date.UTC(2026, 10, 18, 5, 30) }); // 08:30 in Moscow
    await bot.says(501, 'привет');
    const reply = bot.lastTo(501);
    expect(reply.text).toMatch(/^Доброе утро, User501!/);
    expect(reply.keyboard).toMatchObject({ inline: true });
    expect(bot.payloadsOf(reply).map((p) => p.c)).toEqual([
      'cat',
      'ask',
      'cat',
      'tickets',
      'faq',
      'operator',
      'lang',
    ]);
    expect(bot.buttonsOf(reply).every((b) => b.action.type === 'callback')).toBe(true);
    expect(bot.buttonsOf(reply)[0]).toMatchObject({
      color: 'primary',
      action: { label: '🐞 Сообщить об ошибке' },
    });
    // The user's name came from users.get once and is kept on the record.
    expect((await bot.store.read((r) => r.users.get(501)))?.firstName).toBe('User501');
  });

  it("asks VK for a user's name once: a known user's next messages go straight to their turn", async () => {
    bot = await startBotStack();
    const lookups = () => bot.sandbox.calls.filter((call) => call.method === 'users.get').length;
    await bot.says(504, 'привет');
    expect(bot.lastTo(504).text).toContain('User504');
    const afterFirst = lookups();
    expect(afterFirst).toBeGreaterThanOrEqual(1);
    await bot.says(504, 'меню');
    await bot.says(504, 'не проходит оплата картой');
    expect(lookups()).toBe(afterFirst);
    expect(bot.sentTo(504)).toHaveLength(3);
  });

  it('uses text buttons where the client has no callback buttons, and a normal keyboard where it has no inline ones', async () => {
    bot = await startBotStack({ start: Date.UTC(2026, 10, 18, 16, 0) }); // 19:00
    await bot.says(502, 'hello', { buttonActions: ['text', 'open_link'], langId: 3 });
    const reply = bot.lastTo(502);
    expect(reply.text).toMatch(/^Good evening, User502!/);
    expect(bot.buttonsOf(reply).every((b) => b.action.type === 'text')).toBe(true);
    expect((await bot.store.read((r) => r.users.get(502)))?.language).toBe('en');
  });

  it('answers a first message that is a question with the knowledge base too, in one message', async () => {
    bot = await startBotStack();
    await bot.says(503, 'не проходит оплата картой');
    const sent = bot.sentTo(503);
    // One answer is one message: the greeting opens it, the article and its buttons follow.
    expect(sent).toHaveLength(1);
    expect(sent[0]!.text).toMatch(/друг|User|!/);
    expect(sent[0]!.text).toContain('Это поддержка');
    expect(sent[0]!.text).toContain('Не проходит оплата');
    expect(JSON.stringify(sent[0]!.keyboard)).toContain('kb_ok');
  });
});

describe('ticket from chat', () => {
  it('walks category → description with photos → contact (re-asked when invalid, never stored) → confirm → ticket', async () => {
    bot = await startBotStack();
    await bot.says(601, 'меню');
    await bot.press(601, bot.lastTo(601), { c: 'cat', id: 'bug' });
    expect(bot.lastTo(601).text).toContain('Опишите');
    await bot.says(601, 'ой');
    expect(bot.lastTo(601).text).toContain('Слишком коротко');
    await bot.says(601, 'Приложение падает при открытии профиля', { photos: 2 });
    expect(bot.lastTo(601).text).toContain('e-mail или телефон');
    await bot.says(601, 'not-an-email@');
    expect(bot.lastTo(601).text).toContain('Пример: name@example.com');
    const dialog = await bot.store.read((r) => r.dialogs.get(601));
    expect(JSON.stringify(dialog)).not.toContain('not-an-email');
    await bot.says(601, '8 (900) 123-45-67');
    const confirm = bot.lastTo(601);
    expect(confirm.text).toContain('📞 +79001234567');
    expect(confirm.text).toContain('Вложений: 2');
    expect(bot.buttonsOf(confirm).map((b) => b.color)).toEqual(['positive', 'negative']);
    await bot.press(601, confirm, { c: 'send' });

    const created = bot.lastTo(601).text;
    const number = /Обращение (B-\d+) создано/.exec(created)?.[1];
    expect(number).toBeDefined();
    expect(created).toMatch(/ответит сегодня до 15:00/); // 2 business hours from 12:00, lunch 13–14 excluded
    // The same ticket the mini app sees, with the photos as references and the contact.
    const thread = await bot.stack.tickets.threadForUser(601, number!);
    expect(thread.ticket).toMatchObject({
      channel: 'chat',
      category: 'bug',
      details: { contact: '+79001234567' },
    });
    expect(thread.messages[0]?.attachments).toHaveLength(2);
    expect(thread.messages[0]?.attachments[0]).toMatch(/^photo601_\d+_k\d+x0$/);
    // A card in the operators' chat with take / resolve / template.
    const card = bot.lastTo(2000000001);
    expect(card.text).toContain(number!);
    expect(card.text).toContain('vk.com/gim100000001?sel=601');
    expect(bot.payloadsOf(card)).toEqual([
      { c: 'op', a: 'take', t: number },
      { c: 'op', a: 'resolve', t: number },
      { c: 'op', a: 'tpl', t: number },
    ]);
  });

  it('talk to an operator: category, one message, ticket with a receipt and a card', async () => {
    bot = await startBotStack();
    await bot.says(602, 'старт');
    await bot.press(602, bot.lastTo(602), { c: 'operator' });
    await bot.press(602, bot.lastTo(602), { c: 'cat', id: 'payment' });
    await bot.says(602, 'Списались деньги, а подписка не появилась');
    expect(bot.lastTo(602).text).toMatch(/Обращение P-\d+ создано. Оператор ответит сегодня до 12:30/);
    expect(bot.lastTo(2000000001).text).toContain('Списались деньги');
  });
});

describe('knowledge base', () => {
  it('offers the best article with "this helped" and "talk to an operator"; helped goes back to the menu', async () => {
    bot = await startBotStack();
    await bot.says(701, 'меню');
    await bot.says(701, 'как отключить уведомления');
    const answer = bot.lastTo(701);
    expect(answer.text).toContain('Как включить или отключить уведомления');
    expect(
      bot
        .buttonsOf(answer)
        .slice(0, 2)
        .map((b) => b.color),
    ).toEqual(['positive', 'primary']);
    await bot.press(701, answer, { c: 'kb_ok' });
    expect(bot.lastTo(701).text).toContain('Рад, что помогло');
    const events = await bot.store.read((r) =>
      r.events.listByUser(701, { since: 0, until: Number.MAX_SAFE_INTEGER, limit: 10 }),
    );
    expect(events.map((e) => e.name)).toContain('kb_helpful');
  });

  it('hands the question over when the article did not help', async () => {
    bot = await startBotStack();
    await bot.says(702, 'меню');
    await bot.says(702, 'приложение зависает на загрузке');
    await bot.press(702, bot.lastTo(702), { c: 'handover' });
    expect(bot.lastTo(702).text).toMatch(/Обращение Q-\d+ создано/);
    expect(bot.lastTo(2000000001).text).toContain('приложение зависает на загрузке');
  });

  it('offers an operator when nothing matches', async () => {
    bot = await startBotStack();
    await bot.says(703, 'меню');
    await bot.says(703, 'квантовая хромодинамика');
    expect(bot.lastTo(703).text).toContain('Готового ответа не нашёл');
    expect(bot.payloadsOf(bot.lastTo(703)).map((p) => p.c)).toEqual(['handover', 'decline']);
  });
});

describe('business hours', () => {
  it('off hours, a message for a human gets one auto-reply a day saying when operators are back', async () => {
    bot = await startBotStack({ start: Date.UTC(2026, 10, 18, 20, 0) }); // Wednesday 23:00 in Moscow
    await bot.says(801, 'меню');
    await bot.press(801, bot.lastTo(801), { c: 'operator' });
    await bot.press(801, bot.lastTo(801), { c: 'cat', id: 'question' });
    await bot.says(801, 'Как перенести покупки на другой аккаунт?');
    const texts = bot.sentTo(801).map((m) => m.text);
    expect(texts.at(-2)).toMatch(/Оператор ответит завтра до 10:00/);
    expect(texts.at(-1)).toBe('🌙 Сейчас нерабочее время. Операторы ответят завтра с 9:00.');
    // The same night: the follow-up goes to the ticket, no second auto-reply.
    bot.clock.advance(30 * MINUTE);
    await bot.says(801, 'И ещё: старый аккаунт удалён');
    expect(bot.sentTo(801).filter((m) => m.text.startsWith('🌙'))).toHaveLength(1);
    // Never while the bot itself handles the dialog (menu, knowledge base).
    await bot.says(801, 'меню');
    expect(bot.sentTo(801).filter((m) => m.text.startsWith('🌙'))).toHaveLength(1);
  });

  it('no off-hours reply within five minutes of an operator answering', async () => {
    bot = await startBotStack({ start: Date.UTC(2026, 10, 18, 20, 0) }); // Wednesday 23:00
    await bot.says(802, 'меню');
    await bot.press(802, bot.lastTo(802), { c: 'operator' });
    await bot.press(802, bot.lastTo(802), { c: 'cat', id: 'question' });
    await bot.says(802, 'Не приходит код подтверждения');
    const card = bot.lastTo(OPERATORS_CHAT);
    // Thursday 23:00: a new day, still off hours. An operator answers from the operators' chat.
    bot.clock.advance(24 * HOUR);
    await bot.sandbox.memberWritesInChat(
      OPERATORS_CHAT,
      1,
      'Проверьте папку «Спам»',
      card.conversationMessageId,
    );
    await bot.settle();
    expect(bot.lastTo(802).text).toContain('Проверьте папку «Спам»');
    bot.clock.advance(2 * MINUTE);
    await bot.says(802, 'Там тоже нет');
    expect(bot.sentTo(802).filter((m) => m.text.startsWith('🌙'))).toHaveLength(1); // Wednesday's only
    bot.clock.advance(10 * MINUTE);
    await bot.says(802, 'Вы тут?');
    expect(bot.sentTo(802).filter((m) => m.text.startsWith('🌙'))).toHaveLength(2);
  });

  it('says "on Monday from 9:00" on a Saturday evening and gives the receipt business-hours aware', async () => {
    bot = await startBotStack({ start: Date.UTC(2026, 10, 21, 14, 0) }); // Saturday 17:00, closed since 15:00
    await bot.says(803, 'меню');
    await bot.press(803, bot.lastTo(803), { c: 'operator' });
    await bot.press(803, bot.lastTo(803), { c: 'cat', id: 'bug' });
    await bot.says(803, 'Не грузится лента с утра');
    expect(bot.lastTo(803).text).toContain('в понедельник с 9:00');
  });
});

describe('language', () => {
  it('switches to English from the menu and keeps it', async () => {
    bot = await startBotStack({ start: WEDNESDAY_NOON_MSK });
    await bot.says(901, 'привет');
    await bot.press(901, bot.lastTo(901), { c: 'lang' });
    await bot.press(901, bot.lastTo(901), { c: 'setlang', l: 'en' });
    expect(bot.lastTo(901).text).toBe('Done, I will write in English.');
    await bot.says(901, 'menu');
    expect(bot.lastTo(901).text).toContain('How can I help?');
    expect((await bot.store.read((r) => r.users.get(901)))?.language).toBe('en');
  });
});
