import * as z from 'zod';
import { campaignResultsSchema, named } from './responses';

/**
 * Response shapes of the campaigns, journeys and broadcasts endpoints (lib/api/routes/campaigns.ts,
 * broadcasts.ts), named in the same registry as lib/api/responses.ts so the OpenAPI document lists them.
 */

const instant = z.iso.datetime();
export const broadcastAcceptedSchema = named(
  'BroadcastAccepted',
  z.strictObject({ id: z.string(), status: z.enum(['sending', 'done']) }),
  'The broadcast is on its way: follow it at GET /api/ops/broadcasts/{id}',
);

export const broadcastAudienceCountSchema = named(
  'BroadcastAudienceCount',
  z.strictObject({
    dryRun: z.literal(true),
    /** Users the broadcast would reach, and by which channel. */
    audience: z.number().int(),
    messages: z.number().int(),
    notifications: z.number().int(),
  }),
);

export const broadcastReportSchema = named(
  'BroadcastReport',
  z.strictObject({
    id: z.string(),
    status: z.enum(['sending', 'done']),
    channel: z.enum(['message', 'notification', 'auto']),
    audience: z.unknown(),
    /** Per-user results by status: `queued` (in flight), `sent`, `failed`, `not_allowed`, `skipped:<why>`, … */
    counts: z.record(z.string(), z.number().int()),
    createdBy: z.string(),
    createdAt: instant,
    updatedAt: instant,
  }),
);

export const campaignListSchema = named(
  'CampaignList',
  z.strictObject({
    campaigns: z.array(
      z.strictObject({
        id: z.string(),
        /** `daily` (segment campaigns of the daily run) or `journey` (event-triggered). */
        kind: z.string(),
        description: z.string(),
        channel: z.enum(['notification', 'message', 'auto', 'mixed']),
        state: z.enum(['active', 'disabled']),
        goal: z.strictObject({ event: z.string(), withinHours: z.number().int() }).nullable(),
      }),
    ),
  }),
  'The shipped campaigns and journeys (content/campaigns.json)',
);

/** One campaign's entry of `campaignResults`, with the range and what the list says of it. */
export const campaignResultSchema = named(
  'CampaignResult',
  campaignResultsSchema.shape.campaigns.element.extend({
    fromDay: z.iso.date(),
    toDay: z.iso.date(),
    kind: z.string(),
  }),
  "One campaign's per-variant results for plans made in the range, against its control group.",
);
