import * as z from 'zod';
import { broadcastAudienceSchema } from '../broadcasts/audience';
import { BROADCAST_MESSAGE_LIMIT } from '../broadcasts/broadcast';
import { eventNamesIn } from '../campaigns/campaign';
import { lowRatingReasons, REASON_TEXT } from '../csat/survey';
import { canonicalTimezone, isKnownTimezone } from '../schedule/timezone';
import { supportSettings } from '../support/settings';
import { ticketStatuses } from '../tickets/lifecycle';
import { ticketPriorities } from '../tickets/priority';

/** Request shapes of the HTTP API, validated at the edge; the OpenAPI document is generated from them. */

const vkPhoto = z
  .string()
  .regex(/^photo-?\d+_\d+(_[A-Za-z0-9]+)?$/, 'must be a VK photo reference like photo123_456_accesskey');
const eventName = z.enum(supportSettings.eventNames as [string, ...string[]]);
const instant = z.union([z.iso.datetime({ offset: true }), z.number().int().positive()]);
const phone = z
  .string()
  .transform((value) => value.replace(/[\s()-]/g, ''))
  .pipe(z.string().regex(/^\+?[1-9]\d{9,14}$/, 'must be a phone number like +7 900 123-45-67'));

/**
 * Text a person wrote, trimmed: any character but the C0/C1 controls other than tab and line breaks
 * (a NUL or an escape sequence is never typed, and would reach operators' screens and the CRM).
 */
export function personText(min: number, max: number) {
  return z
    .string()
    .trim()
    .min(min)
    .max(max)
    .refine((text) => !CONTROL_CHARACTERS.test(text), 'must not contain control characters')
    .refine((text) => !LONE_SURROGATE.test(text), 'must be valid Unicode (a lone surrogate is not)');
}
/** Half of a UTF-16 pair without the other: valid JSON, but no character; stored it would become U+FFFD. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding them is the point.
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;

export const createTicketBody = z
  .strictObject({
    category: z.enum(supportSettings.categories.map((c) => c.id) as [string, ...string[]]),
    subject: personText(3, 120),
    description: personText(1, 4000),
    screen: z.string().max(200).optional(),
    appVersion: z.string().max(40).optional(),
    platform: z.string().max(40).optional(),
    /** The path to the problem: the user's latest events, oldest first. */
    recentEvents: z
      .array(
        z.strictObject({ name: z.string().max(64), at: instant, screen: z.string().max(200).optional() }),
      )
      .max(50)
      .optional(),
    contact: z
      .strictObject({
        email: z.email('must be an e-mail address').max(254).optional(),
        phone: phone.optional(),
      })
      .optional(),
    /**
     * The user agreed to their contact being kept as the form's notice says (`contactNotice` of
     * `GET /api/categories`): required with a contact (FZ-152), stored as `details.contactConsentAt`.
     */
    consent: z.boolean().optional(),
    attachments: z.array(vkPhoto).max(10).default([]),
  })
  .superRefine((body, context) => {
    const contactGiven = body.contact?.email !== undefined || body.contact?.phone !== undefined;
    if (contactGiven && body.consent !== true)
      context.addIssue({
        code: 'custom',
        path: ['consent'],
        message: 'must be true when a contact is given: the user agrees to the contact notice',
      });
  });

const cursor = z.string().max(200);
export const listTicketsQuery = z.strictObject({
  status: z.enum(ticketStatuses).optional(),
  category: z.string().max(32).optional(),
  from: z.iso.date().optional(),
  to: z.iso.date().optional(),
  cursor: cursor.optional(),
  limit: z.coerce.number().int().min(1).max(50).default(20),
});

export const ticketMessageBody = z.strictObject({
  text: personText(1, 4000),
  attachments: z.array(vkPhoto).max(10).default([]),
});

/** A rating from the mini app; a low one (≤ 2) may say why, and `other` in the user's words. */
export const ratingBody = z
  .strictObject({
    rating: z.number().int().min(1).max(5),
    reason: z.enum(lowRatingReasons).optional(),
    comment: personText(REASON_TEXT.min, REASON_TEXT.max).optional(),
  })
  .superRefine((body, context) => {
    if (body.reason !== undefined && body.rating > 2)
      context.addIssue({ code: 'custom', path: ['reason'], message: 'only for a rating of 2 or less' });
    if (body.comment !== undefined && body.reason !== 'other')
      context.addIssue({ code: 'custom', path: ['comment'], message: 'only with reason "other"' });
  });

export const kbSearchQuery = z.strictObject({
  q: z.string().trim().min(1).max(300),
  lang: z.enum(['ru', 'en']).default('ru'),
  limit: z.coerce.number().int().min(1).max(10).default(5),
});
export const kbArticleQuery = z.strictObject({ lang: z.enum(['ru', 'en']).default('ru') });

