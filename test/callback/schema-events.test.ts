import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHAT_MEMBER_ACTIONS, subscribedCallbackEvents } from '../../lib/bot/updates';
import { callbackEnvelopeSchema, eventIdentity } from '../../lib/callback/events';
import { DAY, SECOND } from '../../lib/clock';
import { chatMessageEvent, communityMessage, userMessageEvent } from '../../scripts/sandbox/callback-events';
import { type BotStack, GROUP_ID, OPERATORS_CHAT, startBotStack } from '../support/bot-harness';
import {
  callbackExample,
  enumOf,
  type Fields,
  missingRequired,
  objectDefinitions,
  SCHEMA_DIR,
  schemaPresent,
} from './vk-callback-schema';

const SECRET = 'dev-callback-secret';
/** Dev operator 1 (an admin): the author of a community message an operator typed. */
const OPERATOR_ID = 1;
const WRITES = new Set(['messages.send', 'messages.edit', 'messages.sendMessageEventAnswer']);

type EventIdVariant = 'string' | 'numeric' | 'missing';

/** The envelope as `callback_base` documents it, with `event_id` as VK's docs and older versions send it. */
function envelope(type: string, object: unknown, eventId: EventIdVariant, n: number) {
  const base = callbackExample('callback_base', 'all', {
    type,
    group_id: GROUP_ID,
    event_id: eventId === 'string' ? `schema${n}` : eventId === 'numeric' ? 70_000 + n : undefined,
    v: '5.199',
    secret: SECRET,
  });
  return { ...base, object };
}

/** What an example's object is filled with: a user writing to us in private, or an operator answering. */
function fillFor(type: string, userId: number, n: number) {
  return {
    user_id: userId,
    peer_id: userId,
    // message_reply is the community's own message; everywhere else the user is the author.
    from_id: type === 'message_reply' ? -GROUP_ID : userId,
    admin_author_id: OPERATOR_ID,
    id: 5000 + n,
    conversation_message_id: 100 + n,
    date: 1_795_000_000,
    text: 'привет',
    payload: '{"c":"menu"}',
    event_id: `press${n}`,
    key: 'from-app',
    lang_id: 0,
    random_id: 0,
  };
}

interface Example {
  name: string;
  userId: number;
  body: Record<string, unknown>;
  /** What the handler makes of it the first time; every example is answered `ok` either way. */
  expected: 'callback processed' | 'callback ignored' | 'callback rejected';
}

/**
 * Every subscribed event, from the schema: only the required fields and then every documented one,
 * each with a string, a numeric and no `event_id`; plus `message_new` as API versions below 5.103
 * send it (the message itself, no client_info).
 */
function schemaExamples(): Example[] {
  const examples: Example[] = [];
  const shapes: Array<{ type: string; definition: string; label: string }> = subscribedCallbackEvents.map(
    (type) => ({ type, definition: objectDefinitions[type] ?? '', label: type }),
  );
  shapes.push({ type: 'message_new', definition: 'callback_message', label: 'message_new (API < 5.103)' });
  for (const { type, definition, label } of shapes) {
    for (const fields of ['required', 'all'] as Fields[]) {
      for (const eventId of ['string', 'numeric', 'missing'] as EventIdVariant[]) {
        const n = examples.length;
        const userId = 600 + n;
        const object = callbackExample(definition, fields, fillFor(type, userId, n));
        examples.push({
          name: `${label}, ${fields === 'all' ? 'every documented field' : 'required fields only'}, ${eventId} event_id`,
          userId,
          body: envelope(type, object, eventId, n),
          expected: expectedOutcome(type, definition, fields),
        });
      }
    }
  }
  return examples;
}

/** With only its required fields, three objects carry nothing the bot can act on. */
function expectedOutcome(type: string, definition: string, fields: Fields): Example['expected'] {
  if (fields === 'all') return 'callback processed';
  // `{}`: both properties of `callback_message_object` are optional (the older shape is the message).
  if (definition === 'callback_message_new') return 'callback rejected';
  // `{}`: group_leave's user_id is optional too.
  if (type === 'group_leave') return 'callback rejected';
  // No admin_author_id: the bot's own message coming back.
  if (type === 'message_reply') return 'callback ignored';
  return 'callback processed';
}

let bot: BotStack;

