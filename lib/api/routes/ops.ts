import { DAY } from '../../clock';
import { campaignResults } from '../../dispatcher/report';
import { HttpError, ValidationError } from '../../errors';
import { json } from '../../http/http';
import { utcDay } from '../../notifications/daily-cap';
import type { TicketRecord, TicketStatus, UserRecord } from '../../storage/port';
import { supportSettings } from '../../support/settings';
import { type TicketContact, ticketContactOf } from '../../tickets/contact';
import { openStatuses } from '../../tickets/lifecycle';
import { priorityOf } from '../../tickets/priority';
import type { SlaState } from '../../tickets/sla';
import { computeStats, statsRange } from '../../tickets/stats';
import {
  opsMessageSchema,
  opsQueueSchema,
  opsThreadSchema,
  opsUserSchema,
  statsSchema,
  templatesSchema,
  ticketSummarySchema,
} from '../responses';
import { jsonOf, type Route, route } from '../router';
import { assignBody, operatorMessageBody, opsQueueQuery, statsQuery, statusBody } from '../schemas';

import {
  type Cursor,
  decodeCursor,
  encodeCursor,
  iso,
  requesterOf,
  slaStateOf,
  threadBody,
  ticketSummary,
  userIdOf,
} from './common';
import { searchQueue } from './ops-search';

