import { MINUTE } from '../../lib/clock';
import { apiMethods } from '../../scripts/sandbox/api-methods';
import { fail, type MethodHandler } from '../../scripts/sandbox/method-context';
import { ADMIN_TOKEN, type BotStack, OPERATORS_CHAT, startBotStack } from '../support/bot-harness';

let bot: BotStack;
let restoreSandbox: (() => void) | undefined;
afterEach(async () => {
  restoreSandbox?.();
  restoreSandbox = undefined;
  await bot?.close();
});

/**
 * VK's `messages.send` with `peer_ids`: one entry per peer with its conversation_message_id
 * (`messages_send_user_ids_response`), which is how the bot learns where a card is. Played over the
 * sandbox's own send until the sandbox answers `peer_ids` itself. `failFirst`: that many such sends
 * fail first with flood control (9), as a card whose first try didn't go.
 */
/** The first `failFirst` card posts (`peer_ids`) meet VK's flood control; the rest go through. */
function floodControlOnCards(options: { failFirst?: number } = {}): () => void {
  const send = apiMethods['messages.send'] as MethodHandler;
  let failures = options.failFirst ?? 0;
  apiMethods['messages.send'] = async (params, context) => {
    if (params.peer_ids !== undefined && params.peer_id === undefined && failures-- > 0)
      return fail(9, 'Flood control');
    return send(params, context);
  };
  return () => {
    apiMethods['messages.send'] = send;
  };
}

async function start(options: { failFirst?: number } = {}) {
  bot = await startBotStack();
  restoreSandbox = floodControlOnCards(options);
}

const chat = async (from: number, text: string) => {
  await bot.sandbox.memberWritesInChat(OPERATORS_CHAT, from, text);
  await bot.settle();
};

const ticketOf = async (number: string) => (await bot.stack.tickets.thread(number)).ticket;

/** The messages.edit calls the community made: peer, conversation_message_id, outcome. */
const edits = () =>
  bot.sandbox.calls
    .filter((call) => call.method === 'messages.edit')
    .map((call) => [
      Number(call.params.peer_id),
      Number(call.params.cmid ?? call.params.conversation_message_id),
      call.outcome,
    ]);

const actionsOf = (message: Parameters<BotStack['payloadsOf']>[0]) =>
  bot.payloadsOf(message).map((payload) => (payload.c === 'op' ? payload.a : payload.c));

