import { gzipSync } from 'node:zlib';
import { supportKpis } from '../../analytics/support-kpis';
import { EXPORT_BODY_LIMIT_BYTES, GZIP_SOURCE_LIMIT_BYTES, ticketsCsv } from '../../analytics/tickets-csv';
import { HttpError, ValidationError } from '../../errors';
import { formatLocalDate, localParts } from '../../schedule/business-hours';
import { statsRange } from '../../tickets/stats';
import { supportMetricsSchema, ticketsCsvSchema } from '../responses-support';
import { jsonOf, type Route, route, type TicketApiDependencies } from '../router';
import { statsQuery } from '../schemas';

/**
 * Support KPIs (operators) and the tickets' CSV export (admins), over tickets created between two
 * local dates; by default the last 30 days, as `/api/ops/stats`.
 */

/** The range's instants and its local dates, both ends included; a 400 when it is empty or too long. */
function rangeOf(query: { from?: string | undefined; to?: string | undefined }, deps: TicketApiDependencies) {
  const { timezone } = deps.tickets.settings.hours;
  const range = statsRange(query, deps.clock.now(), timezone);
  if (!range) {
    throw new ValidationError('The range must be 1 to 366 days.', [
      { path: 'query.from', message: 'range out of bounds' },
    ]);
  }
  return {
    ...range,
    from: formatLocalDate(localParts(range.since, timezone)),
    to: formatLocalDate(localParts(range.until - 1, timezone)),
  };
}

export const supportMetricsRoutes: Route[] = [
  route({
    method: 'GET',
    path: '/api/ops/metrics/support',
    auth: 'operator',
    tag: 'operators',
    summary:
      'Support KPIs: first response and resolution times (average, median, p90 in business minutes, % within the SLA target), by category and screen; repeat contacts; CSAT',
    query: statsQuery,
    responses: {
      200: {
        description: 'The KPIs of tickets created in the range (local dates, default the last 30 days)',
        schema: supportMetricsSchema,
      },
    },
    handle: async ({ query, deps }) => {
      const { since, until, from, to } = rangeOf(query, deps);
      const { support, hours } = deps.tickets.settings;
      const kpis = await supportKpis(deps.store, { since, until }, { support, hours }, deps.clock.now());
      return jsonOf(supportMetricsSchema, 200, { from, to, ...kpis });
    },
  }),
  route({
    method: 'GET',
    path: '/api/ops/export/tickets.csv',
    auth: 'admin',
    tag: 'admins',
    summary: 'The tickets created in the range as CSV (RFC 4180), one row per ticket',
    query: statsQuery,
    responses: {
      200: {
        description: 'The CSV file (local dates, default the last 30 days)',
        schema: ticketsCsvSchema,
        contentType: 'text/csv',
        headers: {
          'Content-Disposition': 'attachment; filename="tickets-<from>-<to>.csv"',
          'Content-Encoding': 'gzip when the request accepts it',
          Vary: 'Accept-Encoding',
        },
      },
      422: 'The file would pass the 3.5 MB a function may answer (about 35 000 tickets, ten times that gzipped): narrow the range',
    },
    handle: async ({ query, request, deps }) => {
      const { since, until, from, to } = rangeOf(query, deps);
      const { support, hours } = deps.tickets.settings;
      // A client that takes gzip (browsers, `curl --compressed`) gets the file compressed, base64 in the
      // function's answer: about ten times the tickets fit the 3.5 MB a function may answer.
      const gzip = /\bgzip\b/i.test(request.headers['accept-encoding'] ?? '');
      const text = await ticketsCsv(
        deps.store,
        { since, until },
        { support, hours },
        deps.clock.now(),
        gzip ? GZIP_SOURCE_LIMIT_BYTES : EXPORT_BODY_LIMIT_BYTES,
      );
      const body = text !== null && gzip ? gzipSync(text).toString('base64') : text;
      if (body === null || body.length > EXPORT_BODY_LIMIT_BYTES) {
        throw new HttpError(
          422,
          'export_too_large',
          `The tickets of ${from}…${to} make a file larger than a function may answer (3.5 MB): export a shorter range.`,
        );
      }
      return {
        statusCode: 200,
        headers: {
          'content-type': 'text/csv; charset=utf-8',
          'content-disposition': `attachment; filename="tickets-${from}-${to}.csv"`,
          vary: 'Accept-Encoding',
          ...(gzip ? { 'content-encoding': 'gzip' } : {}),
        },
        body,
        isBase64Encoded: gzip,
      };
    },
  }),
];
