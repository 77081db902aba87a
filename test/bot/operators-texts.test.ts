import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ts from 'typescript';
import { ticketErrorText, ticketErrorTexts } from '../../lib/bot/operators/ticket-errors';
import { catalog, render, type TextKey, textVariables } from '../../lib/i18n/catalog';
import { type BotStack, OPERATORS_CHAT, startBotStack } from '../support/bot-harness';

/** The codes `TicketError` is declared with, read off its constructor's first parameter. */
function declaredTicketErrorCodes(): string[] {
  const path = join(__dirname, '../../lib/tickets/errors.ts');
  const source = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, true);
  const codes: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isClassDeclaration(node) && node.name?.text === 'TicketError') {
      const declaration = node.members.find(ts.isConstructorDeclaration);
      const type = declaration?.parameters[0]?.type;
      const members = type && ts.isUnionTypeNode(type) ? type.types : type ? [type] : [];
      for (const member of members) {
        if (ts.isLiteralTypeNode(member) && ts.isStringLiteral(member.literal))
          codes.push(member.literal.text);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return codes;
}

const CYRILLIC = /[а-яё]/i;

describe("the operators' chat's texts", () => {
  it('has a Russian text for every code the ticket service refuses with', () => {
    const codes = declaredTicketErrorCodes();
    expect(codes).toContain('ticket_closed');
    for (const code of codes) {
      expect({ code, covered: Object.hasOwn(ticketErrorTexts, code) }).toEqual({ code, covered: true });
      const text = render('ru', ticketErrorText(code), { number: 'B-1001', status: 'решено ✅' });
      expect(text).toMatch(CYRILLIC);
      expect(text).toContain('B-1001');
      expect(text).not.toContain(code);
    }
    // A code the chat doesn't know yet still reads as Russian, never as the code.
    expect(render('ru', ticketErrorText('brand_new_code'), { number: 'B-1001' })).toMatch(CYRILLIC);
  });

  it('says everything in the catalog in both languages, with the same variables', () => {
    const keys = Object.keys(catalog.ru).filter((key) => key.startsWith('ops.')) as TextKey[];
    expect(keys.length).toBeGreaterThan(30);
    for (const key of keys) expect([key, textVariables('en', key)]).toEqual([key, textVariables('ru', key)]);
  });
});

describe("refusals in the operators' chat", () => {
  let bot: BotStack;
  afterEach(async () => {
    await bot?.close();
  });

  const chat = async (from: number, text: string, replyTo?: number) => {
    await bot.sandbox.memberWritesInChat(OPERATORS_CHAT, from, text, replyTo);
    await bot.settle();
    return bot.lastTo(OPERATORS_CHAT).text;
  };

  it('answer errors, unknown commands and missing arguments in Russian, never with a code or English', async () => {
    bot = await startBotStack();
    const { number, card } = await bot.fileTicket(1701);
    const before = bot.sentTo(OPERATORS_CHAT).length;
    await bot.api('POST', `/api/ops/tickets/${number}/status`, {
      operatorToken: 'dev-admin-token-0123456789ab',
      body: { status: 'closed' },
    });

    // The card lost its buttons with the closing; a client that still shows them presses one.
    expect(bot.payloadsOf(card)).toEqual([]);
    await bot.sandbox.memberPressesInChat(OPERATORS_CHAT, 1, { c: 'op', a: 'resolve', t: number });
    await bot.settle();
    expect(bot.lastTo(OPERATORS_CHAT).text).toBe(`⚠️ ${number}: так нельзя, обращение сейчас «закрыто».`);
    expect(bot.sandbox.eventAnswers.at(-1)?.eventData).toEqual({
      type: 'show_snackbar',
      text: `${number}: не вышло, подробности в чате`,
    });
    expect(await chat(1, `/reopen ${number}`)).toBe(`⚠️ ${number}: так нельзя, обращение сейчас «закрыто».`);
    expect(await chat(1, `/take ${number}`)).toBe(`⚠️ ${number} закрыто: менять его уже нельзя.`);
    expect(await chat(1, 'Спасибо, принято', card.conversationMessageId)).toBe(
      `⚠️ ${number} закрыто: менять его уже нельзя.`,
    );
    expect(await chat(1, '/resolve B-9999')).toBe('Обращение B-9999 не найдено.');
    expect(await chat(1, '/take')).toBe('Укажите номер обращения: /take B-1001.');
    expect(await chat(1, '/t greeting')).toBe('Шаблон отправляется ответом на карточку обращения: /t <имя>.');
    expect(await chat(1, '/удалить B-1001')).toMatch(/^Нет команды \/удалить\.\nКоманды: \/queue/);
    expect(await chat(1, '/frobnicate')).toMatch(/^Нет команды \/frobnicate\.\nКоманды:/);

    const said = bot.sentTo(OPERATORS_CHAT).slice(before);
    expect(said.length).toBeGreaterThanOrEqual(9);
    for (const { text } of said) {
      expect(text).toMatch(CYRILLIC);
      // No TicketError code and none of its English messages.
      expect(text).not.toMatch(/\b[a-z]+_[a-z_]+\b|is closed|can't become|No ticket|Unknown/);
    }
  });

  it("explains a template it can't fill in Russian, and sends the user nothing", async () => {
    bot = await startBotStack();
    const { number, card } = await bot.fileTicket(1702);
    const userMessages = bot.sentTo(1702).length;
    // The operator's name is unknown (VK didn't answer users.get): {operator_name} has no fallback.
    bot.sandbox.injectFault({ method: 'users.get', error: 9, times: 10 });
    expect(await chat(2, '/t greeting', card.conversationMessageId)).toBe(
      `⚠️ ${number}: шаблон «greeting» не заполнить — нет значения operator_name.`,
    );
    expect(bot.sentTo(1702)).toHaveLength(userMessages);
  });
});