export const eventsBody = z.strictObject({
  events: z
    .array(
      z.strictObject({
        /** The client's id for the event: a re-sent batch is stored once. */
        id: z.string().min(1).max(64),
        name: eventName,
        at: instant,
        screen: z.string().max(200).optional(),
        props: z
          .record(z.string().max(40), z.union([z.string().max(200), z.number(), z.boolean()]))
          .refine((props) => Object.keys(props).length <= 20, 'at most 20 props')
          .default({}),
      }),
    )
    .min(1)
    .max(100),
});

const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM');
export const preferencesBody = z.strictObject({
  language: z.enum(['ru', 'en']).optional(),
  notificationTypes: z
    .strictObject({ ticketUpdates: z.boolean(), reminders: z.boolean(), news: z.boolean() })
    .partial()
    .optional(),
  quietHours: z.strictObject({ from: clock, to: clock }).nullable().optional(),
  /** The device's IANA timezone (quiet hours are local to it); null returns to the app's. */
  timezone: z
    .string()
    .refine(isKnownTimezone, 'must be an IANA timezone such as Europe/Moscow')
    .transform(canonicalTimezone)
    .nullable()
    .optional(),
});

export const notificationsConsentBody = z.strictObject({ enabled: z.boolean() });

export const opsQueueQuery = z.strictObject({
  status: z.enum(ticketStatuses).optional(),
  category: z.string().max(32).optional(),
  assignee: z.union([z.literal('none'), z.literal('me'), z.coerce.number().int().positive()]).optional(),
  sla: z.enum(['ok', 'at_risk', 'breached', 'paused', 'met']).optional(),
  priority: z.enum(ticketPriorities).optional(),
  /** A search: a ticket number, a VK id, an e-mail or phone, or the start of a first name (any status). */
  q: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .describe(
      'Search every status: a ticket number (b-1001, B1001), a VK id (id123, 123, vk.com/id123), an e-mail or phone, or the start of a first name',
    )
    .optional(),
  cursor: cursor.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});

export const assignBody = z.strictObject({
  /** Omitted: the caller takes the ticket; null: unassign. */
  assigneeId: z.number().int().positive().nullable().optional(),
});
export const statusBody = z.strictObject({ status: z.enum(ticketStatuses) });
export const operatorMessageBody = ticketMessageBody.extend({ internal: z.boolean().default(false) });

/**
 * A report's local date: ISO `YYYY-MM-DD` from 1970 on (JavaScript's dates read years below 100 as
 * 19xx, so 0001-01-01 would quietly become 1901).
 */
export const reportDate = z.iso.date().refine((date) => date >= '1970-01-01', 'must be 1970-01-01 or later');

export const statsQuery = z.strictObject({ from: reportDate.optional(), to: reportDate.optional() });

/** An admins' incident broadcast: one text to an audience, by community message or notification. */
export const broadcastBody = z
  .strictObject({
    text: personText(1, BROADCAST_MESSAGE_LIMIT),
    audience: broadcastAudienceSchema,
    /** `auto`: a community message to users who allow messages, else a mini app notification. */
    channel: z.enum(['message', 'notification', 'auto']).default('auto'),
  })
  .superRefine((body, context) => {
    // A misspelt event would match nobody, and an incident notice would silently reach no one.
    if (typeof body.audience !== 'object' || !('segment' in body.audience)) return;
    const known = new Set(supportSettings.eventNames);
    for (const name of eventNamesIn(body.audience.segment))
      if (!known.has(name))
        context.addIssue({
          code: 'custom',
          path: ['audience', 'segment'],
          message: `unknown event "${name}"; known: ${supportSettings.eventNames.join(', ')}`,
        });
  });

export const broadcastQuery = z.strictObject({
  /** `1`: count the audience and write nothing. */
  dryRun: z.enum(['0', '1']).optional(),
});

/** A local date (the whole day, in the support timezone) or an instant with its offset. */
const dateOrInstant = z.union([reportDate, z.iso.datetime({ offset: true })]);

/** The admins' audit feed: a time range, exact action and actor, a subject's prefix, a page. */
export const auditFeedQuery = z.strictObject({
  /** From this instant, or from the start of this day. */
  since: dateOrInstant.optional(),
  /** Before this instant, or up to the end of this day. */
  until: dateOrInstant.optional(),
  action: z.string().min(1).max(64).describe('Exactly, e.g. `user.erase`, `ticket.assign`').optional(),
  actor: z.string().min(1).max(64).describe('Exactly, e.g. `operator:1`, `system`').optional(),
  subject: z
    .string()
    .min(1)
    .max(100)
    .describe('The start of the subject, e.g. `ticket:`, `user:`, `broadcast:`')
    .optional(),
  cursor: z.string().max(400).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});

/** A range of UTC plan days, `YYYY-MM-DD`; by default the last 14 (as `npm run notify:report`). */
export const campaignResultsQuery = z.strictObject({
  from: reportDate.optional(),
  to: reportDate.optional(),
});
