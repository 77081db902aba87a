import { DAY, HOUR, MINUTE } from '../../lib/clock';
import { escalatedAtOf } from '../../lib/tickets/escalation';
import { slaOf } from '../../lib/tickets/sla';
import { type BotStack, OPERATOR_TOKEN, OPERATORS_CHAT, startBotStack } from '../support/bot-harness';

/**
 * Escalation (issue 19, item 8): a ticket past its SLA is escalated once to the leads' chat, after the
 * SLA alert in the ticket's own chat; like the alert, it is sent before it is marked, under a key of
 * its own, so a failed send is retried and a retried one is never repeated. Through the local stack
 * on a manual clock from Wednesday 12:00 Moscow time: a question owes its first response by 13:00
 * and its resolution by Thursday 11:00; a payment its first response by 12:30.
 */
const PAYMENTS_CHAT = 2000000003;
const LEAD_CHAT = 2000000004;

let bot: BotStack;
afterEach(async () => {
  await bot?.close();
});

const file = async (userId: number, category: string, description = 'Не открывается экран оплаты') =>
  (
    await bot.stack.tickets.create({
      userId,
      channel: 'app',
      category,
      subject: 'Проблема',
      description,
      attachments: [],
      details: {},
    })
  ).ticket;
const escalationsIn = (peerId: number, number: string) =>
  bot.sentTo(peerId).filter((message) => message.text.startsWith(`🚨 Эскалация: ${number} `));
const alertsIn = (peerId: number, number: string) =>
  bot.sentTo(peerId).filter((message) => message.text.startsWith(`⏰ SLA нарушен: ${number} `));
const ticketOf = async (number: string) => (await bot.stack.tickets.thread(number)).ticket;

describe('a ticket past its SLA escalates once to the leads’ chat', () => {
  it('alerts in its own chat and escalates to the leads on the first breach, not again on the second', async () => {
    bot = await startBotStack({
      environment: { OPERATORS_CHATS: `payments=${PAYMENTS_CHAT}`, LEAD_CHAT_PEER_ID: String(LEAD_CHAT) },
    });
    const question = await file(1501, 'question');
    const payment = await file(1502, 'payment', 'Деньги списали, а доступа нет');
    await bot.advance(45 * MINUTE);
    // The payment's first response was due at 12:30: its alert in the payments chat, its escalation to the leads.
    expect(alertsIn(PAYMENTS_CHAT, payment.number)).toHaveLength(1);
    expect(alertsIn(OPERATORS_CHAT, payment.number)).toHaveLength(0);
    expect(escalationsIn(LEAD_CHAT, payment.number).map((message) => message.text)).toEqual([
      `🚨 Эскалация: ${payment.number} (Оплата), нет первого ответа, приоритет — срочный. Назначено: —. Нужна помощь старшего.`,
    ]);
    expect(escalationsIn(LEAD_CHAT, question.number)).toHaveLength(0);

    await bot.advance(24 * HOUR); // past the question's first response and every resolution
    expect(alertsIn(OPERATORS_CHAT, question.number)).toHaveLength(2);
    for (const { number } of [question, payment]) {
      expect(escalationsIn(LEAD_CHAT, number)).toHaveLength(1);
      const ticket = await ticketOf(number);
      expect(escalatedAtOf(ticket)).toEqual(slaOf(ticket)?.breachedAt.firstResponse);
    }
    expect(escalationsIn(OPERATORS_CHAT, question.number)).toHaveLength(0);
  });

  it('escalates to the default operators’ chat when no leads’ chat is set', async () => {
    bot = await startBotStack();
    const { number } = await file(1511, 'question');
    await bot.advance(HOUR + 15 * MINUTE);
    expect(alertsIn(OPERATORS_CHAT, number)).toHaveLength(1);
    expect(escalationsIn(OPERATORS_CHAT, number)).toHaveLength(1);
    expect(escalatedAtOf(await ticketOf(number))).toEqual(expect.any(Number));
  });

  it('is sent on the retry, exactly once, when its send fails, and marked only after it went', async () => {
    // No operators' chat for the ticket: the escalation is the check's only message.
    bot = await startBotStack({
      environment: { OPERATORS_CHAT_PEER_ID: '', LEAD_CHAT_PEER_ID: String(LEAD_CHAT) },
    });
    const { number } = await file(1521, 'question');
    await bot.advance(45 * MINUTE);
    bot.sandbox.injectFault({ method: 'messages.send', error: 10, times: 4 }); // every try of the first run
    await bot.advance(15 * MINUTE); // 13:00, the due time
    expect(escalationsIn(LEAD_CHAT, number)).toHaveLength(0);
    let ticket = await ticketOf(number);
    expect([escalatedAtOf(ticket), slaOf(ticket)?.breachedAt.firstResponse]).toEqual([null, undefined]);
    // An answer lost on the way back: VK sent it, the client retries under the same key, VK drops it.
    bot.sandbox.injectFault({ method: 'messages.send', error: 'lost_answer', times: 1 });
    await bot.advance(HOUR);
    expect(escalationsIn(LEAD_CHAT, number)).toHaveLength(1);
    ticket = await ticketOf(number);
    expect(escalatedAtOf(ticket)).toEqual(expect.any(Number));
    await bot.advance(24 * HOUR);
    expect(escalationsIn(LEAD_CHAT, number)).toHaveLength(1);
  });
});

