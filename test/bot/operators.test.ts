import { MINUTE } from '../../lib/clock';
import { compileTemplate, renderTemplate, TemplateError } from '../../lib/i18n/template';
import { supportSettings, supportSettingsSchema } from '../../lib/support/settings';
import { type BotStack, OPERATORS_CHAT, startBotStack } from '../support/bot-harness';

let bot: BotStack;
afterEach(async () => {
  await bot?.close();
});

describe('operator in the dialog', () => {
  it("silences the bot while an admin writes, records the answer on the ticket, and ignores the bot's own echoes", async () => {
    bot = await startBotStack();
    const { number } = await bot.fileTicket(1101);
    const sentBefore = bot.sentTo(1101).length;
    await bot.sandbox.adminWrites(7, 1101, 'Здравствуйте! Уже смотрю.');
    await bot.settle();
    // The user writes while the operator is there: no bot reply, but the ticket gets it.
    bot.clock.advance(10 * MINUTE);
    await bot.says(1101, 'меню');
    await bot.says(1101, 'Вот скриншот ошибки', { photos: 1 });
    expect(bot.sentTo(1101).length).toBe(sentBefore + 1); // only the admin's own message
    const thread = await bot.stack.tickets.thread(number);
    expect(thread.messages.map((m) => [m.author, m.text])).toEqual([
      ['user', 'Не работает вход через VK ID'],
      ['operator', 'Здравствуйте! Уже смотрю.'],
      ['user', 'меню'],
      ['user', 'Вот скриншот ошибки'],
    ]);
    expect(thread.ticket.status).toBe('in_progress');
    expect(thread.ticket.details.sla).toMatchObject({ firstRespondedAt: expect.any(Number) });
    // Each operator message renews the pause; after it the bot talks again.
    bot.clock.advance(25 * MINUTE);
    await bot.sandbox.adminWrites(7, 1101, 'Попробуйте сейчас');
    bot.clock.advance(25 * MINUTE);
    await bot.says(1101, 'меню');
    expect(bot.sentTo(1101).length).toBe(sentBefore + 2);
    bot.clock.advance(6 * MINUTE);
    await bot.says(1101, 'меню');
    expect(bot.lastTo(1101).text).toContain('Чем помочь?');
    // The bot's own messages came back as message_reply and changed nothing.
    expect(
      bot.lines.some(
        (l) =>
          l.includes('message_reply') && (l.includes('"outcome":"ignored"') || l.includes('own_message')),
      ),
    ).toBe(true);
  });
});

