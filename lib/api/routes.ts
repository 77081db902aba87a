import { createHash } from 'node:crypto';
import type * as z from 'zod';
import { DAY, MINUTE } from '../clock';
import { currentResolution, recordRating, surveyIdFor } from '../csat/survey';
import { campaignResults } from '../dispatcher/report';
import { recordCampaignResponses } from '../dispatcher/responses';
import { HttpError, ValidationError } from '../errors';
import { json } from '../http/http';
import { utcDay } from '../notifications/daily-cap';
import type { Language, TicketRecord, TicketStatus, UserRecord } from '../storage/port';
import { findCategory, supportSettings } from '../support/settings';
import { openStatuses } from '../tickets/lifecycle';
import { type NewTicket, type ThreadView, TicketError } from '../tickets/service';
import { type SlaState, slaOf, slaState } from '../tickets/sla';
import { computeStats, localMidnight, statsRange } from '../tickets/stats';
import { ensureAppUser, eraseUser, exportUserData } from '../users/account';
import { createApiHandler, type Route, type RouteContext, route, type TicketApiDependencies } from './router';
import { adminRoutes } from './routes/admin';
import {
  assignBody,
  createTicketBody,
  eventsBody,
  kbArticleQuery,
  kbSearchQuery,
  listTicketsQuery,
  notificationsConsentBody,
  operatorMessageBody,
  opsQueueQuery,
  preferencesBody,
  ratingBody,
  statsQuery,
  statusBody,
  ticketMessageBody,
} from './schemas';

type Cursor = { createdAt: number; ticketId: string };

const encodeCursor = (cursor: Cursor | null) =>
  cursor ? Buffer.from(`${cursor.createdAt}.${cursor.ticketId}`).toString('base64url') : null;

function decodeCursor(value: string | undefined): Cursor | undefined {
  if (value === undefined) return undefined;
  const match = /^(\d{1,15})\.([\w-]{1,64})$/.exec(Buffer.from(value, 'base64url').toString());
  if (!match)
    throw new ValidationError('The cursor is invalid.', [
      { path: 'query.cursor', message: 'not a cursor this API gave' },
    ]);
  return { createdAt: Number(match[1]), ticketId: match[2] ?? '' };
}

const iso = (time: number | null | undefined) =>
  typeof time === 'number' ? new Date(time).toISOString() : null;
const toEpoch = (value: string | number) => (typeof value === 'number' ? value : Date.parse(value));

/** A ticket as the mini app sees it. */
function ticketSummary(ticket: TicketRecord, language: Language) {
  const category = findCategory(supportSettings, ticket.category);
  return {
    number: ticket.number,
    status: ticket.status,
    category: ticket.category,
    categoryLabel: category?.label[language] ?? ticket.category,
    subject: ticket.subject,
    createdAt: iso(ticket.createdAt),
    updatedAt: iso(ticket.updatedAt),
    expectedFirstResponseAt: iso(slaOf(ticket)?.firstResponseDueAt),
    linkedTo: typeof ticket.details.linkedTo === 'string' ? ticket.details.linkedTo : null,
  };
}

function threadBody(view: ThreadView, language: Language, forOperators: boolean) {
  return {
    ...ticketSummary(view.ticket, language),
    ...(forOperators
      ? { assigneeId: view.ticket.assigneeId, channel: view.ticket.channel, details: view.ticket.details }
      : {}),
    messages: view.messages.map((message) => ({
      seq: message.seq,
      author: message.author,
      text: message.text,
      attachments: message.attachments,
      at: iso(message.createdAt),
      ...(forOperators ? { authorId: message.authorId, internal: message.internal } : {}),
    })),
    statusHistory: view.statusChanges.map((change) => ({
      from: change.from,
      to: change.to,
      at: iso(change.changedAt),
      ...(forOperators ? { by: change.changedBy } : {}),
    })),
    rating: ratingState(view),
    ...(forOperators
      ? {
          surveys: view.surveys.map((survey) => ({
            status: survey.status,
            operatorId: survey.operatorId,
            channel: survey.channel,
            rating: survey.rating,
            reason: survey.reason,
            reasonText: survey.reasonText,
            sentAt: iso(survey.sentAt),
            answeredAt: iso(survey.answeredAt),
          })),
        }
      : {}),
  };
}

