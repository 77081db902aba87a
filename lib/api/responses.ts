import * as z from 'zod';
import { ticketStatuses } from '../tickets/lifecycle';
import { ticketPriorities } from '../tickets/priority';
import { webhookEvents } from '../tickets/webhooks';
import { requesterSchema } from '../users/requester';

/**
 * Response shapes of the HTTP API. Routes name them per status (`responses` in the route table), the
 * OpenAPI document's `components.schemas` is generated from them (and the mini app's types from the
 * document), handlers' view builders are typed by them, and the fuzzer validates every 2xx it gets
 * against them. Objects are strict: a field a handler adds without adding it here fails the fuzzer.
 */

/** Every schema the document names, by its component name (`#/components/schemas/<id>`). */
export const apiComponents = z.registry<{ id: string; description?: string }>();
export const named = <T extends z.ZodType>(id: string, schema: T, description?: string): T => {
  apiComponents.add(schema, { id, ...(description ? { description } : {}) });
  return schema;
};

const instant = z.iso.datetime();
const language = z.enum(['ru', 'en']);
const localized = z.strictObject({ ru: z.string(), en: z.string() });
export const ticketStatusSchema = named('TicketStatus', z.enum(ticketStatuses));
export const ticketChannelSchema = named('TicketChannel', z.enum(['chat', 'app', 'operator']));
const messageAuthor = z.enum(['user', 'operator', 'bot']);
const slaState = z.enum(['ok', 'at_risk', 'breached', 'paused', 'met']);
export const ticketPrioritySchema = named(
  'TicketPriority',
  z.enum(ticketPriorities),
  "How soon a ticket should be taken: its category's priority, or urgent when its words say so.",
);

named('Requester', requesterSchema, 'Who filed a ticket; null once the user was erased.');

export const problemSchema = named(
  'Problem',
  z.object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    instance: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  }),
  'An RFC 9457 problem; `errors` lists every invalid field of a 400.',
);

export const pingSchema = named('Ping', z.strictObject({ ok: z.literal(true) }));

export const categoriesSchema = named(
  'Categories',
  z.strictObject({
    categories: z.array(z.strictObject({ id: z.string(), emoji: z.string(), label: localized })),
    /** FZ-152: shown by the form's contact field (why, who keeps it, how long); `consent: true` agrees. */
    contactNotice: localized,
    /** Days a closed ticket's personal data is kept before it is anonymised. */
    retentionDays: z.number().int().positive(),
  }),
);

export const ticketSummarySchema = named(
  'TicketSummary',
  z.strictObject({
    number: z.string(),
    status: ticketStatusSchema,
    category: z.string(),
    /** The category's label in the caller's language (ru for operators). */
    categoryLabel: z.string(),
    subject: z.string(),
    createdAt: instant,
    updatedAt: instant,
    expectedFirstResponseAt: instant.nullable(),
    /** The closed ticket this one continues. */
    linkedTo: z.string().nullable(),
  }),
  'A ticket as the mini app lists it.',
);
export type TicketSummary = z.infer<typeof ticketSummarySchema>;

export const ticketPageSchema = named(
  'TicketPage',
  z.strictObject({ tickets: z.array(ticketSummarySchema), nextCursor: z.string().nullable() }),
);

export const postedMessageSchema = named(
  'PostedMessage',
  ticketSummarySchema.extend({ reopened: z.boolean() }),
  'The ticket the message went to; `reopened` when it reopened a resolved one.',
);

const ratingStateSchema = z.strictObject({ value: z.number().int().nullable(), canRate: z.boolean() });

const userMessage = z.strictObject({
  seq: z.number().int(),
  author: messageAuthor,
  text: z.string(),
  attachments: z.array(z.string()),
  at: instant,
});
const userStatusChange = z.strictObject({
  from: ticketStatusSchema.nullable(),
  to: ticketStatusSchema,
  at: instant,
});

export const userThreadSchema = named(
  'TicketThread',
  ticketSummarySchema.extend({
    messages: z.array(userMessage),
    statusHistory: z.array(userStatusChange),
    rating: ratingStateSchema,
  }),
  'One of the caller’s tickets with its thread (no internal notes) and status history.',
);

export const ratedSchema = named(
  'Rated',
  z.strictObject({ number: z.string(), rating: z.number().int().nullable(), reason: z.string().nullable() }),
);

export const eventsStoredSchema = named(
  'EventsStored',
  z.strictObject({ received: z.number().int(), stored: z.number().int() }),
);