describe('a reopened ticket owes its new resolution target afresh', () => {
  const resolutionAlerts = (number: string) =>
    alertsIn(OPERATORS_CHAT, number).filter((message) => message.text.includes('не решено в срок'));
  const breachedInQueue = async () =>
    (
      (await bot.api('GET', '/api/ops/tickets?sla=breached', { operatorToken: OPERATOR_TOKEN })).body as {
        tickets: Array<{ number: string }>;
      }
    ).tickets.map((ticket) => ticket.number);

  it('alerts again at the new due time after an earlier breach, exactly once through VK error 10, and escalates once', async () => {
    bot = await startBotStack({ environment: { LEAD_CHAT_PEER_ID: String(LEAD_CHAT) } });
    const filed = await bot.api('POST', '/api/tickets', {
      user: 1531,
      body: { category: 'question', subject: 'Вопрос', description: 'Как поменять тариф?' },
    });
    const number = filed.body.number as string;
    const ops = (path: string, body: unknown) =>
      bot.api('POST', `/api/ops/tickets/${number}${path}`, { operatorToken: OPERATOR_TOKEN, body });
    await ops('/messages', { text: 'Смотрим' }); // answered in time: only the resolution is owed
    await bot.advance(23 * HOUR + 15 * MINUTE); // Thursday 11:15, past the resolution due at 11:00
    expect(resolutionAlerts(number)).toHaveLength(1);
    expect(escalationsIn(LEAD_CHAT, number)).toHaveLength(1);
    const firstBreach = slaOf(await ticketOf(number))?.breachedAt.resolution;
    expect(firstBreach).toEqual(expect.any(Number));
    expect(await breachedInQueue()).toContain(number);

    await ops('/status', { status: 'resolved' });
    const reopened = await bot.api('POST', `/api/tickets/${number}/messages`, {
      user: 1531,
      body: { text: 'Не помогло, тариф прежний' },
    });
    expect(reopened.status).toBe(200);
    let sla = slaOf(await ticketOf(number));
    // A new period: due 8 business hours on (Friday 10:15), nothing breached in it yet, the old breach kept.
    expect(sla).toMatchObject({ resolutionPeriod: 1, earlierResolutionBreaches: [firstBreach] });
    expect(sla?.breachedAt.resolution).toBeUndefined();
    expect(sla?.resolutionDueAt).toBe(bot.clock.now() + 23 * HOUR);
    expect(await breachedInQueue()).not.toContain(number);

    await bot.advance(23 * HOUR - 15 * MINUTE);
    expect(resolutionAlerts(number)).toHaveLength(1);
    bot.sandbox.injectFault({ method: 'messages.send', error: 10, times: 4 }); // the whole first run fails
    await bot.advance(15 * MINUTE); // the new due time
    expect(resolutionAlerts(number)).toHaveLength(1);
    expect(slaOf(await ticketOf(number))?.breachedAt.resolution).toBeUndefined();
    await bot.advance(HOUR); // the retry
    expect(resolutionAlerts(number)).toHaveLength(2);
    sla = slaOf(await ticketOf(number));
    expect(sla?.breachedAt.resolution).toBeGreaterThan(firstBreach ?? 0);
    expect(await breachedInQueue()).toContain(number);
    await bot.advance(DAY);
    expect(resolutionAlerts(number)).toHaveLength(2);
    // Once per ticket: the second breach alerts its chat, the leads heard of the ticket already.
    expect(escalationsIn(LEAD_CHAT, number)).toHaveLength(1);
  });
});
