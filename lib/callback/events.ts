import { createHash } from 'node:crypto';
import * as z from 'zod';

/**
 * VK Callback API payloads, validated at the edge and decoded the way VK's own schema documents
 * them (`vk-api-schema/callback/objects.json`, API 5.199), plus the shapes older API versions and
 * VK's docs still send. Only what the code reads is required; VK adds fields over time, so unknown
 * keys pass. An envelope only needs what the security checks read (type, group, secret): whatever
 * else is off is logged and answered `ok` further on, because anything but `ok` makes VK retry and
 * then pause the whole server.
 */
export const callbackEnvelopeSchema = z.object({
  type: z.string().min(1).max(64),
  group_id: z.number().int().positive(),
  // The schema says a string; VK's docs show numbers, and older API versions send none. Anything
  // unusable counts as none: the event is then known by a key derived from itself (eventIdentity).
  event_id: z
    .union([z.string().min(1).max(128), z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER)])
    .optional()
    .catch(undefined),
  v: z.string().optional().catch(undefined),
  secret: z.string().optional(),
  object: z.unknown().optional(),
});
export type CallbackEnvelope = z.infer<typeof callbackEnvelopeSchema>;

export const clientInfoSchema = z.object({
  button_actions: z.array(z.string()).default([]),
  keyboard: z.boolean().default(true),
  inline_keyboard: z.boolean().default(true),
  carousel: z.boolean().optional(),
  lang_id: z.number().int().default(0),
});

/** A photo attachment as VK delivers it; kept on tickets as a reference `photo<owner>_<id>[_<key>]`. */
const photoAttachmentSchema = z.object({
  type: z.literal('photo'),
  photo: z.object({
    id: z.number().int(),
    owner_id: z.number().int(),
    access_key: z
      .string()
      .regex(/^[A-Za-z0-9]{1,64}$/)
      .optional(),
  }),
});

/** The message a chat message replies to (the operators' chat answers ticket cards this way). */
const replyMessageSchema = z.object({
  from_id: z.number().int(),
  text: z.string().max(10_000).default(''),
  conversation_message_id: z.number().int().optional(),
});

/**
 * A message (`messages_message`). The schema also requires `date`, `out`, `version`, and `id` and
 * `conversation_message_id`; the bot reads none of them but the ids, and VK sends `id: 0` to a
 * bot in a group chat, so they are optional here.
 */
const messageSchema = z.object({
  id: z.number().int().optional(),
  peer_id: z.number().int(),
  from_id: z.number().int(),
  text: z.string().max(10_000).default(''),
  payload: z.string().max(1024).optional(),
  conversation_message_id: z.number().int().optional(),
  attachments: z.array(z.unknown()).max(10).default([]),
  reply_message: replyMessageSchema.optional(),
  /** A service message in a chat (`messages_message_action`): someone joined, left, was removed. */
  action: z.object({ type: z.string().max(64), member_id: z.number().int().optional() }).optional(),
});

/**
 * `message_new`: `{message, client_info}` since API 5.103 (the schema's `callback_message_object`,
 * both properties optional there); before 5.103 the object is the message itself, with no
 * client_info. A message without its ids (API below 5.80: `user_id`, `body`) does not parse.
 */
export const messageNewSchema = z.union([
  z.object({ message: messageSchema, client_info: clientInfoSchema.optional() }),
  messageSchema.transform((message) => ({ message, client_info: undefined })),
]);

/** `message_reply`: an outgoing community message; `admin_author_id` marks one a person typed. */
export const messageReplySchema = messageSchema.extend({
  admin_author_id: z.number().int().positive().optional(),
});

/**
 * `message_event`: a callback-button press; its `event_id` is valid about a minute for the answer.
 * `payload` is a string in the schema and an object in what VK sends: parseButtonPayload takes both.
 */
export const messageEventSchema = z.object({
  user_id: z.number().int().positive(),
  peer_id: z.number().int(),
  event_id: z.string().min(1).max(128),
  payload: z.unknown().optional(),
  conversation_message_id: z.number().int().optional(),
});

/** Photo references of a message's attachments; other kinds are not kept. */
export function photoReferences(attachments: readonly unknown[]): string[] {
  const references: string[] = [];
  for (const attachment of attachments) {
    const parsed = photoAttachmentSchema.safeParse(attachment);
    if (!parsed.success) continue;
    const { owner_id, id, access_key } = parsed.data.photo;
    references.push(`photo${owner_id}_${id}${access_key ? `_${access_key}` : ''}`);
  }
  return references;
}