async function post(body: unknown) {
  const response = await fetch(`${bot.stack.url}/vk/callback`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { statusCode: response.status, body: await response.text() };
}

/** The handler's last word on an event (`callback processed`, `… ignored`, …), from the log. */
function verdict(body: unknown, since: number): string | undefined {
  const key = eventIdentity(callbackEnvelopeSchema.parse(body)).key;
  return bot.lines
    .slice(since)
    .map((line) => JSON.parse(line) as { msg: string; eventId?: string })
    .filter((entry) => entry.eventId === key && entry.msg.startsWith('callback '))
    .at(-1)?.msg;
}

/** Everything an event can change for its user: messages, press answers, the stored user, dialog, events. */
async function effectsOn(userId: number) {
  const peer = String(userId);
  return {
    sent: bot.sentTo(userId).map((message) => message.text),
    writes: bot.sandbox.calls.filter(
      (call) => WRITES.has(call.method) && (call.params.peer_id === peer || call.params.user_id === peer),
    ).length,
    stored: await bot.store.read(async (r) => ({
      user: await r.users.get(userId),
      dialog: await r.dialogs.get(userId),
      events: await r.events.listByUser(userId, { since: 0, until: Number.MAX_SAFE_INTEGER, limit: 50 }),
    })),
  };
}

const describeWithSchema = schemaPresent() ? describe : describe.skip; // skip reason: VK's schema is ../shared/vk-api-schema, beside the clone in CI

describeWithSchema('every subscribed event as VK documents it', () => {
  beforeAll(async () => {
    bot = await startBotStack();
  });
  afterAll(async () => {
    await bot?.close();
  });

  it('has an object definition in the schema for every subscribed event type', () => {
    expect(Object.keys(objectDefinitions).sort()).toEqual([...subscribedCallbackEvents].sort());
  });

  for (const example of schemaPresent() ? schemaExamples() : []) {
    it(`answers ok to ${example.name}, and a re-send changes nothing`, async () => {
      bot.sandbox.allowed.add(example.userId);
      const before = bot.lines.length;
      expect(await post(example.body)).toEqual({ statusCode: 200, body: 'ok' });
      await bot.settle();
      expect(verdict(example.body, before)).toBe(example.expected);
      const effects = await effectsOn(example.userId);
      if (example.expected === 'callback processed') {
        expect(effects).not.toEqual({
          sent: [],
          writes: 0,
          stored: { user: null, dialog: null, events: [] },
        });
      } else {
        expect(effects.stored).toEqual({ user: null, dialog: null, events: [] });
      }

      // VK's first retry comes 10 s later, with the same body.
      bot.clock.advance(10 * SECOND);
      const again = bot.lines.length;
      expect(await post(example.body)).toEqual({ statusCode: 200, body: 'ok' });
      await bot.settle();
      expect(verdict(example.body, again)).toBe(
        example.expected === 'callback processed' ? 'callback duplicate ignored' : example.expected,
      );
      expect(await effectsOn(example.userId)).toEqual(effects);
    });
  }

  it("sends the sandbox's events with every field the schema requires", () => {
    const options = { payload: undefined };
    const privateMessage = userMessageEvent({
      messageId: 1,
      userId: 7,
      text: 'hi',
      conversationMessageId: 1,
      options,
    });
    const sent = {
      messageId: 2,
      peerId: 7,
      text: 'hello',
      randomId: 3,
      conversationMessageId: 2,
      keyboard: null,
    };
    const chatMessage = chatMessageEvent({
      peerId: OPERATORS_CHAT,
      fromId: 7,
      text: 'take it',
      conversationMessageId: 3,
      groupId: GROUP_ID,
      replied: { ...sent, peerId: OPERATORS_CHAT },
    });
    expect(missingRequired('callback_message_new', privateMessage)).toEqual([]);
    expect(missingRequired('callback_message_new', chatMessage)).toEqual([]);
    expect(missingRequired('callback_message', communityMessage(sent, GROUP_ID))).toEqual([]);
    // A member leaving the operators' chat: the service message VK sends, `action` required `type`.
    const left = chatMessageEvent({
      peerId: OPERATORS_CHAT,
      fromId: 7,
      text: '',
      conversationMessageId: 4,
      groupId: GROUP_ID,
      replied: undefined,
      action: { type: 'chat_kick_user', member_id: 7 },
    });
    expect(missingRequired('callback_message_new', left)).toEqual([]);
  });

  it('reads only chat actions VK documents (messages_message_action_status)', () => {
    const objects = JSON.parse(readFileSync(join(SCHEMA_DIR, 'messages/objects.json'), 'utf8'));
    const documented: unknown[] = objects.definitions.messages_message_action_status.enum;
    expect(documented).toEqual(expect.arrayContaining(Object.keys(CHAT_MEMBER_ACTIONS)));
  });
});

describe('events VK documents without a string event_id', () => {
  let user = 800;
  beforeEach(async () => {
    bot = await startBotStack();
  });
  afterEach(async () => {
    await bot?.close();
  });

  const send = (type: string, object: unknown, eventId?: string | number) =>
    post({
      type,
      group_id: GROUP_ID,
      ...(eventId === undefined ? {} : { event_id: eventId }),
      v: '5.199',
      secret: SECRET,
      object,
    });
  const eventsOf = async (userId: number, name: string) =>
    (
      await bot.store.read((r) =>
        r.events.listByUser(userId, { since: 0, until: Number.MAX_SAFE_INTEGER, limit: 50 }),
      )
    ).filter((event) => event.name === name);

  it('answers ok to group_join with a numeric event_id, and to group_leave and message_reply without one', async () => {
    const userId = ++user;
    bot.sandbox.allowed.add(userId);
    const ok = { statusCode: 200, body: 'ok' };
    expect(await send('group_join', { user_id: userId, join_type: 'join' }, 4_242_424)).toEqual(ok);
    expect(await send('group_leave', { user_id: userId, self: 1 })).toEqual(ok);
    const reply = { id: 9, date: 1, peer_id: userId, from_id: -GROUP_ID, text: 'Здравствуйте!', out: 1 };
    expect(await send('message_reply', { ...reply, admin_author_id: OPERATOR_ID })).toEqual(ok);
    await bot.settle();
    expect(await eventsOf(userId, 'group_join')).toHaveLength(1);
    expect(await eventsOf(userId, 'group_leave')).toHaveLength(1);
    expect(bot.lines.filter((line) => line.includes('"callback processed"'))).toHaveLength(3);
  });

  it('welcomes a user who joins, leaves and joins again the next day twice, and ignores the retries of each', async () => {
    const userId = ++user;
    bot.sandbox.allowed.add(userId);
    const join = { user_id: userId, join_type: 'join' };
    const leave = { user_id: userId, self: 1 };
    await send('group_join', join);
    await send('group_join', join); // VK's retry: the same body, no id
    await bot.settle();
    const welcomed = bot.sentTo(userId).length;
    expect(welcomed).toBe(1);
    await send('group_leave', leave);
    await send('group_leave', leave);
    await bot.settle();
    const afterLeave = bot.sentTo(userId).length;
    bot.clock.advance(DAY);
    await send('group_join', join);
    bot.clock.advance(10 * SECOND);
    await send('group_join', join);
    await bot.settle();
    expect(bot.sentTo(userId)).toHaveLength(afterLeave + 1);
    expect(bot.sentTo(userId).at(-1)?.text).toBe(bot.sentTo(userId)[0]?.text);
    expect(await eventsOf(userId, 'group_join')).toHaveLength(2);
    expect(await eventsOf(userId, 'group_leave')).toHaveLength(1);
  });

  it('counts a join request and its approval as two joins', async () => {
    const userId = ++user;
    // The join types come from VK's schema where it is at hand (../shared, beside the clone in CI).
    if (schemaPresent())
      expect(enumOf('callback_group_join', 'join_type')).toEqual(
        expect.arrayContaining(['request', 'approved']),
      );
    for (const joinType of ['request', 'request', 'approved', 'approved']) {
      await send('group_join', { user_id: userId, join_type: joinType });
    }
    expect(await eventsOf(userId, 'group_join')).toHaveLength(2);
  });

  it('ends allowed when a user allows, denies and allows again within a minute', async () => {
    const userId = ++user;
    bot.sandbox.allowed.add(userId);
    for (const [type, object] of [
      ['message_allow', { user_id: userId, key: 'from-app' }],
      ['message_deny', { user_id: userId }],
      ['message_allow', { user_id: userId, key: 'from-app' }],
    ] as const) {
      expect(await send(type, object)).toEqual({ statusCode: 200, body: 'ok' });
      bot.clock.advance(10 * SECOND);
    }
    expect((await bot.store.read((r) => r.users.get(userId)))?.messagesAllowed).toBe(true);
    expect(await eventsOf(userId, 'messages_allowed')).toHaveLength(2);
    // A late retry of the second allow changes nothing.
    await send('message_allow', { user_id: userId, key: 'from-app' });
    expect(await eventsOf(userId, 'messages_allowed')).toHaveLength(2);
  });

  it('replies once to a message_new without event_id, however often VK sends it', async () => {
    const userId = ++user;
    bot.sandbox.allowed.add(userId);
    const message = {
      id: 77,
      date: 1,
      peer_id: userId,
      from_id: userId,
      text: 'привет',
      conversation_message_id: 5,
    };
    await Promise.all([send('message_new', message), send('message_new', { message })]);
    bot.clock.advance(DAY);
    await send('message_new', message);
    await bot.settle();
    expect(bot.sentTo(userId)).toHaveLength(1);
  });
});