/** The rating screen's state: the current resolution's rating, and whether it can still be given. */
function ratingState(view: ThreadView) {
  const resolved = view.ticket.status === 'resolved' || view.ticket.status === 'closed';
  const survey = view.surveys.find(
    (candidate) => candidate.surveyId === surveyIdFor(view.ticket.ticketId, currentResolution(view.ticket)),
  );
  return {
    value: survey?.status === 'answered' ? survey.rating : null,
    canRate: resolved && survey?.status !== 'answered' && survey?.status !== 'cancelled',
  };
}

function slaStateOf(ticket: TicketRecord, { tickets, clock }: TicketApiDependencies): SlaState {
  return slaState(
    slaOf(ticket),
    ticket.status,
    findCategory(supportSettings, ticket.category),
    tickets.settings.hours,
    clock.now(),
  );
}

/** Pages a user's tickets through the owner index, filtering as it goes (a user has few tickets). */
async function userTickets(context: RouteContext<z.infer<typeof listTicketsQuery>, undefined>) {
  const { query, deps, user } = context;
  const timezone = deps.tickets.settings.hours.timezone;
  const from = query.from ? localMidnight(query.from, timezone) : null;
  const to = query.to ? localMidnight(query.to, timezone) + DAY : null;
  let before = decodeCursor(query.cursor) ?? (to !== null ? { createdAt: to, ticketId: '' } : undefined);
  const found: TicketRecord[] = [];
  let nextCursor: Cursor | null = null;
  await deps.store.read(async (repositories) => {
    for (let pages = 0; pages < 20; pages++) {
      const page = await repositories.tickets.listByUser(user.userId, {
        limit: 50,
        ...(before ? { before } : {}),
      });
      for (const ticket of page.tickets) {
        if (from !== null && ticket.createdAt < from) return;
        if (query.status && ticket.status !== query.status) continue;
        if (query.category && ticket.category !== query.category) continue;
        found.push(ticket);
        if (found.length === query.limit) {
          nextCursor = { createdAt: ticket.createdAt, ticketId: ticket.ticketId };
          return;
        }
      }
      if (!page.nextCursor) return;
      before = page.nextCursor;
    }
    nextCursor = before ?? null; // a long scan stops here; the client continues from the cursor
  });
  return { tickets: found, nextCursor: nextCursor as Cursor | null };
}

const requestHash = (body: unknown) => createHash('sha256').update(JSON.stringify(body)).digest('base64url');

