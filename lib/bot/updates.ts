import {
  type CallbackEnvelope,
  groupJoinSchema,
  groupLeaveSchema,
  messageAllowSchema,
  messageDenySchema,
  messageEventSchema,
  messageNewSchema,
  messageReplySchema,
  photoReferences,
} from '../callback/events';
import { type ClientCapabilities, capabilitiesFrom } from './keyboard';
import { type ButtonPayload, parseButtonPayload } from './payload';

/** The first peer id of a group chat (2000000000 + chat id). */
export const CHAT_PEER_BASE = 2_000_000_000;

/**
 * A callback event as the bot sees it: validated, classified by who acts where. Anything the bot
 * must not act on is `ignored` (not ours to handle) or `rejected` (malformed or forged: logged,
 * answered `ok`, nothing written).
 */
export type BotUpdate =
  | {
      kind: 'message';
      userId: number;
      text: string;
      payload: ButtonPayload | null;
      photos: string[];
      client: ClientCapabilities | null;
      langId: number | null;
    }
  | {
      kind: 'press';
      userId: number;
      pressId: string;
      payload: ButtonPayload;
      /** The pressed message's conversation_message_id, to edit it. */
      messageId: number | null;
    }
  | {
      kind: 'chat_message';
      peerId: number;
      fromId: number;
      text: string;
      replyTo: { fromId: number; text: string } | null;
    }
  | { kind: 'chat_press'; peerId: number; userId: number; pressId: string; payload: ButtonPayload }
  /** Someone joined an operators' chat or left it (or was removed): VK's service message. */
  | { kind: 'chat_member'; peerId: number; memberId: number; change: 'joined' | 'left' }
  | { kind: 'operator_wrote'; userId: number; adminId: number; text: string; photos: string[] }
  | { kind: 'allow'; userId: number; key: string | null }
  | { kind: 'deny'; userId: number }
  | {
      kind: 'join';
      userId: number;
      /** VK's `join_type`: `join`, `unsure` (a meeting's "maybe"), `accepted`, `approved`, `request`. */
      joinType: string | null;
    }
  | {
      kind: 'leave';
      userId: number;
      /** True when the user left; false when an admin removed them (VK's `self`: 0). */
      self: boolean;
    }
  /** A callback button whose payload this bot can't read (an old keyboard, a forged one): answered, nothing else. */
  | { kind: 'stale_press'; userId: number; peerId: number; pressId: string; reason: string }
  | { kind: 'ignored'; reason: string }
  | { kind: 'rejected'; reason: string };

/** VK's chat service messages (`messages_message_action_status`) that change who is in the chat. */
export const CHAT_MEMBER_ACTIONS: Readonly<Record<string, 'joined' | 'left'>> = {
  chat_invite_user: 'joined',
  chat_invite_user_by_link: 'joined',
  chat_invite_user_by_message_request: 'joined',
  chat_kick_user: 'left',
};

/**
 * The Callback API events decodeUpdate handles: what the community's callback server is subscribed
 * to (`npm run vk:callback`); a test holds the two together.
 */
export const subscribedCallbackEvents = [
  'message_new',
  'message_reply',
  'message_event',
  'message_allow',
  'message_deny',
  'group_join',
  'group_leave',
] as const;

