import * as z from 'zod';
import { DAY } from '../../clock';
import { ValidationError } from '../../errors';
import type { AuditPosition, AuditRecord } from '../../storage/port';
import { TicketError } from '../../tickets/errors';
import { localMidnight } from '../../tickets/stats';
import { auditFeedSchema, auditSchema } from '../responses';
import { jsonOf, type Route, route } from '../router';
import { auditFeedQuery } from '../schemas';
import { iso } from './common';

/**
 * What admins read of the audit: one ticket's entries, and the feed of every subject's (tickets,
 * users' exports and erasures, broadcasts), newest first.
 */

type AuditFeedQuery = z.infer<typeof auditFeedQuery>;

/** YDB's Timestamp ends in 2105: times beyond are clamped, not sent. */
const LAST_AUDIT_TIME = Date.UTC(2100, 0, 1);

/** What one request reads at most while filters skip entries; the client continues from the cursor. */
const FILTERED_PAGE_SIZE = 100;
const FILTERED_PAGES_PER_REQUEST = 10;

const entryView = (entry: AuditRecord) => ({ ...entry, at: iso(entry.at) });

const cursorShape = z.tuple([
  z.number().int().min(0).max(LAST_AUDIT_TIME),
  z.string().min(1).max(200),
  z.string().min(1).max(100),
]);

/** The cursor is the last entry read (not shown): opaque to the client, base64url of its position. */
const encodeAuditCursor = (position: AuditPosition | null) =>
  position
    ? Buffer.from(JSON.stringify([position.at, position.subject, position.entryId])).toString('base64url')
    : null;

function decodeAuditCursor(value: string | undefined): AuditPosition | undefined {
  if (value === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value, 'base64url').toString());
  } catch {
    parsed = undefined;
  }
  const position = cursorShape.safeParse(parsed);
  if (!position.success)
    throw new ValidationError('The cursor is invalid.', [
      { path: 'query.cursor', message: 'not a cursor this API gave' },
    ]);
  const [at, subject, entryId] = position.data;
  return { at, subject, entryId };
}

/** `[since, until)`: a date is its whole local day in the support timezone, an instant is itself. */
function feedRange(query: AuditFeedQuery, timezone: string): { since: number; until: number } {
  const isDate = (value: string) => !value.includes('T');
  const clamp = (time: number) => Math.min(Math.max(time, 0), LAST_AUDIT_TIME);
  const since =
    query.since === undefined
      ? 0
      : clamp(isDate(query.since) ? localMidnight(query.since, timezone) : Date.parse(query.since));
  const until =
    query.until === undefined
      ? LAST_AUDIT_TIME
      : clamp(isDate(query.until) ? localMidnight(query.until, timezone) + DAY : Date.parse(query.until));
  if (since >= until)
    throw new ValidationError('The range is empty.', [
      { path: 'query.until', message: 'must be after since' },
    ]);
  return { since, until };
}

const matches = (query: AuditFeedQuery) => (entry: AuditRecord) =>
  (query.action === undefined || entry.action === query.action) &&
  (query.actor === undefined || entry.actor === query.actor) &&
  (query.subject === undefined || entry.subject.startsWith(query.subject));

export const auditRoutes: Route[] = [
  route({
    method: 'GET',
    path: '/api/ops/tickets/{number}/audit',
    auth: 'admin',
    tag: 'admins',
    summary: 'What operators and the CRM changed on a ticket, in order',
    responses: {
      200: { description: 'The audit entries', schema: auditSchema },
      404: 'No such ticket',
    },
    handle: async ({ params, deps }) => {
      const entries = await deps.store.read(async (repositories) => {
        const ticket = await repositories.tickets.getByNumber(params.number ?? '');
        if (!ticket) throw new TicketError('ticket_not_found', `No ticket ${params.number}.`);
        return repositories.audit.listBySubject(`ticket:${ticket.ticketId}`, 500);
      });
      return jsonOf(auditSchema, 200, { entries: entries.map(entryView) });
    },
  }),
  route({
    method: 'GET',
    path: '/api/ops/audit',
    auth: 'admin',
    tag: 'admins',
    summary:
      "Every subject's audit entries (tickets, users' exports and erasures, broadcasts), newest first: `since`/`until` (a date or an instant), exact `action` and `actor`, a `subject` prefix; paged by `cursor`. A filtered page may be short, even empty, with a `nextCursor`: follow it until it is null",
    query: auditFeedQuery,
    responses: { 200: { description: 'A page of the audit', schema: auditFeedSchema } },
    handle: async ({ query, deps }) => {
      const range = feedRange(query, deps.tickets.settings.hours.timezone);
      const filtered = query.action !== undefined || query.actor !== undefined || query.subject !== undefined;
      const wanted = matches(query);
      // The index is by time only: filters apply to what a range read returns. Unfiltered, one read of
      // `limit` is the page; filtered, up to 10 reads of 100, and the cursor says where the scan stopped.
      let before = decodeAuditCursor(query.cursor);
      const found: AuditRecord[] = [];
      let nextCursor: AuditPosition | null = null;
      await deps.store.read(async (repositories) => {
        for (let pages = 0; pages < FILTERED_PAGES_PER_REQUEST; pages++) {
          const page = await repositories.audit.listBetween({
            ...range,
            limit: filtered ? FILTERED_PAGE_SIZE : query.limit,
            ...(before ? { before } : {}),
          });
          for (const [index, entry] of page.entries.entries()) {
            before = { at: entry.at, subject: entry.subject, entryId: entry.entryId };
            if (!wanted(entry)) continue;
            found.push(entry);
            if (found.length === query.limit) {
              const lastRead = index === page.entries.length - 1 && !page.nextCursor;
              nextCursor = lastRead ? null : before;
              return;
            }
          }
          if (!page.nextCursor) return;
          before = page.nextCursor;
        }
        nextCursor = before ?? null; // the scan's budget is spent; the client continues from here
      });
      return jsonOf(auditFeedSchema, 200, {
        entries: found.map(entryView),
        nextCursor: encodeAuditCursor(nextCursor),
      });
    },
  }),
];
