import * as z from 'zod';
import { apiComponents, statsSchema } from './responses';

/**
 * Response shapes of the support KPIs and the ticket export (lib/api/routes/support-metrics.ts),
 * named in the same registry as lib/api/responses.ts so the OpenAPI document lists them.
 */

const named = <T extends z.ZodType>(id: string, schema: T, description: string): T => {
  apiComponents.add(schema, { id, description });
  return schema;
};

const minutes = z.number().nullable();

export const supportDurationsSchema = named(
  'SupportDurations',
  z.strictObject({
    /** Tickets with a time: answered (first response) or resolved (resolution). */
    count: z.number().int(),
    average: minutes,
    median: minutes,
    p90: minutes,
    withinTargetPercent: z.number().nullable(),
    targetMinutes: z.number().int().nullable(),
  }),
  'Business minutes (1 decimal; median and p90 by nearest rank) and the percent of tickets with a verdict that met ' +
    'their SLA target (met ÷ (met + missed); a ticket still within its time has none yet). `targetMinutes` is null ' +
    "when the group's tickets have different targets (each is held to its category's).",
);

const groupFigures = z.strictObject({
  tickets: z.number().int(),
  firstResponse: supportDurationsSchema,
  resolution: supportDurationsSchema,
});

export const supportMetricsSchema = named(
  'SupportMetrics',
  z.strictObject({
    from: z.iso.date(),
    to: z.iso.date(),
    tickets: z.number().int(),
    firstResponse: supportDurationsSchema,
    resolution: supportDurationsSchema,
    byCategory: z.record(z.string(), groupFigures),
    byScreen: z.record(z.string(), groupFigures),
    repeatContactRate: z.number().nullable(),
    repeatContacts: z.strictObject({ users: z.number().int(), repeatUsers: z.number().int() }),
    csat: statsSchema.shape.csat,
  }),
  'Support KPIs for tickets created in the range (local dates, both included). `repeatContactRate` (0..1) = ' +
    'repeatUsers ÷ users: of the users who filed a ticket in the range, those who filed one in the range within ' +
    '30 days after another of theirs (that one in the range or in the 30 days before). CSAT as in Stats.',
);

export const ticketsCsvSchema = named(
  'TicketsCsv',
  z.string(),
  'RFC 4180 CSV (CRLF line ends), a header row then one row per ticket created in the range, oldest first: number, ' +
    'created (ISO 8601), category, screen, status, priority, first_response_minutes, resolution_minutes ' +
    '(business minutes), sla_breached (true/false), rating, operator (the assignee). Text a spreadsheet would read as ' +
    'a formula (starting with = + - @, tab or CR) starts with an apostrophe.',
);
