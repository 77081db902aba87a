import { HOUR, MINUTE } from '../../lib/clock';
import { BusinessHours } from '../../lib/schedule/business-hours';
import type { TicketStatus } from '../../lib/storage/port';
import { supportSettings } from '../../lib/support/settings';
import {
  dueBreach,
  everBreached,
  type SlaClock,
  slaAfterStatusChange,
  slaAlertKey,
  slaOf,
  slaPeriodOf,
  slaState,
} from '../../lib/tickets/sla';
import {
  ADMIN_TOKEN,
  type BotStack,
  OPERATOR_TOKEN,
  OPERATORS_CHAT,
  startBotStack,
} from '../support/bot-harness';

/**
 * Honest SLA alerts (issue 19): an alert only for a ticket that still owes the response at its due
 * time, and never lost to a failed send. Through the local stack: the bot, the API, the deferred
 * worker and the VK sandbox. A question filed Wednesday at 12:00 owes its first response by
 * 13:00 and its resolution by Thursday 11:00 (480 business minutes, lunch 13–14, closing at 19).
 */
let bot: BotStack;
afterEach(async () => {
  await bot?.close();
});

const alerts = () => bot.sentTo(OPERATORS_CHAT).filter((message) => message.text.startsWith('⏰'));
const alertsFor = (number: string) => alerts().filter((message) => message.text.includes(` ${number} `));
const slaOfTicket = async (number: string) => slaOf((await bot.stack.tickets.thread(number)).ticket);

describe('SLA alerts go only to tickets that still owe the response', () => {
  it('alerts once for a ticket still owing its first response, naming who took it', async () => {
    bot = await startBotStack();
    const { number, card } = await bot.fileTicket(1301);
    await bot.press(1, card, { c: 'op', a: 'take' }); // taken, not answered
    await bot.advance(50 * MINUTE);
    expect(alertsFor(number)).toHaveLength(0);
    await bot.advance(2 * HOUR);
    const [alert, ...more] = alertsFor(number);
    expect(more).toHaveLength(0);
    expect(alert?.text).toBe(
      `⏰ SLA нарушен: ${number} (Задать вопрос), нет первого ответа. Назначено: User1.`,
    );
    expect((await slaOfTicket(number))?.breachedAt.firstResponse).toEqual(expect.any(Number));
  });

  it('sends no alert for a ticket resolved or closed before its due time, and both to one still open', async () => {
    bot = await startBotStack();
    const resolvedInChat = await bot.fileTicket(1311);
    const resolvedByApi = await bot.fileTicket(1312);
    const closed = await bot.fileTicket(1313);
    const open = await bot.fileTicket(1314);
    await bot.advance(30 * MINUTE);
    await bot.press(1, resolvedInChat.card, { c: 'op', a: 'resolve' });
    const byApi = await bot.api('POST', `/api/ops/tickets/${resolvedByApi.number}/status`, {
      operatorToken: OPERATOR_TOKEN,
      body: { status: 'resolved' },
    });
    const closing = await bot.api('POST', `/api/ops/tickets/${closed.number}/status`, {
      operatorToken: ADMIN_TOKEN,
      body: { status: 'closed' },
    });
    expect([byApi.status, closing.status]).toEqual([200, 200]);
    // Past both due times: the first response (13:00) and the resolution (Thursday 11:00).
    await bot.advance(24 * HOUR);
    for (const { number } of [resolvedInChat, resolvedByApi, closed]) {
      expect(alertsFor(number)).toHaveLength(0);
      expect((await slaOfTicket(number))?.breachedAt).toEqual({});
    }
    expect(alertsFor(open.number).map((alert) => alert.text.match(/\), (.+)\. /)?.[1])).toEqual([
      'нет первого ответа',
      'не решено в срок',
    ]);
  });

  it('sends no first-response alert after an answer in the chat, in the dialog or through the API; a note is no answer', async () => {
    bot = await startBotStack();
    const inChat = await bot.fileTicket(1321);
    const inDialog = await bot.fileTicket(1322);
    const byApi = await bot.fileTicket(1323);
    const noted = await bot.fileTicket(1324);
    await bot.advance(20 * MINUTE);
    await bot.sandbox.memberWritesInChat(
      OPERATORS_CHAT,
      2,
      'Сбросьте кэш и войдите снова',
      inChat.card.conversationMessageId,
    );
    await bot.sandbox.adminWrites(7, 1322, 'Здравствуйте! Уже смотрю.');
    await bot.settle();
    const reply = await bot.api('POST', `/api/ops/tickets/${byApi.number}/messages`, {
      operatorToken: OPERATOR_TOKEN,
      body: { text: 'Смотрим', attachments: [] },
    });
    const note = await bot.api('POST', `/api/ops/tickets/${noted.number}/messages`, {
      operatorToken: OPERATOR_TOKEN,
      body: { text: 'Похоже на баг входа', attachments: [], internal: true },
    });
    expect([reply.status, note.status]).toEqual([201, 201]);
    await bot.advance(2 * HOUR);
    for (const { number } of [inChat, inDialog, byApi]) {
      expect(alertsFor(number)).toHaveLength(0);
      expect((await slaOfTicket(number))?.firstRespondedAt).toEqual(expect.any(Number));
    }
    expect(alertsFor(noted.number).map((alert) => alert.text)).toEqual([
      `⏰ SLA нарушен: ${noted.number} (Задать вопрос), нет первого ответа. Назначено: —.`,
    ]);
  });
});

