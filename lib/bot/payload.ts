import * as z from 'zod';
import { lowRatingReasons } from '../csat/survey';

/**
 * What our buttons carry. Kept short (VK caps a payload at 255 characters) and validated like any
 * input: a press is user input, and a payload can be forged by any client. Values that name things
 * (a category, an article, a ticket) are checked against what exists by the code that acts on them.
 */
const slug = z.string().regex(/^[a-z0-9-]{1,64}$/);
const ticketNumber = z.string().regex(/^[A-Z]-\d{4,9}$/);
const resolution = z.number().int().min(1).max(10_000);

export const leaveReasons = ['boring', 'too_many_posts', 'not_relevant', 'other'] as const;

export const buttonPayloadSchema = z.discriminatedUnion('c', [
  z.strictObject({ c: z.literal('start') }),
  z.strictObject({ c: z.literal('menu') }),
  z.strictObject({ c: z.literal('ask') }),
  z.strictObject({ c: z.literal('tickets') }),
  z.strictObject({ c: z.literal('faq') }),
  z.strictObject({ c: z.literal('operator') }),
  z.strictObject({ c: z.literal('lang') }),
  z.strictObject({ c: z.literal('setlang'), l: z.enum(['ru', 'en']) }),
  z.strictObject({ c: z.literal('cat'), id: slug }),
  z.strictObject({ c: z.literal('kb'), s: slug }),
  z.strictObject({ c: z.literal('kb_ok'), s: slug }),
  z.strictObject({ c: z.literal('handover') }),
  z.strictObject({ c: z.literal('decline') }),
  z.strictObject({ c: z.literal('skip') }),
  z.strictObject({ c: z.literal('send') }),
  z.strictObject({ c: z.literal('cancel') }),
  z.strictObject({ c: z.literal('leave'), r: z.enum(leaveReasons) }),
  // An operators' card action; `takeover` confirms taking a ticket from `h`, who held it when asked.
  z.strictObject({
    c: z.literal('op'),
    a: z.enum(['take', 'takeover', 'resolve', 'reopen', 'tpl']),
    t: ticketNumber,
    h: z.number().int().positive().optional(),
  }),
  // A survey's answer: ticket, resolution, rating; then a low rating's reason.
  z.strictObject({ c: z.literal('csat'), t: ticketNumber, n: resolution, r: z.number().int().min(1).max(5) }),
  z.strictObject({ c: z.literal('csat_why'), t: ticketNumber, n: resolution, w: z.enum(lowRatingReasons) }),
  // The NPS survey's answer: "how likely are you to recommend us", 0–10.
  z.strictObject({ c: z.literal('nps'), s: z.number().int().min(0).max(10) }),
]);
export type ButtonPayload = z.infer<typeof buttonPayloadSchema>;

export type PayloadParse =
  | { kind: 'none' }
  | { kind: 'valid'; payload: ButtonPayload }
  | { kind: 'invalid'; reason: string };

/**
 * Reads a payload as VK delivers it: a JSON string in `message_new`, an object (or, per the schema,
 * a string) in `message_event`. VK's own Start button sends `{"command":"start"}`.
 */
export function parseButtonPayload(raw: unknown): PayloadParse {
  if (raw === undefined || raw === null || raw === '') return { kind: 'none' };
  let value: unknown = raw;
  if (typeof raw === 'string') {
    if (raw.length > 1024) return { kind: 'invalid', reason: 'too_long' };
    try {
      value = JSON.parse(raw);
    } catch {
      return { kind: 'invalid', reason: 'not_json' };
    }
  }
  if (typeof value === 'object' && value !== null && (value as { command?: unknown }).command === 'start') {
    return { kind: 'valid', payload: { c: 'start' } };
  }
  const parsed = buttonPayloadSchema.safeParse(value);
  if (!parsed.success) return { kind: 'invalid', reason: 'unknown_command' };
  return { kind: 'valid', payload: parsed.data };
}
