import { callbackServerMethods } from './callback-servers';
import { keyboardProblem } from './keyboard';
import { fail, invalid, type MethodAnswer, type MethodContext, type MethodTable, ok } from './method-context';
import { notificationMethods } from './notifications';
import type { SentMessage } from './types';

/**
 * `messages.*`: sending to users and chats (with VK's permission, dedup and keyboard checks),
 * editing, snackbars, a chat's members.
 */
export const messageMethods: MethodTable = {
  /**
   * One message to `peer_id` (answer: its message id), or the same message to each of `peer_ids`
   * (up to 100; answer: `[{peer_id, message_id, conversation_message_id, error?}]`, a peer that can't
   * get it carries its own error, as VK answers). `random_id` dedups per peer.
   */
  'messages.send': (params, context) => {
    if ((params.message ?? '').length > 9000) return fail(914, 'Message is too long');
    if (!params.message && !params.attachment) return invalid('message is empty');
    if (params.keyboard) {
      const problem = keyboardProblem(params.keyboard);
      if (problem) return fail(911, `Keyboard format is invalid: ${problem}`);
    }
    if (params.peer_ids !== undefined && params.peer_id === undefined && params.user_id === undefined) {
      const peerIds = params.peer_ids.split(',').map(Number);
      if (
        peerIds.length === 0 ||
        peerIds.length > 100 ||
        peerIds.some((peerId) => !Number.isSafeInteger(peerId) || peerId === 0)
      )
        return invalid('peer_ids');
      const items = peerIds.map((peerId) => {
        const sent = sendOne(peerId, params, context);
        return 'error' in sent
          ? { peer_id: peerId, message_id: 0, conversation_message_id: 0, error: sent.error }
          : { peer_id: peerId, message_id: 0, conversation_message_id: sent.message.conversationMessageId };
      });
      return ok(items);
    }
    const peerId = Number(params.peer_id ?? params.user_id);
    if (!peerId) return invalid('peer_id');
    const sent = sendOne(peerId, params, context);
    if ('error' in sent) return fail(sent.error.code, sent.error.description);
    return ok(sent.message.messageId, sent.duplicate ? 'duplicate' : undefined);
  },

  /**
   * Changes a sent message in place, as the user sees it: by `cmid` (its conversation_message_id; VK's
   * schema names the parameter so) or by `message_id`.
   */
  'messages.edit': (params, context) => {
    const target = context.sent.find(
      (message) =>
        message.peerId === Number(params.peer_id) &&
        (params.cmid === undefined
          ? message.messageId === Number(params.message_id)
          : message.conversationMessageId === Number(params.cmid)),
    );
    if (!target) return invalid('message not found');
    target.text = params.message ?? target.text;
    target.keyboard = params.keyboard ? JSON.parse(params.keyboard) : target.keyboard;
    return ok(1);
  },

  'messages.sendMessageEventAnswer': (params, context) => {
    if (!params.event_id || !params.user_id || !params.peer_id) return invalid('event_id, user_id, peer_id');
    const eventData = params.event_data ? JSON.parse(params.event_data) : null;
    if (eventData?.type === 'show_snackbar' && String(eventData.text ?? '').length > 90)
      return invalid('event_data: snackbar text is longer than 90 characters');
    context.eventAnswers.push({
      eventId: params.event_id,
      userId: Number(params.user_id),
      peerId: Number(params.peer_id),
      eventData,
    });
    return ok(1);
  },

  'messages.isMessagesFromGroupAllowed': (params, context) =>
    ok({ is_allowed: context.allowed.has(Number(params.user_id)) ? 1 : 0 }),

  'messages.getConversationMembers': (params, context) => {
    const members = context.options.chatMembers[Number(params.peer_id)];
    if (!members) return fail(917, "You don't have access to this chat");
    return ok({
      count: members.length,
      items: members.map((memberId) => ({
        member_id: memberId,
        invited_by: memberId,
        join_date: 1_700_000_000,
      })),
      profiles: members.map((id) => ({ id, first_name: `User${id}`, last_name: 'Sandbox' })),
    });
  },
};

/** `users.get`: every user is `User<id> Sandbox`, with an open profile. */
export const userMethods: MethodTable = {
  'users.get': (params) =>
    ok(
      String(params.user_ids ?? '')
        .split(',')
        .filter(Boolean)
        .map((id) => ({
          id: Number(id),
          first_name: `User${id}`,
          last_name: 'Sandbox',
          can_access_closed: true,
          is_closed: false,
        })),
    ),
};

/** Every API method the sandbox answers, by name. */
export const apiMethods: MethodTable = {
  ...messageMethods,
  ...userMethods,
  ...notificationMethods,
  ...callbackServerMethods,
};

/** One API method, called directly or from `execute`: VK's checks, effects and answer; error 3 if unknown. */
export async function invokeMethod(
  method: string,
  params: Record<string, string>,
  context: MethodContext,
): Promise<MethodAnswer> {
  const handler = Object.hasOwn(apiMethods, method) ? apiMethods[method] : undefined;
  return handler ? handler(params, context) : fail(3, 'Unknown method passed');
}

/** Sends one message to one peer, as VK would: dedup by `random_id`, the user's permission, the echo. */
function sendOne(
  peerId: number,
  params: Record<string, string>,
  context: MethodContext,
): { message: SentMessage; duplicate: boolean } | { error: { code: number; description: string } } {
  const randomId = Number(params.random_id ?? 0);
  const dedupKey = `${peerId}:${randomId}`;
  const earlier = randomId !== 0 ? context.randomIds.get(dedupKey) : undefined;
  if (earlier !== undefined) {
    const message = context.sent.find((candidate) => candidate.messageId === earlier);
    if (message) return { message, duplicate: true };
  }
  if (peerId < 2_000_000_000 && peerId > 0 && !context.allowed.has(peerId))
    return { error: { code: 901, description: "Can't send messages for users without permission" } };
  const message = context.record(
    peerId,
    params.message ?? '',
    params.keyboard ? JSON.parse(params.keyboard) : null,
    randomId,
  );
  if (randomId !== 0) context.randomIds.set(dedupKey, message.messageId);
  context.options.log?.(`sandbox ← messages.send to ${peerId}: ${message.text.slice(0, 200)}`);
  if (peerId < 2_000_000_000 && context.options.echoReplies) context.echo(message);
  return { message, duplicate: false };
}
