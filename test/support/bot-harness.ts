import { REPLY_BUDGET_MS } from '../../lib/bot/delivery';
import type { ButtonPayload } from '../../lib/bot/payload';
import type { Campaign } from '../../lib/campaigns/campaign';
import { ManualClock, MINUTE } from '../../lib/clock';
import type { SqliteStore } from '../../lib/storage/sqlite/store';
import { startLocalStack } from '../../scripts/local/stack';
import type { SentMessage } from '../../scripts/sandbox/vk-sandbox';

export const GROUP_ID = 100000001;
export const OPERATORS_CHAT = 2000000001;
/** Wednesday 18 Nov 2026, 12:00 in Moscow: within business hours. */
export const WEDNESDAY_NOON_MSK = Date.UTC(2026, 10, 18, 9, 0);
/** The dev operators' tokens (devDefaults' OPERATOR_TOKENS): operator 1 is an admin, 2 an operator. */
export const ADMIN_TOKEN = 'dev-admin-token-0123456789ab';
export const OPERATOR_TOKEN = 'dev-operator-token-0123456789';

/**
 * The callback's reply budget in scenario tests: ten times the cloud's, so a loaded CI machine doesn't
 * turn a reply sent at once into one the worker sends (the budget itself has tests of its own).
 */
const SCENARIO_REPLY_BUDGET_MS = 10 * REPLY_BUDGET_MS;

/** How long `settle` waits, in real time, for the stack to go quiet. */
const SETTLE_LIMIT_MS = 10_000;

interface KeyboardButton {
  action: { type: string; label: string; payload: string };
  color: string;
}