export const routes: Route[] = [
  route({
    method: 'GET',
    path: '/api/ping',
    auth: 'public',
    tag: 'service',
    summary: 'Liveness of the API',
    responses: { 200: 'The API answers' },
    handle: async () => json(200, { ok: true }),
  }),
  route({
    method: 'GET',
    path: '/api/categories',
    auth: 'public',
    tag: 'mini app',
    summary: 'Ticket categories for the form, with labels in ru and en',
    responses: { 200: 'The categories' },
    handle: async () =>
      json(200, {
        categories: supportSettings.categories.map(({ id, emoji, label }) => ({ id, emoji, label })),
      }),
  }),
  route({
    method: 'POST',
    path: '/api/tickets',
    auth: 'user',
    tag: 'mini app',
    summary: 'File a ticket (Idempotency-Key makes retries safe)',
    body: createTicketBody,
    responses: {
      201: 'The ticket, with its number and expected first response',
      429: 'Too many tickets this hour',
    },
    handle: async ({ body, user, request, deps }) => {
      const key = request.headers['idempotency-key'];
      if (key !== undefined && !/^[\x21-\x7e]{1,128}$/.test(key)) {
        throw new ValidationError('The Idempotency-Key header is invalid.', [
          { path: 'header.idempotency-key', message: 'must be 1–128 visible ASCII characters' },
        ]);
      }
      const { category, subject, description, attachments, ...rest } = body;
      const ticket: NewTicket = {
        userId: user.userId,
        channel: 'app',
        category,
        subject,
        description,
        attachments,
        details: {
          ...(rest.screen ? { screen: rest.screen } : {}),
          ...(rest.appVersion ? { appVersion: rest.appVersion } : {}),
          ...((rest.platform ?? user.platform) ? { platform: rest.platform ?? user.platform } : {}),
          ...(rest.contact ? { contact: rest.contact } : {}),
          ...(rest.recentEvents
            ? { recentEvents: rest.recentEvents.map((event) => ({ ...event, at: toEpoch(event.at) })) }
            : {}),
        },
        ...(key ? { idempotency: { key, requestHash: requestHash(body) } } : {}),
      };
      // The user's row in the filing's transaction: a refused filing (429, 422) writes nothing.
      const created = await deps.tickets.transact(async (scope) => {
        await ensureAppUser(scope.repositories, user, deps.clock.now());
        return deps.tickets.create(ticket, scope);
      });
      return json(
        201,
        ticketSummary(created.ticket, user.language),
        created.replayed ? { 'idempotent-replayed': 'true' } : {},
      );
    },
  }),
  route({
    method: 'GET',
    path: '/api/tickets',
    auth: 'user',
    tag: 'mini app',
    summary: "The caller's tickets, newest first, with filters and a cursor",
    query: listTicketsQuery,
    responses: { 200: 'A page of tickets and the cursor of the next one' },
    handle: async (context) => {
      const page = await userTickets(context);
      return json(200, {
        tickets: page.tickets.map((ticket) => ticketSummary(ticket, context.user.language)),
        nextCursor: encodeCursor(page.nextCursor),
      });
    },
  }),
  route({
    method: 'GET',
    path: '/api/tickets/{number}',
    auth: 'user',
    tag: 'mini app',
    summary: 'One of the caller’s tickets: thread and status history (another user’s: 404)',
    responses: { 200: 'The ticket with its thread', 404: 'No such ticket of the caller' },
    handle: async ({ params, user, deps }) =>
      json(
        200,
        threadBody(await deps.tickets.threadForUser(user.userId, params.number ?? ''), user.language, false),
      ),
  }),
  route({
    method: 'POST',
    path: '/api/tickets/{number}/messages',
    auth: 'user',
    tag: 'mini app',
    summary: 'Continue a ticket; a resolved one reopens, a closed one starts a linked ticket',
    body: ticketMessageBody,
    responses: {
      200: 'The ticket the message went to (201 when a linked ticket was created)',
      201: 'A linked ticket was created (the one written to is closed)',
      429: 'A linked ticket would pass the hourly limit of new tickets (Retry-After)',
    },
    handle: async ({ params, user, body, deps }) => {
      const result = await deps.tickets.addUserMessage(user.userId, params.number ?? '', body);
      return json(result.linkedFrom ? 201 : 200, {
        ...ticketSummary(result.ticket, user.language),
        reopened: result.reopened,
      });
    },
  }),
  route({
    method: 'POST',
    path: '/api/tickets/{number}/rating',
    auth: 'user',
    tag: 'mini app',
    summary: 'Rate a resolved ticket, once per resolution (as the chat survey)',
    body: ratingBody,
    responses: { 200: 'The rating was recorded', 409: 'Not resolved, or rated already' },
    handle: async ({ params, user, body, deps }) => {
      const survey = await deps.tickets.transact(async ({ repositories, outbox }) => {
        const ticket = await repositories.tickets.getByNumber(params.number ?? '');
        if (!ticket || ticket.userId !== user.userId)
          throw new TicketError('ticket_not_found', `No ticket ${params.number}.`);
        return recordRating(
          repositories,
          outbox,
          ticket,
          {
            rating: body.rating,
            channel: 'mini_app',
            ...(body.reason ? { reason: body.reason } : {}),
            ...(body.comment ? { reasonText: body.comment } : {}),
          },
          deps.clock.now(),
          deps.tickets.settings.csat,
        );
      });
      return json(200, { number: params.number, rating: survey.rating, reason: survey.reason });
    },
  }),
  route({
    method: 'GET',
    path: '/api/kb',
    auth: 'public',
    tag: 'knowledge base',
    summary: 'Search the knowledge base (the bot’s answers), best first',
    query: kbSearchQuery,
    responses: { 200: 'Ranked articles' },
    handle: async ({ query, deps }) =>
      json(200, {
        results: deps.knowledgeBase.search(query.q, query.lang, query.limit).map(({ article, score }) => ({
          slug: article.slug,
          title: article.title,
          excerpt: article.body.slice(0, 160),
          score: Math.round(score * 100) / 100,
        })),
      }),
  }),
  route({
    method: 'GET',
    path: '/api/kb/{slug}',
    auth: 'public',
    tag: 'knowledge base',
    summary: 'One article',
    query: kbArticleQuery,
    responses: { 200: 'The article', 404: 'No such article in this language' },
    handle: async ({ params, query, deps }) => {
      const article = deps.knowledgeBase.get(params.slug ?? '', query.lang);
      if (!article)
        throw new HttpError(404, 'article_not_found', `No article ${params.slug} in ${query.lang}.`);
      return json(200, article);
    },
  }),
  route({
    method: 'POST',
    path: '/api/events',
    auth: 'user',
    tag: 'mini app',
    summary: 'Log up to 100 analytics events (names from the allow-list); re-sent events are stored once',
    body: eventsBody,
    responses: { 202: 'Stored (how many were new)' },
    handle: async ({ body, user, deps }) => {
      const now = deps.clock.now();
      const bad = body.events.flatMap((event, index) => {
        const at = toEpoch(event.at);
        return at > now + 5 * MINUTE || at < now - 30 * DAY
          ? [{ path: `body.events.${index}.at`, message: 'must be within the last 30 days' }]
          : [];
      });
      if (bad.length > 0) throw new ValidationError('Some events are out of the accepted time range.', bad);
      const events = body.events.map((event) => ({
        userId: user.userId,
        eventId: event.id,
        name: event.name,
        occurredAt: toEpoch(event.at),
        screen: event.screen ?? null,
        props: event.props,
      }));
      const stored = await deps.store.transaction(async (repositories) => {
        const count = await repositories.events.append(events);
        // Opens and returns of campaigns this user was in (the A/B results).
        await recordCampaignResponses(repositories, user.userId, events);
        return count;
      });
      return json(202, { received: body.events.length, stored });
    },
  }),
  route({
    method: 'GET',
    path: '/api/me/preferences',
    auth: 'user',
    tag: 'mini app',
    summary: 'Language, notification types, quiet hours and consent',
    responses: { 200: 'The preferences' },
    handle: async ({ user, deps }) => {
      const record = await deps.store.transaction((repositories) =>
        ensureAppUser(repositories, user, deps.clock.now()),
      );
      return json(200, preferencesOf(record));
    },
  }),
  route({
    method: 'PUT',
    path: '/api/me/preferences',
    auth: 'user',
    tag: 'mini app',
    summary: 'Change preferences (fields left out stay as they are)',
    body: preferencesBody,
    responses: { 200: 'The preferences now' },
    handle: async ({ user, body, deps }) => {
      const record = await deps.store.transaction(async (repositories) => {
        const now = deps.clock.now();
        const current = await ensureAppUser(repositories, user, now);
        const updated = {
          ...current,
          language: body.language ?? current.language,
          notificationTypes: { ...current.notificationTypes, ...body.notificationTypes },
          quietHours: body.quietHours === undefined ? current.quietHours : body.quietHours,
          updatedAt: now,
        };
        await repositories.users.put(updated);
        return updated;
      });
      return json(200, preferencesOf(record));
    },
  }),
  route({
    method: 'POST',
    path: '/api/me/notifications',
    auth: 'user',
    tag: 'mini app',
    summary: 'Notification consent given or withdrawn (VKWebAppAllowNotifications / Deny)',
    body: notificationsConsentBody,
    responses: { 200: 'The preferences now' },
    handle: async ({ user, body, deps }) => {
      const record = await deps.store.transaction(async (repositories) => {
        const now = deps.clock.now();
        const current = await ensureAppUser(repositories, user, now);
        const updated = { ...current, notificationsAllowed: body.enabled, updatedAt: now };
        await repositories.users.put(updated);
        return updated;
      });
      return json(200, preferencesOf(record));
    },
  }),
  route({
    method: 'GET',
    path: '/api/me/export',
    auth: 'user',
    tag: 'mini app',
    summary: 'Everything held about the caller, as JSON',
    responses: { 200: 'The export' },
    handle: async ({ user, deps }) =>
      json(
        200,
        await deps.store.read((repositories) => exportUserData(repositories, user.userId, deps.clock.now())),
        {
          'content-disposition': `attachment; filename="my-data-${user.userId}.json"`,
        },
      ),
  }),
  route({
    method: 'DELETE',
    path: '/api/me',
    auth: 'user',
    tag: 'mini app',
    summary: 'Erase the caller’s data; tickets stay, anonymised, for statistics',
    responses: { 200: 'Erased' },
    handle: async ({ user, deps }) => {
      const result = await deps.store.transaction((repositories) =>
        eraseUser(repositories, user.userId, deps.clock.now()),
      );
      await deps.store.afterErasure?.();
      deps.logger.info('user data erased', { anonymisedTickets: result.tickets });
      return json(200, { erased: true, anonymisedTickets: result.tickets });
    },
  }),

  route({
    method: 'GET',
    path: '/api/ops/tickets',
    auth: 'operator',
    tag: 'operators',
    summary:
      'The queue: open tickets by default, newest first, filtered by status, category, assignee, SLA state',
    query: opsQueueQuery,
    responses: { 200: 'A page of the queue' },
    handle: async (context) => {
      const { query, deps, operator } = context;
      const statuses: readonly TicketStatus[] = query.status ? [query.status] : openStatuses;
      const assignee = query.assignee === 'me' ? operator.operatorId : query.assignee;
      let before = decodeCursor(query.cursor);
      const found: Array<{ ticket: TicketRecord; sla: SlaState }> = [];
      let nextCursor: Cursor | null = null;
      await deps.store.read(async (repositories) => {
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
            found.push({ ticket, sla });
            if (found.length === query.limit) break;
          }
          nextCursor =
            pages.some((page) => page.nextCursor) || merged.length === query.limit ? (before ?? null) : null;
          if (!nextCursor) return;
        }
      });
      return json(200, {
        tickets: found.map(({ ticket, sla }) => ({
          ...ticketSummary(ticket, 'ru'),
          assigneeId: ticket.assigneeId,
          channel: ticket.channel,
          sla,
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
    responses: { 200: 'The ticket', 404: 'No such ticket' },
    handle: async (context) => {
      const view = await context.deps.tickets.thread(context.params.number ?? '');
      return json(200, {
        ...threadBody(view, 'ru', true),
        sla: slaStateOf(view.ticket, context.deps),
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
    responses: { 200: 'The ticket now' },
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
    responses: { 200: 'The ticket now', 409: 'Not allowed from the current status' },
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
    responses: { 201: 'The message' },
    handle: async ({ params, body, operator, deps }) => {
      const result = await deps.tickets.operatorMessage(params.number ?? '', body, operator);
      return json(201, {
        number: result.ticket.number,
        status: result.ticket.status,
        seq: result.message.seq,
        internal: result.message.internal,
      });
    },
  }),
  route({
    method: 'GET',
    path: '/api/ops/tickets/{number}/audit',
    auth: 'admin',
    tag: 'admins',
    summary: 'What operators and the CRM changed on a ticket, in order',
    responses: { 200: 'The audit entries' },
    handle: async ({ params, deps }) => {
      const entries = await deps.store.read(async (repositories) => {
        const ticket = await repositories.tickets.getByNumber(params.number ?? '');
        if (!ticket) throw new TicketError('ticket_not_found', `No ticket ${params.number}.`);
        return repositories.audit.listBySubject(`ticket:${ticket.ticketId}`, 500);
      });
      return json(200, { entries: entries.map((entry) => ({ ...entry, at: iso(entry.at) })) });
    },
  }),
  route({
    method: 'GET',
    path: '/api/ops/templates',
    auth: 'operator',
    tag: 'operators',
    summary: 'Reply templates',
    responses: { 200: 'The templates' },
    handle: async () => json(200, { templates: supportSettings.operatorTemplates }),
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
      200: 'The figures for tickets created in the range (local dates, default the last 30 days)',
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
  ...adminRoutes,
];

function preferencesOf(record: UserRecord) {
  return {
    language: record.language,
    notificationsAllowed: record.notificationsAllowed,
    notificationTypes: record.notificationTypes,
    quietHours: record.quietHours,
  };
}

/** The ticket-api's request handler over the route table above. */
export const handleApiRequest = createApiHandler(routes);