export const opsRoutes: Route[] = [
  route({
    method: 'GET',
    path: '/api/ops/tickets',
    auth: 'operator',
    tag: 'operators',
    summary:
      'The queue: open tickets by default, newest first, filtered by status, category, assignee, SLA state, priority; `q` searches every status by ticket number, VK id, e-mail or phone, or the start of a first name',
    query: opsQueueQuery,
    responses: { 200: { description: 'A page of the queue', schema: opsQueueSchema } },
    handle: async (context) => {
      const { query, deps, operator } = context;
      const statuses: readonly TicketStatus[] = query.status ? [query.status] : openStatuses;
      const assignee = query.assignee === 'me' ? operator.operatorId : query.assignee;
      let before = decodeCursor(query.cursor);
      const found: Array<{ ticket: TicketRecord; sla: SlaState; user: UserRecord | null }> = [];
      let nextCursor: Cursor | null = null;
      await deps.store.read(async (repositories) => {
        if (query.q !== undefined) {
          const searched = await searchQueue(context, query.q, repositories);
          found.push(...searched.found);
          nextCursor = searched.nextCursor;
          return;
        }
        // Each status is its own index range; merging them newest first keeps one cursor for all.
        for (let rounds = 0; rounds < 20 && found.length < query.limit; rounds++) {
          const pages = await Promise.all(
            statuses.map((status) =>
              repositories.tickets.listByStatus(status, {
                limit: query.limit,
                ...(before ? { before } : {}),
              }),
            ),
          );
          const merged = pages
            .flatMap((page) => page.tickets)
            .sort((a, b) => b.createdAt - a.createdAt || (a.ticketId < b.ticketId ? 1 : -1))
            .slice(0, query.limit);
          if (merged.length === 0) return;
          for (const ticket of merged) {
            before = { createdAt: ticket.createdAt, ticketId: ticket.ticketId };
            if (query.category && ticket.category !== query.category) continue;
            if (
              assignee === 'none'
                ? ticket.assigneeId !== null
                : assignee !== undefined && ticket.assigneeId !== assignee
            )
              continue;
            const sla = slaStateOf(ticket, deps);
            if (query.sla && sla !== query.sla) continue;
            if (query.priority && priorityOf(ticket) !== query.priority) continue;
            const user = ticket.userId === null ? null : await repositories.users.get(ticket.userId);
            found.push({ ticket, sla, user });
            if (found.length === query.limit) break;
          }
          nextCursor =
            pages.some((page) => page.nextCursor) || merged.length === query.limit ? (before ?? null) : null;
          if (!nextCursor) return;
        }
      });
      return json(200, {
        tickets: found.map(({ ticket, sla, user }) => ({
          ...ticketSummary(ticket, 'ru'),
          requester: requesterOf(ticket.userId, user),
          assigneeId: ticket.assigneeId,
          channel: ticket.channel,
          sla,
          priority: priorityOf(ticket),
          screen: ticket.details.screen ?? null,
        })),
        nextCursor: encodeCursor(nextCursor),
      });
    },
  }),
  route({
    method: 'GET',
    path: '/api/ops/tickets/{number}',
    auth: 'operator',
    tag: 'operators',
    summary: 'A ticket with the whole thread (internal notes included), details and SLA',
    responses: {
      200: { description: 'The ticket', schema: opsThreadSchema },
      404: 'No such ticket',
    },
    handle: async (context) => {
      const view = await context.deps.tickets.thread(context.params.number ?? '');
      const { userId } = view.ticket;
      const user = userId === null ? null : await context.deps.store.read((r) => r.users.get(userId));
      return json(200, {
        ...threadBody(view, 'ru', true),
        requester: requesterOf(userId, user),
        contact: contactView(ticketContactOf(view.ticket.details)),
        sla: slaStateOf(view.ticket, context.deps),
        priority: priorityOf(view.ticket),
      });
    },
  }),
  route({
    method: 'POST',
    path: '/api/ops/tickets/{number}/assign',
    auth: 'operator',
    tag: 'operators',
    summary: 'Take (no assigneeId), assign or unassign (null) a ticket',
    body: assignBody,
    responses: {
      200: { description: 'The ticket now', schema: ticketSummarySchema },
      404: 'No such ticket',
      409: 'The ticket is closed',
    },
    handle: async ({ params, body, operator, deps }) => {
      const assigneeId = body.assigneeId === undefined ? operator.operatorId : body.assigneeId;
      return json(
        200,
        ticketSummary(await deps.tickets.assign(params.number ?? '', assigneeId, operator), 'ru'),
      );
    },
  }),
  route({
    method: 'POST',
    path: '/api/ops/tickets/{number}/status',
    auth: 'operator',
    tag: 'operators',
    summary: 'Change the status (the user is told)',
    body: statusBody,
    responses: {
      200: { description: 'The ticket now', schema: ticketSummarySchema },
      404: 'No such ticket',
      409: 'Not allowed from the current status',
    },
    handle: async ({ params, body, operator, deps }) =>
      json(
        200,
        ticketSummary(await deps.tickets.changeStatus(params.number ?? '', body.status, operator), 'ru'),
      ),
  }),
  route({
    method: 'POST',
    path: '/api/ops/tickets/{number}/messages',
    auth: 'operator',
    tag: 'operators',
    summary: 'Reply to the user (delivered to them) or add an internal note',
    body: operatorMessageBody,
    responses: {
      201: { description: 'The message', schema: opsMessageSchema },
      404: 'No such ticket',
      409: 'The ticket is closed',
    },
    handle: async ({ params, body, operator, deps }) => {
      const result = await deps.tickets.operatorMessage(params.number ?? '', body, operator);
      return jsonOf(opsMessageSchema, 201, {
        number: result.ticket.number,
        status: result.ticket.status,
        assigneeId: result.ticket.assigneeId,
        seq: result.message.seq,
        internal: result.message.internal,
      });
    },
  }),
  route({
    method: 'GET',
    path: '/api/ops/templates',
    auth: 'operator',
    tag: 'operators',
    summary: 'Reply templates',
    responses: { 200: { description: 'The templates', schema: templatesSchema } },
    handle: async () => jsonOf(templatesSchema, 200, { templates: supportSettings.operatorTemplates }),
  }),
  route({
    method: 'GET',
    path: '/api/ops/stats',
    auth: 'operator',
    tag: 'operators',
    summary:
      'Tickets by category, screen and status; response and resolution times; SLA breaches; CSAT; campaign results',
    query: statsQuery,
    responses: {
      200: {
        description: 'The figures for tickets created in the range (local dates, default the last 30 days)',
        schema: statsSchema,
      },
    },
    handle: async ({ query, deps }) => {
      const hours = deps.tickets.settings.hours;
      const range = statsRange(query, deps.clock.now(), hours.timezone);
      if (!range) {
        throw new ValidationError('The range must be 1 to 366 days.', [
          { path: 'query.from', message: 'range out of bounds' },
        ]);
      }
      const { since, until } = range;
      return json(
        200,
        await deps.store.read(async (repositories) => ({
          ...(await computeStats(repositories, { since, until, hours })),
          // Campaign days are UTC days: the plans made within the range.
          campaigns: await campaignResults(repositories, {
            fromDay: utcDay(since),
            toDay: utcDay(until - 1),
          }),
        })),
      );
    },
  }),
  route({
    method: 'GET',
    path: '/api/ops/users/{userId}',
    auth: 'operator',
    tag: 'operators',
    summary: 'A requester: their tickets and ratings, language, permissions and latest events',
    responses: {
      200: { description: 'The user', schema: opsUserSchema },
      400: 'Not a VK user id',
      404: 'No such user',
    },
    handle: async ({ params, deps }) => {
      const userId = userIdOf(params);
      const now = deps.clock.now();
      const found = await deps.store.read(async (repositories) => {
        const user = await repositories.users.get(userId);
        if (!user) return null;
        const page = await repositories.tickets.listByUser(userId, { limit: USER_TICKETS_SHOWN });
        const surveys = (
          await Promise.all(page.tickets.map((ticket) => repositories.surveys.listByTicket(ticket.ticketId)))
        ).flat();
        const events = await repositories.events.listByUser(userId, {
          since: now - USER_EVENTS_DAYS * DAY,
          until: now + 1,
          limit: USER_EVENTS_READ,
        });
        return { user, tickets: page.tickets, surveys, events };
      });
      if (!found) throw new HttpError(404, 'user_not_found', `No user ${userId} is known here.`);
      const numbers = new Map(found.tickets.map((ticket) => [ticket.ticketId, ticket.number]));
      return json(200, {
        requester: requesterOf(userId, found.user),
        language: found.user.language,
        messagesAllowed: found.user.messagesAllowed,
        notificationsAllowed: found.user.notificationsAllowed,
        tickets: found.tickets.map((ticket) => ({
          ...ticketSummary(ticket, 'ru'),
          assigneeId: ticket.assigneeId,
        })),
        ratings: found.surveys
          .filter((survey) => survey.rating !== null)
          .map((survey) => ({
            number: numbers.get(survey.ticketId) ?? null,
            rating: survey.rating,
            reason: survey.reason,
            answeredAt: iso(survey.answeredAt),
          })),
        latestEvents: found.events
          .slice(-USER_EVENTS_SHOWN)
          .reverse()
          .map((event) => ({ name: event.name, screen: event.screen, at: iso(event.occurredAt) })),
      });
    },
  }),
];

/** What `GET /api/ops/users/{userId}` shows: the latest tickets, and events of the last 30 days. */
const USER_TICKETS_SHOWN = 20;
const USER_EVENTS_DAYS = 30;
const USER_EVENTS_READ = 500;
const USER_EVENTS_SHOWN = 20;

/** A ticket's contact for the API: its consent time as an ISO instant. */
function contactView(contact: TicketContact | null) {
  return contact && { ...contact, consentAt: contact.consentAt === null ? null : iso(contact.consentAt) };
}
