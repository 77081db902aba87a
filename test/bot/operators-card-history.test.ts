import { randomUUID } from 'node:crypto';
import { CARD_WORDS_MAX } from '../../lib/bot/operators/card';
import { MINUTE } from '../../lib/clock';
import type { TicketRecord } from '../../lib/storage/port';
import { type BotStack, OPERATOR_TOKEN, startBotStack } from '../support/bot-harness';

/** The card in the operators' chat tells who is writing again: earlier tickets and the last rating. */

let bot: BotStack;
afterEach(async () => {
  await bot?.close();
});

/** VK shows a message of up to 4096 characters in one piece; a card is one message, edited whole. */
const VK_MESSAGE_MAX = 4096;

describe("the requester's history on the operators' card", () => {
  it('is absent on a first ticket, then shows the earlier ticket, its status and the last rating', async () => {
    bot = await startBotStack();
    const first = await bot.fileTicket(3401);
    expect(first.card.text).not.toContain('Ранее');

    await bot.api('POST', `/api/ops/tickets/${first.number}/status`, {
      operatorToken: OPERATOR_TOKEN,
      body: { status: 'resolved' },
    });
    await bot.advance(31 * MINUTE); // the CSAT survey goes out
    await bot.says(3401, '4');
    const second = await bot.fileTicket(3401, 'Снова не работает вход');
    expect(second.card.text).toContain(
      `👤 User3401 — vk.com/id3401\n🗂 Ранее: 1 обращение (последнее ${first.number}, решено ✅), последняя оценка: 4 ★\n💬 Снова не работает вход`,
    );

    // An edit of the first card keeps it a first ticket's card: the history is of tickets before it.
    await bot.api('POST', `/api/ops/tickets/${first.number}/status`, {
      operatorToken: OPERATOR_TOKEN,
      body: { status: 'in_progress' },
    });
    expect(first.card.text).toContain('📌 взято в работу');
    expect(first.card.text).not.toContain('Ранее');
  });

  it('counts a few earlier tickets in Russian, and says "больше 5" past what it reads', async () => {
    bot = await startBotStack();
    const earlier = (count: number, userId: number): TicketRecord[] =>
      Array.from({ length: count }, (_, index) => ({
        ticketId: randomUUID(),
        number: `Q-${900 + userId * 10 + index}`,
        userId,
        channel: 'app',
        category: 'question',
        subject: 'Вопрос',
        status: 'closed',
        assigneeId: null,
        details: {},
        createdAt: bot.clock.now() - (count - index) * MINUTE,
        updatedAt: bot.clock.now(),
      }));
    const seeded = [...earlier(3, 34), ...earlier(6, 35)];
    await bot.store.transaction(async (r) => {
      for (const ticket of seeded) await r.tickets.create(ticket);
    });
    expect((await bot.fileTicket(34)).card.text).toContain(
      '🗂 Ранее: 3 обращения (последнее Q-1242, закрыто)\n',
    );
    expect((await bot.fileTicket(35)).card.text).toContain(
      '🗂 Ранее: больше 5 обращений (последнее Q-1255, закрыто)\n',
    );
  });

  it('stays within one VK message: the longest description is cut, the frame and history kept', async () => {
    bot = await startBotStack();
    await bot.fileTicket(3402);
    const words = `${'Очень подробное описание проблемы. '.repeat(120)}`.slice(0, 4000);
    const { card } = await bot.fileTicket(3402, words);
    expect(card.text.length).toBeLessThanOrEqual(VK_MESSAGE_MAX);
    expect(card.text).toContain('🗂 Ранее: 1 обращение');
    expect(card.text).toContain(`💬 ${words.slice(0, CARD_WORDS_MAX - 1)}…`);
    expect(card.text).toContain('📌 принято');
  });
});