describe("operators' cards", () => {
  it('show the status and assignee and are edited in place on take, resolve and reopen, by buttons and commands', async () => {
    await start();
    const { number, card } = await bot.fileTicket(1501);
    expect(card.text).toMatch(/^🆕 /);
    expect(card.text).toContain('📌 принято · пока никто не взял');
    // Sent with peer_ids: the answer says where the card is, and the ticket keeps it.
    expect(
      bot.sandbox.calls.some(
        (call) => call.method === 'messages.send' && call.params.peer_ids === String(OPERATORS_CHAT),
      ),
    ).toBe(true);
    expect((await ticketOf(number)).details.opsCard).toMatchObject({
      posted: { peerId: OPERATORS_CHAT, conversationMessageId: card.conversationMessageId },
    });

    await bot.press(1, card, { c: 'op', a: 'take' });
    expect(card.text).toMatch(/^🔧 /);
    expect(card.text).toContain('📌 взято в работу · взял(а) User1');
    expect(actionsOf(card)).toEqual(['take', 'resolve', 'tpl']);
    expect(bot.lastTo(OPERATORS_CHAT).text).toBe(`👤 ${number} взял(а) User1.`);

    bot.clock.advance(MINUTE); // the audit lists by time
    await bot.press(2, card, { c: 'op', a: 'resolve' });
    expect(card.text).toContain('📌 решено ✅ · взял(а) User1');
    expect(actionsOf(card)).toEqual(['reopen', 'tpl']);

    bot.clock.advance(MINUTE);
    await bot.press(2, card, { c: 'op', a: 'reopen' });
    expect(bot.lastTo(OPERATORS_CHAT).text).toBe(`↩️ ${number} снова открыто (User2).`);
    expect(card.text).toContain('📌 взято в работу · взял(а) User1');
    expect(actionsOf(card)).toEqual(['take', 'resolve', 'tpl']);
    expect((await ticketOf(number)).status).toBe('in_progress');

    // Commands find the card by the id the ticket recorded.
    bot.clock.advance(MINUTE);
    await chat(1, `/resolve ${number}`);
    expect(card.text).toContain('📌 решено ✅');
    bot.clock.advance(MINUTE);
    await chat(1, `/reopen ${number}`);
    expect(card.text).toContain('📌 взято в работу');

    // Each change one edit of the one card, in place.
    expect(edits()).toEqual(Array(5).fill([OPERATORS_CHAT, card.conversationMessageId, 'ok']));
    expect(bot.sentTo(OPERATORS_CHAT).filter((message) => message.text.includes('vk.com/gim'))).toHaveLength(
      1,
    );
    const { ticketId } = await ticketOf(number);
    const audit = await bot.store.read((r) => r.audit.listBySubject(`ticket:${ticketId}`, 10));
    expect(audit.map((entry) => [entry.actor, entry.action, entry.details.to])).toEqual([
      ['operator:1', 'ticket.assign', 1],
      ['operator:2', 'ticket.status', 'resolved'],
      ['operator:2', 'ticket.status', 'in_progress'],
      ['operator:1', 'ticket.status', 'resolved'],
      ['operator:1', 'ticket.status', 'in_progress'],
    ]);
  });

  it('follow changes made through the API: a reassignment and a resolution edit the card', async () => {
    await start();
    const { number, card } = await bot.fileTicket(1509);
    await bot.api('POST', `/api/ops/tickets/${number}/assign`, {
      operatorToken: ADMIN_TOKEN,
      body: { assigneeId: 7 },
    });
    expect(card.text).toContain('📌 взято в работу');
    await bot.api('POST', `/api/ops/tickets/${number}/status`, {
      operatorToken: ADMIN_TOKEN,
      body: { status: 'resolved' },
    });
    expect(card.text).toContain('📌 решено ✅');
    expect(edits()).toEqual(Array(2).fill([OPERATORS_CHAT, card.conversationMessageId, 'ok']));
  });

  it("follow a change the chat didn't make: the user's message reopening the ticket edits the card", async () => {
    await start();
    const { number, card } = await bot.fileTicket(1502);
    await bot.press(1, card, { c: 'op', a: 'take' });
    await bot.press(1, card, { c: 'op', a: 'resolve' });
    expect(card.text).toContain('📌 решено ✅');
    // The dialog is still about the ticket (as after a resolution elsewhere): the user's words reopen it.
    await bot.store.transaction(async (r) => {
      const dialog = await r.dialogs.get(1502);
      await r.dialogs.put({ ...dialog!, state: 'with_operator', data: { ...dialog!.data, ticket: number } });
    });
    await bot.says(1502, 'Снова не пускает в аккаунт');
    expect((await ticketOf(number)).status).toBe('in_progress');
    expect(card.text).toContain('📌 взято в работу · взял(а) User1');
    expect(actionsOf(card)).toEqual(['take', 'resolve', 'tpl']);
    expect(bot.lines.some((line) => line.includes(':refresh:') && line.includes('deferred job done'))).toBe(
      true,
    );
  });

  it('end up right when the ticket changed before the card was posted', async () => {
    await start({ failFirst: 1 });
    await bot.says(1503, 'меню');
    await bot.press(1503, bot.lastTo(1503), { c: 'operator' });
    await bot.press(1503, bot.lastTo(1503), { c: 'cat', id: 'question' });
    await bot.says(1503, 'Не приходит письмо с кодом');
    const number = /Обращение ([A-Z]-\d+)/.exec(bot.lastTo(1503).text)?.[1];
    expect(number).toBeDefined();
    const cards = () => bot.sentTo(OPERATORS_CHAT).filter((message) => message.text.includes('vk.com/gim'));
    expect(cards()).toHaveLength(0); // its send failed: the worker tries again in 30 s
    await chat(1, `/take ${number}`);
    expect(bot.lastTo(OPERATORS_CHAT).text).toBe(`👤 ${number} взял(а) User1.`);

    await bot.advance(MINUTE);
    const [card] = cards();
    // Posted as it was rendered when filed, then edited once its id came back.
    expect(card?.text).toContain('📌 взято в работу · взял(а) User1');
    expect(edits()).toEqual([[OPERATORS_CHAT, card?.conversationMessageId, 'ok']]);
  });

  it('never let an older edit land after a newer one', async () => {
    await start();
    const { number, card } = await bot.fileTicket(1504);
    // The take's edit fails and waits for the worker; the resolve's edit replaces it.
    bot.sandbox.injectFault({ method: 'messages.edit', error: 9, times: 1 });
    await bot.press(1, card, { c: 'op', a: 'take' });
    expect(card.text).toContain('пока никто не взял');
    await bot.press(1, card, { c: 'op', a: 'resolve' });
    expect(card.text).toContain('📌 решено ✅ · взял(а) User1');
    await bot.advance(2 * MINUTE);
    expect(card.text).toContain('📌 решено ✅ · взял(а) User1');
    expect(edits().map(([, , outcome]) => outcome)).toEqual(['error 9', 'ok']);

    // A late copy of an edit the card has passed (one a worker had claimed before the next change
    // cancelled it, say) is dropped unsent.
    const ticket = await ticketOf(number);
    const jobId = `ops-card:${ticket.ticketId}:edit:1`;
    expect((await job(jobId))?.status).toBe('cancelled');
    await bot.store.transaction(async (r) => {
      await r.jobs.update({ ...(await r.jobs.get(jobId))!, status: 'pending' });
    });
    await bot.stack.queue.send('deferred', { body: JSON.stringify({ jobId, hop: (await job(jobId))?.hop }) });
    await bot.settle();
    expect((await job(jobId))?.status).toBe('done');
    expect(edits()).toHaveLength(2);
    expect(bot.lines.some((line) => line.includes('operators card edit superseded'))).toBe(true);
  });

  it('show a closing made through the API at once, and an old keyboard pressed after it is refused in Russian', async () => {
    await start();
    const { number, card } = await bot.fileTicket(1505);
    await bot.api('POST', `/api/ops/tickets/${number}/status`, {
      operatorToken: ADMIN_TOKEN,
      body: { status: 'closed' },
    });
    expect(card.text).toMatch(/^📁 /);
    expect(card.text).toContain('📌 закрыто · пока никто не взял');
    expect(bot.payloadsOf(card)).toEqual([]);
    // A client that still shows the old buttons.
    await bot.sandbox.memberPressesInChat(OPERATORS_CHAT, 2, { c: 'op', a: 'take', t: number });
    await bot.settle();
    expect(bot.lastTo(OPERATORS_CHAT).text).toBe(`⚠️ ${number} закрыто: менять его уже нельзя.`);
  });
});