/** `message_allow`: the schema requires `key`, but it only says something when the mini app asked. */
export const messageAllowSchema = z.object({
  user_id: z.number().int().positive(),
  // The mini app's tag, set by the user's client: one we can't keep is dropped, the permission kept.
  key: z.string().max(256).optional().catch(undefined),
});
export const messageDenySchema = z.object({ user_id: z.number().int().positive() });
/** `group_join`: `join_type` is `join`, `unsure`, `accepted`, `approved` or `request` (schema). */
export const groupJoinSchema = z.object({
  user_id: z.number().int().positive(),
  join_type: z.string().max(64).optional().catch(undefined),
});
/**
 * `group_leave`: `self` is 1 when the user left, 0 when an admin removed them; both fields are
 * optional in the schema, and a leave without its user is of no use to the bot.
 */
export const groupLeaveSchema = z.object({
  user_id: z.number().int().positive(),
  self: z.union([z.number().int(), z.boolean()]).optional().catch(undefined),
});
export const messageTypingSchema = z.object({
  from_id: z.number().int(),
  to_id: z.number().int().optional(),
});

/** VK's `lang_id`: 0 is Russian, 3 English; everything else falls back to Russian, the default. */
export function languageFromLangId(langId: number): 'ru' | 'en' {
  return langId === 3 ? 'en' : 'ru';
}

/**
 * What one event is known by, for deduplication and as the root of its effects' keys.
 * - `once`: the key is this occurrence's alone, forever: VK's `event_id` (a number one becomes
 *   `<type>:<id>`: VK resends it unchanged), or, when there is none, ids in the object that name a
 *   single occurrence: a message's peer and conversation_message_id (or id), a press's own event_id.
 * - `change`: a user's state change without an id of its own (`group_join` and `group_leave`,
 *   `message_allow` and `message_deny` of older API versions). The object names the change, not
 *   the occurrence: a user who joins, leaves and joins again sends the same object twice, and both
 *   must count, while VK's retries of one (10 s to ~2 h later) must not. So the key names the user's
 *   change (`group_join:<user>`), `variant` the rest of the object (join_type, self, key: a join
 *   `request` then `approved` are two events), and `undoneBy` the change that makes the next one
 *   new: taking `group_leave:<user>` frees `group_join:<user>`. See claimEvent in the handler.
 */
export type EventIdentity =
  | { kind: 'once'; key: string }
  | { kind: 'change'; key: string; variant: string; undoneBy: string };

const messageIdsSchema = z.object({
  id: z.number().int().optional(),
  peer_id: z.number().int(),
  conversation_message_id: z.number().int().optional(),
});
const userIdSchema = z.object({ user_id: z.number().int() });
const pressIdSchema = z.object({ event_id: z.string().min(1).max(128) });

/** The identity of an event (see EventIdentity); pure, so a retry always gets the same one. */
export function eventIdentity(event: CallbackEnvelope): EventIdentity {
  const { type, event_id: eventId, object } = event;
  if (typeof eventId === 'string') return { kind: 'once', key: eventId };
  if (typeof eventId === 'number') return { kind: 'once', key: `${type}:${eventId}` };
  const record = typeof object === 'object' && object !== null ? (object as Record<string, unknown>) : {};
  switch (type) {
    case 'message_new':
    case 'message_reply': {
      const wrapped = type === 'message_new' && typeof record.message === 'object';
      const ids = messageIdsSchema.safeParse(wrapped ? record.message : object);
      if (!ids.success) break;
      const { peer_id: peer, conversation_message_id: inConversation, id } = ids.data;
      if (inConversation) return { kind: 'once', key: `${type}:${peer}:c${inConversation}` };
      if (id) return { kind: 'once', key: `${type}:${peer}:m${id}` };
      break;
    }
    case 'message_event': {
      const press = pressIdSchema.safeParse(object);
      if (press.success) return { kind: 'once', key: `${type}:${press.data.event_id}` };
      break;
    }
    case 'group_join':
    case 'group_leave':
    case 'message_allow':
    case 'message_deny': {
      const user = userIdSchema.safeParse(object);
      if (!user.success) break;
      const undoneBy = {
        group_join: 'group_leave',
        group_leave: 'group_join',
        message_allow: 'message_deny',
        message_deny: 'message_allow',
      }[type];
      const variant =
        type === 'group_join' ? record.join_type : type === 'group_leave' ? record.self : record.key;
      return {
        kind: 'change',
        key: `${type}:${user.data.user_id}`,
        variant: JSON.stringify(variant ?? null).slice(0, 300),
        undoneBy: `${undoneBy}:${user.data.user_id}`,
      };
    }
  }
  // Nothing in the object names it: the object itself does, as VK resends the same body.
  const digest = createHash('sha256')
    .update(JSON.stringify(object ?? null))
    .digest('hex');
  return { kind: 'once', key: `${type}:h${digest.slice(0, 32)}` };
}
