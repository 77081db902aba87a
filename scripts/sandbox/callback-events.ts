import { randomUUID } from 'node:crypto';
import type { SentMessage, UserMessageOptions } from './types';

/** The button actions a current VK client supports, as its `client_info` lists them. */
const userButtonActions = [
  'text',
  'vkpay',
  'open_app',
  'location',
  'open_link',
  'callback',
  'intent_subscribe',
  'intent_unsubscribe',
];

/**
 * A message's fields that VK's schema requires (`messages_base_message`) and the bot never reads:
 * sent all the same, so the sandbox's events are the shapes VK documents (a test checks them against
 * `vk-api-schema/callback/objects.json`).
 */
function messageCommons(messageId: number, out: 0 | 1) {
  return { out, version: 10_000_000 + messageId, fwd_messages: [], important: false, is_hidden: false };
}

/** The `object` of VK's `message_new` for a user writing to the community (photos as VK attaches them). */
export function userMessageEvent(message: {
  messageId: number;
  userId: number;
  text: string;
  conversationMessageId: number;
  options: UserMessageOptions;
}) {
  const { messageId, userId, options } = message;
  return {
    message: {
      ...messageCommons(messageId, 0),
      id: messageId,
      date: Math.floor(Date.now() / 1000),
      peer_id: userId,
      from_id: userId,
      text: message.text,
      conversation_message_id: message.conversationMessageId,
      attachments: Array.from({ length: options.photos ?? 0 }, (_, index) => ({
        type: 'photo',
        photo: {
          id: 457_239_000 + messageId * 10 + index,
          owner_id: userId,
          access_key: `k${messageId}x${index}`,
          sizes: [{ type: 'x', url: 'https://sun9-1.userapi.com/x.jpg', width: 604, height: 453 }],
        },
      })),
      ...(options.payload === undefined ? {} : { payload: JSON.stringify(options.payload) }),
    },
    client_info: {
      button_actions: options.buttonActions ?? [...userButtonActions],
      keyboard: true,
      inline_keyboard: true,
      carousel: true,
      lang_id: options.langId ?? 0,
    },
  };
}

/** The `object` of VK's `message_new` for a member writing in a group chat, maybe replying to us. */
export function chatMessageEvent(message: {
  peerId: number;
  fromId: number;
  text: string;
  conversationMessageId: number;
  groupId: number;
  replied: SentMessage | undefined;
  /** A service message (`messages_message_action`): someone joined the chat, left it, was removed. */
  action?: { type: string; member_id: number };
}) {
  const { peerId, replied, action } = message;
  return {
    message: {
      // A bot in a group chat gets `id: 0`: the chat's messages are known by conversation_message_id.
      ...messageCommons(0, 0),
      id: 0,
      date: Math.floor(Date.now() / 1000),
      peer_id: peerId,
      from_id: message.fromId,
      text: message.text,
      conversation_message_id: message.conversationMessageId,
      attachments: [],
      ...(action ? { action } : {}),
      ...(replied
        ? {
            reply_message: {
              date: Math.floor(Date.now() / 1000),
              from_id: -message.groupId,
              text: replied.text,
              peer_id: peerId,
              id: 0,
              conversation_message_id: replied.conversationMessageId,
              attachments: [],
            },
          }
        : {}),
    },
    client_info: currentClientInfo(),
  };
}

/** A message the community sent, as VK shows it in `message_reply`. */
export function communityMessage(message: SentMessage, groupId: number) {
  return {
    ...messageCommons(message.messageId, 1),
    id: message.messageId,
    date: Math.floor(Date.now() / 1000),
    peer_id: message.peerId,
    from_id: -groupId,
    text: message.text,
    conversation_message_id: message.conversationMessageId,
    attachments: [],
    random_id: message.randomId,
  };
}

/** The `event_id` of a `message_event` (a button press): 12 hex digits. */
export function pressEventId(): string {
  return randomUUID().replace(/-/g, '').slice(0, 12);
}

/** `client_info` as a current VK client sends it: every button type, inline keyboards. */
export function currentClientInfo(langId = 0) {
  return {
    button_actions: ['text', 'callback', 'open_link', 'open_app'],
    keyboard: true,
    inline_keyboard: true,
    carousel: true,
    lang_id: langId,
  };
}