describe('taking a ticket someone else holds', () => {
  it('asks to confirm; only the confirmation reassigns, audited, and a stale confirmation asks again', async () => {
    await start();
    const { number, card } = await bot.fileTicket(1601);
    await bot.press(1, card, { c: 'op', a: 'take' });

    await bot.press(2, card, { c: 'op', a: 'take' });
    const prompt = bot.lastTo(OPERATORS_CHAT);
    expect(prompt.text).toBe(`⚠️ ${number} уже взял(а) User1. Забрать себе?`);
    expect(bot.payloadsOf(prompt)).toEqual([{ c: 'op', a: 'takeover', t: number, h: 1 }]);
    expect(bot.sandbox.eventAnswers.at(-1)?.eventData).toEqual({
      type: 'show_snackbar',
      text: `${number} уже у User1: подтвердите в чате`,
    });
    expect((await ticketOf(number)).assigneeId).toBe(1);
    expect(card.text).toContain('взял(а) User1');
    // A command asks the same.
    await chat(2, `/take ${number}`);
    expect(bot.lastTo(OPERATORS_CHAT).text).toBe(prompt.text);

    bot.clock.advance(MINUTE); // the audit lists by time
    await bot.press(2, prompt, { c: 'op', a: 'takeover' });
    expect(bot.lastTo(OPERATORS_CHAT).text).toBe(`👤 ${number} забрал(а) User2 (было у User1).`);
    expect((await ticketOf(number)).assigneeId).toBe(2);
    expect(card.text).toContain('📌 взято в работу · взял(а) User2');

    // The old prompt confirmed taking it from User1; User2 holds it now, so it asks again.
    await bot.press(1, prompt, { c: 'op', a: 'takeover' });
    const again = bot.lastTo(OPERATORS_CHAT);
    expect(again.text).toBe(`⚠️ ${number} уже взял(а) User2. Забрать себе?`);
    expect(bot.payloadsOf(again)).toEqual([{ c: 'op', a: 'takeover', t: number, h: 2 }]);
    expect((await ticketOf(number)).assigneeId).toBe(2);
    // One's own ticket: nothing to take.
    await bot.press(2, card, { c: 'op', a: 'take' });
    expect(bot.lastTo(OPERATORS_CHAT).text).toBe(`${number} уже у вас, User2.`);

    const { ticketId } = await ticketOf(number);
    const audit = await bot.store.read((r) => r.audit.listBySubject(`ticket:${ticketId}`, 10));
    expect(audit.map((entry) => [entry.actor, entry.action, entry.details.from, entry.details.to])).toEqual([
      ['operator:1', 'ticket.assign', null, 1],
      ['operator:2', 'ticket.assign', 1, 2],
    ]);
  });
});

async function job(jobId: string) {
  return bot.store.read((r) => r.jobs.get(jobId));
}

describe('a finished ticket', () => {
  it('is not taken or taken over from an old keyboard: the chat says to reopen it, nothing changes', async () => {
    bot = await startBotStack();
    const { number } = await bot.fileTicket(1901);
    await bot.sandbox.memberPressesInChat(OPERATORS_CHAT, 1, { c: 'op', a: 'take', t: number });
    await bot.settle();
    await bot.api('POST', `/api/ops/tickets/${number}/status`, {
      operatorToken: ADMIN_TOKEN,
      body: { status: 'resolved' },
    });
    await bot.sandbox.memberPressesInChat(OPERATORS_CHAT, 2, { c: 'op', a: 'takeover', t: number, h: 1 });
    await bot.settle();
    expect(bot.lastTo(OPERATORS_CHAT).text).toBe(`⚠️ ${number}: так нельзя, обращение сейчас «решено ✅».`);
    expect((await ticketOf(number)).assigneeId).toBe(1);
  });
});
