import * as z from 'zod';
import { named } from './responses';

/** Response shapes of the analytics endpoints (retention, NPS): see lib/api/responses.ts. */

const share = z.number().min(0).max(1);

export const retentionSchema = named(
  'Retention',
  z.strictObject({
    cohorts: z.array(
      z.strictObject({
        /** The local date (the community's timezone) of the cohort's users' first event. */
        date: z.iso.date(),
        users: z.number().int().min(0),
        /** The share of the cohort active on day N after `date`; null while day N is ahead, or no users. */
        d1: share.nullable(),
        d7: share.nullable(),
        d30: share.nullable(),
      }),
    ),
    active: z.array(
      z.strictObject({
        date: z.iso.date(),
        dau: z.number().int().min(0),
        /** Distinct users active in the 7 days ending on `date`. */
        wau: z.number().int().min(0),
        /** Distinct users active in the 30 days ending on `date`. */
        mau: z.number().int().min(0),
        /** dau / mau; null without monthly users. */
        stickiness: share.nullable(),
      }),
    ),
  }),
  'Retention cohorts by first active day and daily, weekly and monthly active users (local dates)',
);

export const npsSummarySchema = named(
  'NpsSummary',
  z.strictObject({
    /** % promoters (9–10) − % detractors (0–6), rounded; null without answers. */
    score: z.number().int().min(-100).max(100).nullable(),
    responses: z.number().int().min(0),
    promoters: z.number().int().min(0),
    passives: z.number().int().min(0),
    detractors: z.number().int().min(0),
  }),
  'The Net Promoter Score of the answers given in the range',
);

export const npsAnswerSchema = named(
  'NpsAnswer',
  z.strictObject({
    score: z.number().int().min(0).max(10),
    comment: z.string().nullable(),
    respondedAt: z.iso.datetime(),
    source: z.enum(['app', 'bot']),
    /** True when it replaced the user's answer of the last 90 days (one answer per user per period). */
    replaced: z.boolean(),
  }),
  "The user's answer as stored",
);

export const npsCommentsSchema = named(
  'NpsComments',
  z.strictObject({
    comments: z.array(
      z.strictObject({
        userId: z.number().int(),
        score: z.number().int().min(0).max(10),
        comment: z.string(),
        source: z.enum(['app', 'bot']),
        respondedAt: z.iso.datetime(),
      }),
    ),
    /** Pass back as `cursor` for the next page; null on the last. */
    nextCursor: z.string().nullable(),
  }),
  "The NPS answers with the users' words, oldest first",
);