export const preferencesSchema = named(
  'Preferences',
  z.strictObject({
    language: language.nullable(),
    notificationsAllowed: z.boolean(),
    notificationTypes: z.strictObject({
      ticketUpdates: z.boolean(),
      reminders: z.boolean(),
      news: z.boolean(),
    }),
    quietHours: z.strictObject({ from: z.string(), to: z.string() }).nullable(),
    /** IANA timezone for quiet hours; null: the app's. */
    timezone: z.string().nullable(),
  }),
);
export type Preferences = z.infer<typeof preferencesSchema>;

const record = z.record(z.string(), z.unknown());
export const userExportSchema = named(
  'UserExport',
  z.strictObject({
    exportedAt: instant,
    user: record.nullable(),
    dialog: record.nullable(),
    tickets: z.array(record),
    events: z.array(record),
    notifications: z.array(record),
    campaignDeliveries: z.array(record),
    /** The days they were active (a bitmap: lib/analytics/activity.ts), listed as dates. */
    activity: z.strictObject({ firstDay: z.string(), activeDays: z.array(z.string()) }).nullable(),
    npsResponses: z.array(record),
  }),
  'Everything held about a user (their records as stored; times in epoch milliseconds).',
);

export const erasedSchema = named(
  'Erased',
  z.strictObject({ erased: z.literal(true), anonymisedTickets: z.number().int() }),
);

export const kbResultsSchema = named(
  'KbResults',
  z.strictObject({
    results: z.array(
      z.strictObject({ slug: z.string(), title: z.string(), excerpt: z.string(), score: z.number() }),
    ),
  }),
);

export const kbArticleSchema = named(
  'KbArticle',
  z.strictObject({
    slug: z.string(),
    lang: language,
    title: z.string(),
    keywords: z.array(z.string()),
    body: z.string(),
  }),
);

export const opsQueueSchema = named(
  'OpsQueue',
  z.strictObject({
    tickets: z.array(
      ticketSummarySchema.extend({
        requester: requesterSchema.nullable(),
        assigneeId: z.number().int().nullable(),
        channel: ticketChannelSchema,
        sla: slaState,
        priority: ticketPrioritySchema,
        screen: z.string().nullable(),
      }),
    ),
    nextCursor: z.string().nullable(),
  }),
);

export const ticketContactSchema = named(
  'TicketContact',
  z.strictObject({
    email: z.string().nullable(),
    phone: z.string().nullable(),
    /** When the user agreed to the contact notice (FZ-152); null on tickets from before it was asked. */
    consentAt: instant.nullable(),
  }),
  'The contact the user left (the bot and the form alike, normalised: a phone as `+<digits>`).',
);

export const opsThreadSchema = named(
  'OpsTicket',
  ticketSummarySchema.extend({
    assigneeId: z.number().int().nullable(),
    channel: ticketChannelSchema,
    /** Screen, app version, platform, contact, recent events, SLA clock, as stored. */
    details: record,
    messages: z.array(userMessage.extend({ authorId: z.number().int().nullable(), internal: z.boolean() })),
    statusHistory: z.array(userStatusChange.extend({ by: z.string() })),
    rating: ratingStateSchema,
    surveys: z.array(
      z.strictObject({
        status: z.string(),
        operatorId: z.number().int().nullable(),
        channel: z.string().nullable(),
        rating: z.number().int().nullable(),
        reason: z.string().nullable(),
        reasonText: z.string().nullable(),
        sentAt: instant.nullable(),
        answeredAt: instant.nullable(),
      }),
    ),
    requester: requesterSchema.nullable(),
    /** `details.contact` typed: null when none was left, or the ticket was anonymised. */
    contact: ticketContactSchema.nullable(),
    sla: slaState,
    priority: ticketPrioritySchema,
  }),
  'A ticket with the whole thread (internal notes included), details, surveys and SLA state.',
);

export const opsMessageSchema = named(
  'OpsMessage',
  z.strictObject({
    number: z.string(),
    status: ticketStatusSchema,
    /** Who holds the ticket now: a reply to an unassigned ticket assigns it to its author. */
    assigneeId: z.number().int().nullable(),
    seq: z.number().int(),
    internal: z.boolean(),
  }),
);

export const templatesSchema = named(
  'Templates',
  z.strictObject({
    templates: z.array(z.strictObject({ id: z.string(), title: localized, text: localized })),
  }),
);

const durations = z.strictObject({
  count: z.number().int(),
  medianMinutes: z.number().nullable(),
  p90Minutes: z.number().nullable(),
});
const csatFigures = z.strictObject({
  sent: z.number().int(),
  answered: z.number().int(),
  responseRate: z.number().nullable(),
  average: z.number().nullable(),
  satisfied: z.number().nullable(),
  distribution: z.record(z.string(), z.number().int()),
});
const counts = z.record(z.string(), z.number().int());

