import { ADMIN_TOKEN, type BotStack, startBotStack } from '../support/bot-harness';

/**
 * FZ-152 where the bot collects a contact: the question says why it is asked, who keeps it and how
 * long; a contact given after it is the user's consent, stamped on the ticket.
 */
let bot: BotStack;
afterEach(async () => {
  await bot?.close();
});

async function upToTheContactQuestion(userId: number, options: { langId?: number } = {}) {
  await bot.says(userId, 'меню', options);
  await bot.press(userId, bot.lastTo(userId), { c: 'cat', id: 'bug' });
  await bot.says(userId, 'Приложение падает при открытии профиля', options);
  return bot.lastTo(userId);
}

describe('the contact question of the ticket intake', () => {
  it('tells why the contact is asked, who keeps it and for how long, and stamps the consent of a contact given', async () => {
    bot = await startBotStack({ environment: { PERSONAL_DATA_RETENTION_DAYS: '30' } });
    const question = await upToTheContactQuestion(701);
    expect(question.text).toContain('e-mail или телефон');
    expect(question.text).toContain('чтобы ответить на обращение');
    expect(question.text).toContain('оператор персональных данных');
    expect(question.text).toContain('30 дней после закрытия обращения');

    const typedAt = bot.clock.now();
    await bot.says(701, 'anna@example.ru');
    await bot.press(701, bot.lastTo(701), { c: 'send' });
    const number = /Обращение (B-\d+) создано/.exec(bot.lastTo(701).text)?.[1];
    const { ticket } = await bot.stack.tickets.threadForUser(701, number!);
    expect(ticket.details).toMatchObject({ contact: 'anna@example.ru', contactConsentAt: typedAt });
  });

  it('shows operators one contact shape whoever took it: the bot’s typed string and the form’s fields', async () => {
    bot = await startBotStack();
    await upToTheContactQuestion(704);
    const typedAt = bot.clock.now();
    await bot.says(704, '8 (900) 123-45-67');
    await bot.press(704, bot.lastTo(704), { c: 'send' });
    const chatNumber = /Обращение (B-\d+) создано/.exec(bot.lastTo(704).text)?.[1];
    const form = await bot.api('POST', '/api/tickets', {
      user: 705,
      body: {
        category: 'bug',
        subject: 'Белый экран',
        description: 'Профиль не открывается',
        contact: { email: 'Anna@Example.ru', phone: '+7 900 765-43-21' },
        consent: true,
      },
    });
    const contactOf = async (number: string) =>
      (await bot.api('GET', `/api/ops/tickets/${number}`, { operatorToken: ADMIN_TOKEN })).body.contact;
    expect(await contactOf(chatNumber ?? '')).toEqual({
      email: null,
      phone: '+79001234567',
      consentAt: new Date(typedAt).toISOString(),
    });
    expect(await contactOf(form.body.number)).toEqual({
      email: 'anna@example.ru',
      phone: '+79007654321',
      consentAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    const noContact = await bot.api('POST', '/api/tickets', {
      user: 706,
      body: { category: 'bug', subject: 'Белый экран', description: 'Профиль не открывается' },
    });
    expect(await contactOf(noContact.body.number)).toBeNull();
  });

  it('shows the notice in English to an English-speaking user', async () => {
    bot = await startBotStack();
    const question = await upToTheContactQuestion(702, { langId: 3 });
    expect(question.text).toContain('for 180 days after the ticket is closed');
  });

  it('stores neither a contact nor a consent when the user skips the question', async () => {
    bot = await startBotStack();
    const question = await upToTheContactQuestion(703);
    await bot.press(703, question, { c: 'skip' });
    await bot.press(703, bot.lastTo(703), { c: 'send' });
    const number = /Обращение (B-\d+) создано/.exec(bot.lastTo(703).text)?.[1];
    const { ticket } = await bot.stack.tickets.threadForUser(703, number!);
    expect(ticket.details.contact).toBeUndefined();
    expect(ticket.details.contactConsentAt).toBeUndefined();
  });
});
