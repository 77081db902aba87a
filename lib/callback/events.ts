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

export const messageNewSchema = z.object({
  message: z.object({
    id: z.number().int(),
    date: z.number().int(),
    peer_id: z.number().int(),
    from_id: z.number().int(),
    text: z.string().max(10_000).default(''),
    payload: z.string().max(1024).optional(),
    conversation_message_id: z.number().int().optional(),
    attachments: z.array(z.unknown()).default([]),
  }),
  client_info: clientInfoSchema.optional(),
});

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

/** VK's `lang_id`: 0 is Russian, 3 English; everything else falls back to Russian, the default. */
export function languageFromLangId(langId: number): 'ru' | 'en' {
  return langId === 3 ? 'en' : 'ru';
}