/** lib/dispatcher/report.ts `campaignResults`: per campaign and variant, against the control group. */
export const campaignResultsSchema = named(
  'CampaignResults',
  z.strictObject({
    fromDay: z.iso.date(),
    toDay: z.iso.date(),
    campaigns: z.array(
      z.strictObject({
        campaign: z.string(),
        goal: z.strictObject({ event: z.string(), withinHours: z.number().int() }).nullable(),
        variants: z.array(
          z.strictObject({
            variant: z.string(),
            assigned: z.number().int(),
            sent: z.number().int(),
            delivered: z.number().int(),
            /** Null for journeys: their opens and returns are not measured (their goal is). */
            opened: z.number().int().nullable(),
            ctr: z.number().nullable(),
            returned: z.number().int().nullable(),
            returnRate: z.number().nullable(),
            upliftPoints: z.number().nullable(),
            conversions: z.number().int(),
            conversionRate: z.number().nullable(),
            uplift: z.strictObject({ points: z.number(), low: z.number(), high: z.number() }).nullable(),
            statuses: counts,
            /** Journeys only (lib/journeys/results.ts): runs with a step sent, and outcomes per step. */
            reached: z.number().int().optional(),
            steps: z
              .array(
                z.strictObject({
                  step: z.number().int(),
                  sent: z.number().int(),
                  capped: z.number().int(),
                  skipped: z.number().int(),
                  exited: z.number().int(),
                  failed: z.number().int(),
                  control: z.number().int(),
                }),
              )
              .optional(),
          }),
        ),
      }),
    ),
  }),
  'Plans made in the range (journeys: runs started in it): reached, opened, returned (own click excluded) and goal conversions, with the uplift over control (Newcombe 95 % interval, percentage points); journeys add runs reached and outcomes per step.',
);

export const statsSchema = named(
  'Stats',
  z.strictObject({
    range: z.strictObject({ from: instant, until: instant }),
    tickets: z.number().int(),
    truncated: z.boolean(),
    byCategory: counts,
    byScreen: counts,
    byStatus: counts,
    firstResponse: durations,
    resolution: durations,
    slaBreaches: z.strictObject({ firstResponse: z.number().int(), resolution: z.number().int() }),
    csat: csatFigures.extend({
      byOperator: z.record(z.string(), csatFigures),
      byCategory: z.record(z.string(), csatFigures),
      byWeek: z.record(z.string(), csatFigures),
      lowRatings: z.number().int(),
      worstReasons: z.array(
        z.strictObject({ reason: z.string(), count: z.number().int(), share: z.number() }),
      ),
    }),
    campaigns: campaignResultsSchema,
  }),
  'Figures for tickets created in the range, and the campaigns planned in it.',
);

export const opsUserSchema = named(
  'OpsUser',
  z.strictObject({
    requester: requesterSchema.nullable(),
    language: language.nullable(),
    messagesAllowed: z.boolean().nullable(),
    notificationsAllowed: z.boolean(),
    tickets: z.array(ticketSummarySchema.extend({ assigneeId: z.number().int().nullable() })),
    ratings: z.array(
      z.strictObject({
        number: z.string().nullable(),
        rating: z.number().int().nullable(),
        reason: z.string().nullable(),
        answeredAt: instant.nullable(),
      }),
    ),
    latestEvents: z.array(z.strictObject({ name: z.string(), screen: z.string().nullable(), at: instant })),
  }),
  'A requester: their latest tickets and ratings, language, permissions and latest events.',
);

export const auditEntrySchema = named(
  'AuditEntry',
  z.strictObject({
    subject: z.string(),
    at: instant,
    entryId: z.string(),
    actor: z.string(),
    role: z.string(),
    action: z.string(),
    details: record,
  }),
  'Who did what to which subject (`ticket:<id>`, `user:<hash>`, `broadcast:<id>`), and what changed; never message texts.',
);

export const auditSchema = named('AuditEntries', z.strictObject({ entries: z.array(auditEntrySchema) }));

export const auditFeedSchema = named(
  'AuditFeed',
  z.strictObject({
    entries: z.array(auditEntrySchema),
    /** Pass as `cursor` for older entries; may come with a short page when filters skipped entries. */
    nextCursor: z.string().nullable(),
  }),
  "Every subject's audit entries, newest first; `nextCursor` is null once the range is read.",
);

for (const [event, schema] of Object.entries(webhookEvents)) named(schema.id, schema.payload, `\`${event}\``);