export function decodeUpdate(
  event: CallbackEnvelope,
  context: {
    operatorsChatPeerId: number | undefined;
    /** Every operators' chat (the categories' own ones besides the default); see lib/tickets/routing.ts. */
    operatorsChatPeerIds?: ReadonlySet<number>;
  },
): BotUpdate {
  const isUser = (id: number) => id > 0 && id < CHAT_PEER_BASE;
  const isOperatorsChat = (peerId: number) =>
    (context.operatorsChatPeerId !== undefined && peerId === context.operatorsChatPeerId) ||
    (context.operatorsChatPeerIds?.has(peerId) ?? false);
  switch (event.type) {
    case 'message_new': {
      const parsed = messageNewSchema.safeParse(event.object);
      if (!parsed.success) return { kind: 'rejected', reason: 'bad_message_new' };
      const { message, client_info } = parsed.data;
      if (isOperatorsChat(message.peer_id)) {
        const membership = message.action ? CHAT_MEMBER_ACTIONS[message.action.type] : undefined;
        if (message.action && membership) {
          // Who joined or left: `member_id`; one who came by link is the sender.
          const memberId = message.action.member_id ?? message.from_id;
          if (!isUser(memberId)) return { kind: 'ignored', reason: 'chat_member_not_a_user' };
          return { kind: 'chat_member', peerId: message.peer_id, memberId, change: membership };
        }
        if (!isUser(message.from_id)) return { kind: 'ignored', reason: 'chat_message_not_from_user' };
        return {
          kind: 'chat_message',
          peerId: message.peer_id,
          fromId: message.from_id,
          text: message.text,
          replyTo: message.reply_message
            ? { fromId: message.reply_message.from_id, text: message.reply_message.text }
            : null,
        };
      }
      if (!isUser(message.from_id) || message.peer_id !== message.from_id)
        return { kind: 'ignored', reason: 'not_a_private_dialog' };
      const payload = parseButtonPayload(message.payload);
      // An operator's button can only be forged here: refused. Any other payload this bot can't read
      // (an old client's keyboard) doesn't make the message less what the user typed: read as text.
      if (payload.kind === 'valid' && payload.payload.c === 'op')
        return { kind: 'rejected', reason: 'operator_payload_outside_chat' };
      const readable = payload.kind === 'valid';
      return {
        kind: 'message',
        userId: message.from_id,
        text: message.text.trim(),
        payload: readable ? payload.payload : null,
        photos: photoReferences(message.attachments),
        client: client_info ? capabilitiesFrom(client_info) : null,
        langId: client_info ? client_info.lang_id : null,
      };
    }
    case 'message_event': {
      const parsed = messageEventSchema.safeParse(event.object);
      if (!parsed.success) return { kind: 'rejected', reason: 'bad_message_event' };
      const { user_id, peer_id, event_id } = parsed.data;
      const payload = parseButtonPayload(parsed.data.payload);
      // The client waits for an answer to any press: one it can't act on still gets one.
      const stale = (reason: string) =>
        ({ kind: 'stale_press', userId: user_id, peerId: peer_id, pressId: event_id, reason }) as const;
      if (payload.kind !== 'valid')
        return stale(`payload_${payload.kind === 'none' ? 'missing' : payload.reason}`);
      if (isOperatorsChat(peer_id)) {
        if (payload.payload.c !== 'op') return stale('user_payload_in_operators_chat');
        return {
          kind: 'chat_press',
          peerId: peer_id,
          userId: user_id,
          pressId: event_id,
          payload: payload.payload,
        };
      }
      if (peer_id !== user_id) return { kind: 'ignored', reason: 'press_outside_private_dialog' };
      if (payload.payload.c === 'op') return stale('operator_payload_outside_chat');
      return {
        kind: 'press',
        userId: user_id,
        pressId: event_id,
        payload: payload.payload,
        messageId: parsed.data.conversation_message_id ?? null,
      };
    }
    case 'message_reply': {
      const parsed = messageReplySchema.safeParse(event.object);
      if (!parsed.success) return { kind: 'rejected', reason: 'bad_message_reply' };
      const message = parsed.data;
      if (!isUser(message.peer_id)) return { kind: 'ignored', reason: 'reply_outside_private_dialog' };
      // What the bot sent through the API comes back here too, without admin_author_id.
      if (message.admin_author_id === undefined) return { kind: 'ignored', reason: 'own_message' };
      return {
        kind: 'operator_wrote',
        userId: message.peer_id,
        adminId: message.admin_author_id,
        text: message.text,
        photos: photoReferences(message.attachments),
      };
    }
    case 'message_allow': {
      const parsed = messageAllowSchema.safeParse(event.object);
      if (!parsed.success) return { kind: 'rejected', reason: 'bad_message_allow' };
      return { kind: 'allow', userId: parsed.data.user_id, key: parsed.data.key || null };
    }
    case 'message_deny': {
      const parsed = messageDenySchema.safeParse(event.object);
      return parsed.success
        ? { kind: 'deny', userId: parsed.data.user_id }
        : { kind: 'rejected', reason: 'bad_message_deny' };
    }
    case 'group_join': {
      const parsed = groupJoinSchema.safeParse(event.object);
      return parsed.success
        ? { kind: 'join', userId: parsed.data.user_id, joinType: parsed.data.join_type ?? null }
        : { kind: 'rejected', reason: 'bad_group_join' };
    }
    case 'group_leave': {
      const parsed = groupLeaveSchema.safeParse(event.object);
      if (!parsed.success) return { kind: 'rejected', reason: 'bad_group_leave' };
      // Absent `self` reads as the user's own leave, the common case.
      const { self } = parsed.data;
      return { kind: 'leave', userId: parsed.data.user_id, self: self !== 0 && self !== false };
    }
    default:
      return { kind: 'ignored', reason: 'unhandled_type' };
  }
}
