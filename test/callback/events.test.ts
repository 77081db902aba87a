import { decodeUpdate } from '../../lib/bot/updates';
import { type CallbackEnvelope, callbackEnvelopeSchema, eventIdentity } from '../../lib/callback/events';

const GROUP_ID = 1;
const decode = (type: string, object: unknown) =>
  decodeUpdate({ type, group_id: GROUP_ID, object }, { operatorsChatPeerId: undefined });
const identity = (event: Omit<CallbackEnvelope, 'group_id'>) =>
  eventIdentity({ group_id: GROUP_ID, ...event });

describe('the callback envelope', () => {
  it('takes a string, a numeric or no event_id, and reads anything else as none', () => {
    const parse = (eventId: unknown) =>
      callbackEnvelopeSchema.parse({ type: 'group_join', group_id: GROUP_ID, event_id: eventId }).event_id;
    expect(parse('a1b2')).toBe('a1b2');
    expect(parse(123)).toBe(123);
    expect(parse(undefined)).toBeUndefined();
    expect(parse({ id: 1 })).toBeUndefined();
    expect(parse('x'.repeat(129))).toBeUndefined();
  });
});

describe('what an event is known by', () => {
  const message = { id: 7, date: 1, peer_id: 5, from_id: 5, text: 'hi', conversation_message_id: 3 };

  it("is VK's event_id; a numeric one with its type, which VK resends unchanged", () => {
    expect(identity({ type: 'message_new', event_id: 'abc' })).toEqual({ kind: 'once', key: 'abc' });
    expect(identity({ type: 'group_join', event_id: 42 })).toEqual({ kind: 'once', key: 'group_join:42' });
  });

  it('without one, is a message by its peer and conversation_message_id, in either message_new shape', () => {
    const key = { kind: 'once', key: 'message_new:5:c3' };
    expect(identity({ type: 'message_new', object: { message } })).toEqual(key);
    expect(identity({ type: 'message_new', object: message })).toEqual(key);
    const { conversation_message_id: _cmid, ...older } = message;
    expect(identity({ type: 'message_reply', object: older })).toEqual({
      kind: 'once',
      key: 'message_reply:5:m7',
    });
  });

  it("without one, is a press by the press's own event_id", () => {
    expect(identity({ type: 'message_event', object: { user_id: 5, peer_id: 5, event_id: 'p1' } })).toEqual({
      kind: 'once',
      key: 'message_event:p1',
    });
  });

  it('without one, is a change of a user, freed by the opposite change', () => {
    expect(identity({ type: 'group_join', object: { user_id: 5, join_type: 'request' } })).toEqual({
      kind: 'change',
      key: 'group_join:5',
      variant: '"request"',
      undoneBy: 'group_leave:5',
    });
    expect(identity({ type: 'group_leave', object: { user_id: 5, self: 0 } })).toMatchObject({
      key: 'group_leave:5',
      variant: '0',
      undoneBy: 'group_join:5',
    });
    expect(identity({ type: 'message_deny', object: { user_id: 5 } })).toMatchObject({
      undoneBy: 'message_allow:5',
    });
  });

  it('without anything that names it, is its object, the same on every retry', () => {
    const first = identity({ type: 'message_new', object: { message: { id: 0, peer_id: 5 } } });
    expect(first).toEqual({ kind: 'once', key: expect.stringMatching(/^message_new:h[0-9a-f]{32}$/) });
    expect(identity({ type: 'message_new', object: { message: { id: 0, peer_id: 5 } } })).toEqual(first);
  });
});

describe('decoding by the schema', () => {
  it('reads message_new as API versions below 5.103 send it: the message itself, no client_info', () => {
    expect(decode('message_new', { id: 7, peer_id: 5, from_id: 5, text: ' hi ' })).toMatchObject({
      kind: 'message',
      userId: 5,
      text: 'hi',
      client: null,
      langId: null,
    });
  });

  it("reads a chat message's id 0 and a message without date, which the bot does not use", () => {
    expect(decode('message_new', { message: { id: 0, peer_id: 5, from_id: 5, text: 'hi' } })).toMatchObject({
      kind: 'message',
    });
  });

  it('reports whether a leaving user left or was removed, and how a user joined', () => {
    expect(decode('group_leave', { user_id: 5, self: 1 })).toEqual({ kind: 'leave', userId: 5, self: true });
    expect(decode('group_leave', { user_id: 5, self: 0 })).toEqual({ kind: 'leave', userId: 5, self: false });
    expect(decode('group_leave', { user_id: 5 })).toEqual({ kind: 'leave', userId: 5, self: true });
    expect(decode('group_join', { user_id: 5, join_type: 'request' })).toEqual({
      kind: 'join',
      userId: 5,
      joinType: 'request',
    });
    expect(decode('group_join', { user_id: 5 })).toEqual({ kind: 'join', userId: 5, joinType: null });
  });

  it('keeps a permission whose mini app key it cannot use', () => {
    expect(decode('message_allow', { user_id: 5, key: 'x'.repeat(300) })).toEqual({
      kind: 'allow',
      userId: 5,
      key: null,
    });
  });

  it('rejects a leave without its user, which the schema allows', () => {
    expect(decode('group_leave', { self: 1 })).toEqual({ kind: 'rejected', reason: 'bad_group_leave' });
  });
});