describe("operators' chat", () => {
  it("relays a reply to a card, takes and resolves with the card's buttons, and answers /status and /queue", async () => {
    bot = await startBotStack();
    const { number, card } = await bot.fileTicket(1201);
    await bot.press(1, card, { c: 'op', a: 'take' });
    expect(bot.lastTo(OPERATORS_CHAT).text).toBe(`👤 ${number} взял(а) User1.`);
    expect(bot.sandbox.eventAnswers.at(-1)?.eventData).toMatchObject({ type: 'show_snackbar' });
    let ticket = (await bot.stack.tickets.thread(number)).ticket;
    expect(ticket).toMatchObject({ status: 'in_progress', assigneeId: 1 });

    bot.clock.advance(MINUTE);
    await bot.sandbox.memberWritesInChat(
      OPERATORS_CHAT,
      1,
      'Сбросьте кэш и войдите снова',
      card.conversationMessageId,
    );
    await bot.settle();
    expect(bot.lastTo(1201).text).toBe('Сбросьте кэш и войдите снова\n\n— User1');
    // The user's answer comes to the chat, where a reply to it relays too.
    await bot.says(1201, 'Не помогло');
    const relayed = bot.lastTo(OPERATORS_CHAT);
    expect(relayed.text).toContain(`✉️ ${number} · User1201: Не помогло`);
    bot.clock.advance(MINUTE);
    await bot.sandbox.memberWritesInChat(
      OPERATORS_CHAT,
      2,
      'Передал разработчикам',
      relayed.conversationMessageId,
    );
    await bot.settle();
    expect(bot.lastTo(1201).text).toContain('Передал разработчикам');

    await bot.sandbox.memberWritesInChat(OPERATORS_CHAT, 2, `/status ${number}`);
    await bot.settle();
    expect(bot.lastTo(OPERATORS_CHAT).text).toMatch(
      new RegExp(`${number} · Задать вопрос · взято в работу\\nНазначено: User1`),
    );
    await bot.sandbox.memberWritesInChat(OPERATORS_CHAT, 2, '/queue');
    await bot.settle();
    expect(bot.lastTo(OPERATORS_CHAT).text).toMatch(/Очередь: новых 0, в работе 1/);
    // As people type them: the Russian names, the number in lower case, without its dash, in Cyrillic.
    const [letter, digits] = number.split('-');
    const cyrillic = { B: 'в', Q: 'Q', P: 'р', S: 'с' }[letter ?? ''] ?? letter;
    for (const typed of [`/статус ${letter?.toLowerCase()}${digits}`, `/Статус ${cyrillic} ${digits}`]) {
      await bot.sandbox.memberWritesInChat(OPERATORS_CHAT, 2, typed);
      await bot.settle();
      expect(bot.lastTo(OPERATORS_CHAT).text).toMatch(
        new RegExp(`${number} · Задать вопрос · взято в работу`),
      );
    }
    await bot.sandbox.memberWritesInChat(OPERATORS_CHAT, 2, '/очередь');
    await bot.settle();
    expect(bot.lastTo(OPERATORS_CHAT).text).toMatch(/Очередь: новых 0, в работе 1/);

    bot.clock.advance(MINUTE);
    await bot.press(2, card, { c: 'op', a: 'resolve' });
    ticket = (await bot.stack.tickets.thread(number)).ticket;
    expect(ticket.status).toBe('resolved');
    const audit = await bot.store.read((r) => r.audit.listBySubject(`ticket:${ticket.ticketId}`, 10));
    expect(audit.map((a) => [a.actor, a.action])).toEqual([
      ['operator:1', 'ticket.assign'],
      ['operator:1', 'ticket.reply'],
      ['operator:2', 'ticket.reply'],
      ['operator:2', 'ticket.status'],
    ]);
    // The user hears of the resolution (deferred ticket update) and the dialog is free again.
    expect(bot.lastTo(1201).text).toBe(`Обращение ${number}: решено ✅`);
    expect((await bot.store.read((r) => r.dialogs.get(1201)))?.state).toBe('idle');
  });

  it('sends a rendered template with /t in a reply to a card, and explains what is wrong instead of sending a gap', async () => {
    bot = await startBotStack();
    const { number, card } = await bot.fileTicket(1301);
    await bot.sandbox.memberWritesInChat(OPERATORS_CHAT, 1, '/t greeting', card.conversationMessageId);
    await bot.settle();
    expect(bot.lastTo(1301).text).toBe(
      `Добрый день, User1301! Меня зовут User1, я помогу разобраться с обращением ${number}.`,
    );
    await bot.sandbox.memberWritesInChat(OPERATORS_CHAT, 1, '/t no-such', card.conversationMessageId);
    await bot.settle();
    expect(bot.lastTo(OPERATORS_CHAT).text).toContain(
      'Нет шаблона «no-such». Есть: greeting, need-details, fixed',
    );
    // The template button lists them.
    await bot.press(1, card, { c: 'op', a: 'tpl' });
    expect(bot.lastTo(OPERATORS_CHAT).text).toContain('• need-details — Нужны подробности');
  });

  it("ignores people outside the operators' chat and forged operator buttons elsewhere", async () => {
    bot = await startBotStack();
    const { number, card } = await bot.fileTicket(1401);
    const chatBefore = bot.sentTo(OPERATORS_CHAT).length;
    await bot.sandbox.memberWritesInChat(OPERATORS_CHAT, 666, 'Вас взломали', card.conversationMessageId);
    await bot.sandbox.memberPressesInChat(OPERATORS_CHAT, 666, { c: 'op', a: 'resolve', t: number });
    // A user forging an operator payload in their own dialog.
    await bot.sandbox.userPressesButton(1401, { c: 'op', a: 'resolve', t: number });
    await bot.sandbox.userSendsMessage(1401, 'решить', { payload: { c: 'op', a: 'take', t: number } });
    await bot.settle();
    expect(bot.sentTo(OPERATORS_CHAT).length).toBe(chatBefore);
    expect((await bot.stack.tickets.thread(number)).ticket.status).toBe('new');
    expect(bot.lines.some((l) => l.includes('not a member'))).toBe(true);
    expect(bot.lines.filter((l) => l.includes('operator_payload_outside_chat'))).toHaveLength(2);
  });
});

describe('templates', () => {
  it('fall back where a value is unknown and refuse unknown variables at load', () => {
    const allowed = new Set(['first_name', 'ticket_number']);
    const template = compileTemplate('Привет, {first_name|друг}! {ticket_number}', allowed);
    expect(renderTemplate(template, { ticket_number: 'B-1001' })).toBe('Привет, друг! B-1001');
    expect(renderTemplate(template, { first_name: 'Аня', ticket_number: 'B-1001' })).toBe(
      'Привет, Аня! B-1001',
    );
    expect(() => renderTemplate(template, { first_name: 'Аня' })).toThrow(TemplateError);
    expect(() => compileTemplate('Hi {frist_name}', allowed)).toThrow(/unknown variable \{frist_name\}/);
    expect(() => compileTemplate('Hi {First_Name}', allowed)).toThrow(/malformed variable/);
    const bad = structuredClone(supportSettings);
    bad.operatorTemplates[0]!.text.ru = 'Здравствуйте, {user_name}!';
    const parsed = supportSettingsSchema.safeParse(bad);
    expect(parsed.success).toBe(false);
    expect(JSON.stringify(parsed.error?.issues)).toContain('unknown variable {user_name}');
  });
});

describe("the team's own talk", () => {
  it('a reply to the /queue list or an alert that names a ticket stays in the chat; only a card or a relayed message speaks to the user', async () => {
    bot = await startBotStack();
    const { number } = await bot.fileTicket(1801);
    const toUser = () => bot.sentTo(1801).length;
    const before = toUser();
    await bot.sandbox.memberWritesInChat(OPERATORS_CHAT, 1, '/queue');
    await bot.settle();
    const queue = bot.lastTo(OPERATORS_CHAT);
    expect(queue.text).toContain(number);
    await bot.sandbox.memberWritesInChat(
      OPERATORS_CHAT,
      2,
      'Коллеги, кто возьмёт?',
      queue.conversationMessageId,
    );
    await bot.settle();
    expect(toUser()).toBe(before);
    const ticket = await bot.store.read((r) => r.tickets.getByNumber(number));
    expect(ticket?.assigneeId ?? null).toBeNull();
  });
});
