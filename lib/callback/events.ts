import * as z from 'zod';

/**
 * VK Callback API payloads (API 5.199), validated at the edge. Only what the code reads is
 * required; VK adds fields over time, so unknown keys pass through.
 */
export const callbackEnvelopeSchema = z.object({
  type: z.string().min(1).max(64),
  group_id: z.number().int().positive(),
  event_id: z.string().min(1).max(128).optional(),
  v: z.string().optional(),
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

const messageSchema = z.object({
  id: z.number().int(),
  date: z.number().int(),
  peer_id: z.number().int(),
  from_id: z.number().int(),
  text: z.string().max(10_000).default(''),
  payload: z.string().max(1024).optional(),
  conversation_message_id: z.number().int().optional(),
  attachments: z.array(z.unknown()).max(10).default([]),
  reply_message: replyMessageSchema.optional(),
});

export const messageNewSchema = z.object({
  message: messageSchema,
  client_info: clientInfoSchema.optional(),
});

/** `message_reply`: an outgoing community message; `admin_author_id` marks one a person typed. */
export const messageReplySchema = messageSchema.extend({
  admin_author_id: z.number().int().positive().optional(),
});

/** `message_event`: a callback-button press; its `event_id` is valid about a minute for the answer. */
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

export const messageAllowSchema = z.object({
  user_id: z.number().int().positive(),
  key: z.string().max(256).optional(),
});
export const messageDenySchema = z.object({ user_id: z.number().int().positive() });
export const groupJoinSchema = z.object({
  user_id: z.number().int().positive(),
  join_type: z.string().optional(),
});
export const groupLeaveSchema = z.object({
  user_id: z.number().int().positive(),
  self: z.number().int().optional(),
});
export const messageTypingSchema = z.object({
  from_id: z.number().int(),
  to_id: z.number().int().optional(),
});

/** VK's `lang_id`: 0 is Russian, 3 English; everything else falls back to Russian, the default. */
export function languageFromLangId(langId: number): 'ru' | 'en' {
  return langId === 3 ? 'en' : 'ru';
}