/** The local stack on a manual clock, with helpers that act like VK users and operators. */
export async function startBotStack(
  options: {
    start?: number;
    environment?: Record<string, string>;
    store?: SqliteStore;
    /** The callback's reply budget; wide by default (`SCENARIO_REPLY_BUDGET_MS`). */
    replyBudgetMs?: number;
    /** The daily campaigns the stack's dispatcher runs (default: the shipped ones). */
    campaigns?: readonly Campaign[];
  } = {},
) {
  const lines: string[] = [];
  const clock = new ManualClock(options.start ?? WEDNESDAY_NOON_MSK);
  const stack = await startLocalStack(
    { LOG_LEVEL: 'debug', ...options.environment },
    {
      inMemory: true,
      clock,
      sink: (line) => lines.push(line),
      pollMs: 10,
      replyBudgetMs: options.replyBudgetMs ?? SCENARIO_REPLY_BUDGET_MS,
      ...(options.campaigns ? { campaigns: options.campaigns } : {}),
      ...(options.store ? { store: options.store } : {}),
    },
  );
  const { sandbox } = stack;

  const sentTo = (peerId: number): SentMessage[] =>
    sandbox.sent.filter((message) => message.peerId === peerId);
  const lastTo = (peerId: number): SentMessage => {
    const message = sentTo(peerId).at(-1);
    if (!message) throw new Error(`nothing was sent to ${peerId}`);
    return message;
  };
  const buttonsOf = (message: SentMessage): KeyboardButton[] =>
    ((message.keyboard as { buttons?: KeyboardButton[][] } | null)?.buttons ?? []).flat();
  const payloadsOf = (message: SentMessage): ButtonPayload[] =>
    buttonsOf(message).map((button) => JSON.parse(button.action.payload) as ButtonPayload);

  /** Presses the button whose payload matches, the way the client would: callback or text. */
  const press = async (
    userId: number,
    message: SentMessage,
    match: Partial<ButtonPayload> & { c: string },
  ) => {
    const button = buttonsOf(message).find((candidate) => {
      const payload = JSON.parse(candidate.action.payload) as Record<string, unknown>;
      return Object.entries(match).every(([key, value]) => payload[key] === value);
    });
    if (!button) throw new Error(`no button ${JSON.stringify(match)} on "${message.text.slice(0, 60)}"`);
    const payload = JSON.parse(button.action.payload) as unknown;
    const delivery =
      button.action.type === 'callback'
        ? message.peerId >= 2_000_000_000
          ? await sandbox.memberPressesInChat(message.peerId, userId, payload)
          : await sandbox.userPressesButton(userId, payload, message.conversationMessageId)
        : await sandbox.userSendsMessage(userId, button.action.label, { payload });
    await settle();
    return delivery;
  };

  /**
   * Lets the echoed `message_reply` events, the deferred queue and the stack's VK requests run dry. On
   * real time, bounded: under CI's load a callback's reply budget can run out with its request still
   * out (it is then due to the worker only at a recheck the manual clock never reaches).
   */
  const settle = async () => {
    const giveUpAt = Date.now() + SETTLE_LIMIT_MS;
    while (Date.now() < giveUpAt) {
      await sandbox.settle();
      const { visible, inFlight } = await stack.queue.depth('deferred');
      if (visible + inFlight === 0 && stack.busy() === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await sandbox.settle();
  };

  const says = async (
    userId: number,
    text: string,
    options: Parameters<typeof sandbox.userSendsMessage>[2] = {},
  ) => {
    const delivery = await sandbox.userSendsMessage(userId, text, options);
    await settle();
    return delivery;
  };

  /**
   * Moves the dev clock forward in steps no longer than a queue hop (15 min), letting the deferred
   * queue run at each, as the trigger would in the cloud.
   */
  const advance = async (milliseconds: number) => {
    for (let left = milliseconds; left > 0; left -= 15 * MINUTE) {
      clock.advance(Math.min(15 * MINUTE, left));
      await settle();
    }
  };

  /** The HTTP API as the mini app (a user id: signed launch params) or an operator (a token) calls it. */
  const api = async (
    method: string,
    path: string,
    call: { user?: number; operatorToken?: string; body?: unknown } = {},
  ) => {
    const response = await fetch(`${stack.url}${path}`, {
      method,
      headers: {
        'content-type': 'application/json',
        ...(call.user !== undefined ? { 'x-vk-launch-params': stack.launchParamsFor(call.user) } : {}),
        ...(call.operatorToken ? { 'x-operator-token': call.operatorToken } : {}),
      },
      ...(call.body !== undefined ? { body: JSON.stringify(call.body) } : {}),
    });
    const text = await response.text();
    const result = { status: response.status, body: text ? JSON.parse(text) : null };
    await settle();
    return result;
  };

  /** A user files a ticket through "talk to an operator"; returns its number and its card in the chat. */
  const fileTicket = async (
    userId: number,
    text = 'Не работает вход через VK ID',
    options: Parameters<typeof sandbox.userSendsMessage>[2] = {},
  ) => {
    await says(userId, 'меню', options);
    await press(userId, lastTo(userId), { c: 'operator' });
    await press(userId, lastTo(userId), { c: 'cat', id: 'question' });
    await says(userId, text, options);
    // The confirmation, possibly followed by the off-hours reply.
    const confirmation = sentTo(userId)
      .slice(-2)
      .find((message) => /(?:Обращение|Ticket) [A-Z]-\d+/.test(message.text));
    const number = confirmation && /(?:Обращение|Ticket) ([A-Z]-\d+)/.exec(confirmation.text)?.[1];
    if (!number) throw new Error(`no ticket: ${lastTo(userId).text}`);
    return { number, card: lastTo(OPERATORS_CHAT) };
  };

  return {
    stack,
    advance,
    fileTicket,
    api,
    sandbox,
    clock,
    lines,
    store: stack.store,
    sentTo,
    lastTo,
    buttonsOf,
    payloadsOf,
    press,
    says,
    settle,
    async close() {
      await stack.close();
    },
  };
}

export type BotStack = Awaited<ReturnType<typeof startBotStack>>;