describe('an SLA alert is never lost', () => {
  it('is sent on the retry, exactly once, when its send fails (VK error 10 on every attempt)', async () => {
    bot = await startBotStack();
    const { number } = await bot.fileTicket(1331);
    await bot.advance(45 * MINUTE);
    // The client tries a call four times: the whole first run of the check fails.
    bot.sandbox.injectFault({ method: 'messages.send', error: 10, times: 4 });
    await bot.advance(15 * MINUTE); // 13:00, the due time
    expect(bot.sandbox.faults.reduce((left, fault) => left + fault.times, 0)).toBe(0);
    expect(alertsFor(number)).toHaveLength(0);
    expect((await slaOfTicket(number))?.breachedAt.firstResponse).toBeUndefined();
    await bot.advance(HOUR); // the failed job comes back after its backoff
    expect(alertsFor(number)).toHaveLength(1);
    expect((await slaOfTicket(number))?.breachedAt.firstResponse).toEqual(expect.any(Number));
    await bot.advance(HOUR);
    expect(alertsFor(number)).toHaveLength(1);
  });

  it('is not doubled when it reached the chat but its answer was lost: the retry repeats its random_id', async () => {
    bot = await startBotStack();
    const { number } = await bot.fileTicket(1341);
    await bot.advance(45 * MINUTE);
    bot.sandbox.injectFault({ method: 'messages.send', error: 'lost_answer', times: 4 });
    await bot.advance(15 * MINUTE);
    expect(alertsFor(number)).toHaveLength(1); // in the chat, but the worker does not know it
    await bot.advance(2 * HOUR);
    expect(alertsFor(number)).toHaveLength(1);
    expect((await slaOfTicket(number))?.breachedAt.firstResponse).toEqual(expect.any(Number));
  });
});

describe('dueBreach', () => {
  const due = 1_000_000;
  const clock = (changes: Partial<SlaClock> = {}): SlaClock => ({
    firstResponseDueAt: due,
    resolutionDueAt: due,
    firstRespondedAt: null,
    waitingSince: null,
    breachedAt: {},
    ...changes,
  });
  const owed = (sla: SlaClock, status: TicketStatus, now = due) => [
    dueBreach(sla, status, 'firstResponse', now),
    dueBreach(sla, status, 'resolution', now),
  ];

  it('holds both targets of an open, unanswered ticket from their due time on', () => {
    expect(owed(clock(), 'new', due - 1)).toEqual([false, false]);
    expect(owed(clock(), 'new')).toEqual([true, true]);
    expect(owed(clock(), 'in_progress', due + HOUR)).toEqual([true, true]);
  });

  it('holds neither for a resolved or closed ticket, answered or not', () => {
    expect(owed(clock(), 'resolved')).toEqual([false, false]);
    expect(owed(clock(), 'closed')).toEqual([false, false]);
  });

  it('drops the first response once an operator answered, and the resolution while waiting for the user', () => {
    expect(owed(clock({ firstRespondedAt: due - MINUTE }), 'in_progress')).toEqual([false, true]);
    expect(
      owed(clock({ firstRespondedAt: due - MINUTE, waitingSince: due - 1 }), 'waiting_for_user'),
    ).toEqual([false, false]);
  });

  it('holds a target only until it is flagged', () => {
    expect(owed(clock({ breachedAt: { firstResponse: due } }), 'new')).toEqual([false, true]);
  });
});

describe('a reopen starts a new resolution period', () => {
  const hours = new BusinessHours({ timezone: 'Europe/Moscow', ...supportSettings.businessHours });
  const question = supportSettings.categories.find((category) => category.id === 'question');
  if (!question) throw new Error('no question category');
  const breached: SlaClock = {
    firstResponseDueAt: 1,
    resolutionDueAt: 2,
    firstRespondedAt: 1,
    waitingSince: null,
    breachedAt: { resolution: 3 },
  };
  const reopen = (sla: SlaClock, at: number) =>
    slaAfterStatusChange(sla, hours, question, { from: 'resolved', to: 'in_progress', at });

  it('owes the resolution afresh, keeps the breach it had for the reports, and alerts under a key of its own', () => {
    const at = Date.parse('2026-11-19T12:00:00+03:00');
    const once = reopen(breached, at);
    expect(once.breachedAt).toEqual({});
    expect(once.earlierResolutionBreaches).toEqual([3]);
    expect([slaPeriodOf(once, 'resolution'), slaPeriodOf(once, 'firstResponse')]).toEqual([1, 0]);
    expect(dueBreach(once, 'in_progress', 'resolution', once.resolutionDueAt ?? 0)).toBe(true);
    expect(slaState(once, 'in_progress', question, hours, at)).toBe('ok');
    expect(everBreached(once, 'resolution')).toBe(true);
    const twice = reopen({ ...once, breachedAt: { resolution: 4 } }, at + HOUR);
    expect([twice.resolutionPeriod, twice.earlierResolutionBreaches]).toEqual([2, [3, 4]]);
    expect([0, 1, 2].map((period) => slaAlertKey('t1', 'resolution', period))).toEqual([
      'sla-alert:t1:resolution',
      'sla-alert:t1:resolution:1',
      'sla-alert:t1:resolution:2',
    ]);
  });

  it('keeps a first-response breach: that target is owed once per ticket', () => {
    const reopened = reopen({ ...breached, breachedAt: { firstResponse: 1 } }, 10);
    expect(reopened.breachedAt).toEqual({ firstResponse: 1 });
    expect(reopened.earlierResolutionBreaches).toBeUndefined();
  });
});
