import * as z from 'zod';
import { dateOfDay, dayOf, dayOfDate } from '../../analytics/activity';
import { npsBetween, npsCommentsBetween, recordNpsAnswer } from '../../analytics/nps';
import { retentionBetween } from '../../analytics/retention';
import { ValidationError } from '../../errors';
import { statsRange } from '../../tickets/stats';
import { ensureAppUser } from '../../users/account';
import {
  npsAnswerSchema,
  npsCommentsSchema,
  npsSummarySchema,
  retentionSchema,
} from '../responses-analytics';
import { jsonOf, type Route, route, type TicketApiDependencies } from '../router';
import { personText, reportDate } from '../schemas';

/** A report's range of local dates (the community's timezone); the last 30 days by default. */
const metricsRangeQuery = z.strictObject({ from: reportDate.optional(), to: reportDate.optional() });
const MAX_DAYS = 366;
const DEFAULT_DAYS = 30;

const npsCommentsQuery = metricsRangeQuery.extend({
  /** `<respondedAt ms>.<userId>` as the last page gave it. */
  cursor: z
    .string()
    .regex(/^\d{1,15}\.\d{1,15}$/, 'must be the nextCursor of the last page')
    .optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

const npsAnswerBody = z.strictObject({
  score: z.number().int().min(0).max(10),
  comment: personText(0, 2000).optional(),
});

const rangeError = () =>
  new ValidationError(`The range must be 1 to ${MAX_DAYS} days, from ≤ to.`, [
    { path: 'query.from', message: 'range out of bounds' },
  ]);

/**
 * `[fromDay, toDay]` as day numbers from the query (local dates of the community's timezone), by
 * default the 30 days up to today.
 */
function dayRange(query: z.infer<typeof metricsRangeQuery>, deps: TicketApiDependencies) {
  const timezone = deps.tickets.settings.hours.timezone;
  const today = dayOf(deps.clock.now(), timezone);
  const toDay = query.to ? dayOfDate(query.to) : today;
  const fromDay = query.from ? dayOfDate(query.from) : toDay - (DEFAULT_DAYS - 1);
  const days = toDay - fromDay + 1;
  if (!(days >= 1 && days <= MAX_DAYS)) throw rangeError();
  return { fromDay, toDay, today, timezone };
}

/**
 * Relationship analytics for the support lead and the dashboard: retention cohorts and active users
 * from the users' daily activity records (lib/analytics/retention.ts), and NPS: the mini app's
 * answer, and the score over a range (lib/analytics/nps.ts).
 */
export const metricsRoutes: Route[] = [
  route({
    method: 'GET',
    path: '/api/ops/metrics/retention',
    auth: 'operator',
    tag: 'operators',
    summary: 'Retention cohorts (d1, d7, d30) and DAU/WAU/MAU over a range of local dates',
    query: metricsRangeQuery,
    responses: {
      200: { description: 'Cohorts and active users, one row per date', schema: retentionSchema },
      400: 'A bad range',
    },
    handle: async ({ query, deps }) => {
      const { fromDay, toDay, today } = dayRange(query, deps);
      // Days after today have nothing to count yet: the rows end today.
      const lastDay = Math.min(toDay, today);
      if (fromDay > lastDay) return jsonOf(retentionSchema, 200, { cohorts: [], active: [] });
      const result = await deps.store.read((repositories) =>
        retentionBetween(repositories, { fromDay, toDay: lastDay, today }),
      );
      return jsonOf(retentionSchema, 200, result);
    },
  }),
  route({
    method: 'GET',
    path: '/api/ops/metrics/nps',
    auth: 'operator',
    tag: 'operators',
    summary: 'The Net Promoter Score of the answers given in a range of local dates',
    query: metricsRangeQuery,
    responses: {
      200: { description: 'The score and its counts', schema: npsSummarySchema },
      400: 'A bad range',
    },
    handle: async ({ query, deps }) => {
      const { fromDay, toDay, timezone } = dayRange(query, deps);
      const from = dateOfDay(fromDay);
      const to = dateOfDay(toDay);
      const range = statsRange({ from, to }, deps.clock.now(), timezone);
      if (!range) throw rangeError();
      const summary = await deps.store.read((repositories) => npsBetween(repositories, range));
      return jsonOf(npsSummarySchema, 200, summary);
    },
  }),
  route({
    method: 'GET',
    path: '/api/ops/metrics/nps/comments',
    auth: 'operator',
    tag: 'operators',
    summary:
      "The NPS answers with the users' words in a range of local dates, oldest first, a page at a time",
    query: npsCommentsQuery,
    responses: {
      200: { description: 'A page of comments', schema: npsCommentsSchema },
      400: 'A bad range or cursor',
    },
    handle: async ({ query, deps }) => {
      const { fromDay, toDay, timezone } = dayRange(query, deps);
      const range = statsRange(
        { from: dateOfDay(fromDay), to: dateOfDay(toDay) },
        deps.clock.now(),
        timezone,
      );
      if (!range) throw rangeError();
      const [respondedAt, userId] = (query.cursor ?? '').split('.').map(Number);
      const after =
        query.cursor && respondedAt !== undefined && userId !== undefined
          ? { respondedAt, userId }
          : undefined;
      const page = await deps.store.read((repositories) =>
        npsCommentsBetween(repositories, { ...range, limit: query.limit, ...(after ? { after } : {}) }),
      );
      return jsonOf(npsCommentsSchema, 200, {
        comments: page.comments.map((response) => ({
          userId: response.userId,
          score: response.score,
          comment: response.comment ?? '',
          source: response.source,
          respondedAt: new Date(response.respondedAt).toISOString(),
        })),
        nextCursor: page.next ? `${page.next.respondedAt}.${page.next.userId}` : null,
      });
    },
  }),
  route({
    method: 'POST',
    path: '/api/me/nps',
    auth: 'user',
    tag: 'mini app',
    summary:
      "The user's NPS answer (0–10, an optional comment); a new answer within 90 days replaces the last",
    body: npsAnswerBody,
    responses: {
      201: { description: 'Stored', schema: npsAnswerSchema },
      200: { description: 'Stored, replacing the answer of the last 90 days', schema: npsAnswerSchema },
    },
    handle: async ({ body, user, deps }) => {
      const now = deps.clock.now();
      const { response, replaced } = await deps.store.transaction(async (repositories) => {
        await ensureAppUser(repositories, user, now);
        return recordNpsAnswer(
          repositories,
          { userId: user.userId, score: body.score, comment: body.comment ?? null, source: 'app' },
          now,
        );
      });
      return jsonOf(npsAnswerSchema, replaced ? 200 : 201, {
        score: response.score,
        comment: response.comment,
        respondedAt: new Date(response.respondedAt).toISOString(),
        source: response.source,
        replaced,
      });
    },
  }),
];
