import { recordActivity } from '../../analytics/activity';
import { DAY, MINUTE } from '../../clock';
import { recordRating } from '../../csat/survey';
import { recordCampaignResponses } from '../../dispatcher/responses';
import { ValidationError } from '../../errors';
import { json } from '../../http/http';
import { enterJourneys } from '../../journeys/enter';
import { markJourneyGoals, TICKET_FILED_EVENT } from '../../journeys/goals';
import { supportSettings } from '../../support/settings';
import { contactNotice, retentionDays } from '../../tickets/anonymise';
import { appendTicketEntry, auditUserAction } from '../../tickets/audit';
import { TicketError } from '../../tickets/errors';
import type { NewTicket } from '../../tickets/service';
import { allTicketsOf, ensureAppUser, eraseUser, exportUserData } from '../../users/account';
import {
  categoriesSchema,
  erasedSchema,
  eventsStoredSchema,
  pingSchema,
  postedMessageSchema,
  preferencesSchema,
  ratedSchema,
  ticketPageSchema,
  ticketSummarySchema,
  userExportSchema,
  userThreadSchema,
} from '../responses';
import { jsonOf, type Route, route } from '../router';
import {
  createTicketBody,
  eventsBody,
  listTicketsQuery,
  notificationsConsentBody,
  preferencesBody,
  ratingBody,
  ticketMessageBody,
} from '../schemas';

import {
  encodeCursor,
  preferencesOf,
  requestHash,
  threadBody,
  ticketSummary,
  toEpoch,
  userTickets,
} from './common';

export const miniAppRoutes: Route[] = [
  route({
    method: 'GET',
    path: '/api/ping',
    auth: 'public',
    tag: 'service',
    summary: 'Liveness of the API',
    responses: { 200: { description: 'The API answers', schema: pingSchema } },
    handle: async () => jsonOf(pingSchema, 200, { ok: true }),
  }),
  route({
    method: 'GET',
    path: '/api/categories',
    auth: 'public',
    tag: 'mini app',
    summary:
      'Ticket categories for the form, with labels in ru and en, and the notice to show by its contact field',
    responses: { 200: { description: 'The categories', schema: categoriesSchema } },
    handle: async ({ deps }) => {
      const retentionMs = deps.tickets.settings.personalDataRetentionMs;
      return json(200, {
        categories: supportSettings.categories.map(({ id, emoji, label }) => ({ id, emoji, label })),
        // FZ-152: where the form asks for an e-mail or phone it shows this, and sends `consent: true`.
        contactNotice: { ru: contactNotice('ru', retentionMs), en: contactNotice('en', retentionMs) },
        retentionDays: retentionDays(retentionMs),
      });
    },
  }),
  route({
    method: 'POST',
    path: '/api/tickets',
    auth: 'user',
    tag: 'mini app',
    summary: 'File a ticket (Idempotency-Key makes retries safe)',
    body: createTicketBody,
    responses: {
      201: {
        description: 'The ticket, with its number and expected first response (also for a replayed key)',
        schema: ticketSummarySchema,
        headers: { 'Idempotent-Replayed': 'true when the key had created it already' },
      },
      422: 'The Idempotency-Key was used with another body',
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
          // Kept only with the user's consent to the contact notice (the body's check requires it).
          ...(rest.contact && rest.consent
            ? { contact: rest.contact, contactConsentAt: deps.clock.now() }
            : {}),
          ...(rest.recentEvents
            ? { recentEvents: rest.recentEvents.map((event) => ({ ...event, at: toEpoch(event.at) })) }
            : {}),
        },
        ...(key ? { idempotency: { key, requestHash: requestHash(body) } } : {}),
      };
      // The user's row in the filing's transaction: a refused filing (429, 422) writes nothing.
      const created = await deps.tickets.transact(async (scope) => {
        await ensureAppUser(scope.repositories, user, deps.clock.now());
        const filed = await deps.tickets.create(ticket, scope);
        // A filed ticket is the abandoned form's goal (the app sends no event for it).
        if (!filed.replayed)
          await markJourneyGoals(scope.repositories, user.userId, [
            { name: TICKET_FILED_EVENT, occurredAt: filed.ticket.createdAt, props: {} },
          ]);
        return filed;
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
    responses: {
      200: { description: 'A page of tickets and the cursor of the next one', schema: ticketPageSchema },
    },
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
    responses: {
      200: { description: 'The ticket with its thread', schema: userThreadSchema },
      404: 'No such ticket of the caller',
    },
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
      200: {
        description:
          'The ticket the message went to: this one, or the follow-up an earlier message to this finished ticket started',
        schema: postedMessageSchema,
      },
      201: {
        description: 'A linked ticket was created (the one written to is closed)',
        schema: postedMessageSchema,
      },
      404: 'No such ticket of the caller',
      429: 'A linked ticket would pass the hourly limit of new tickets (Retry-After)',
    },
    handle: async ({ params, user, body, deps }) => {
      const result = await deps.tickets.addUserMessage(user.userId, params.number ?? '', {
        ...body,
        via: 'app',
      });
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
    responses: {
      200: { description: 'The rating was recorded', schema: ratedSchema },
      404: 'No such ticket of the caller',
      409: 'Not resolved, or rated already',
    },
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
      return jsonOf(ratedSchema, 200, {
        number: params.number ?? '',
        rating: survey.rating,
        reason: survey.reason,
      });
    },
  }),
  route({
    method: 'POST',
    path: '/api/events',
    auth: 'user',
    tag: 'mini app',
    summary: 'Log up to 100 analytics events (names from the allow-list); re-sent events are stored once',
    body: eventsBody,
    responses: { 202: { description: 'Stored (how many were new)', schema: eventsStoredSchema } },
    handle: async ({ body, user, deps }) => {
      const now = deps.clock.now();
      const bad = body.events.flatMap((event, index) => {
        const at = toEpoch(event.at);
        if (at > now + 5 * MINUTE)
          return [
            { path: `body.events.${index}.at`, message: 'is in the future (more than 5 minutes ahead)' },
          ];
        return at < now - 30 * DAY
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
      // The tickets' transaction with an outbox: a journey's first step is a deferred job sent after the commit.
      const stored = await deps.tickets.transact(async ({ repositories, outbox }) => {
        // A user who only ever sends events is still a user: registered with their launch consent.
        await ensureAppUser(repositories, user, now);
        const count = await repositories.events.append(events);
        // The user's daily activity record (retention, DAU/MAU): written on a day's first event only.
        await recordActivity(
          repositories,
          user.userId,
          events.map((event) => event.occurredAt),
          deps.tickets.settings.hours.timezone,
          now,
        );
        // Opens and returns of campaigns this user was in (the A/B results).
        await recordCampaignResponses(repositories, user.userId, events);
        // Goals of journeys this user is in (their results), before the batch's own starts and exits.
        const marked = await markJourneyGoals(repositories, user.userId, events);
        // Trigger and exit events start and stop journeys (lib/journeys/enter.ts).
        await enterJourneys({ repositories, outbox }, user.userId, events, now, undefined, marked);
        return count;
      });
      return jsonOf(eventsStoredSchema, 202, { received: body.events.length, stored });
    },
  }),
  route({
    method: 'GET',
    path: '/api/me/preferences',
    auth: 'user',
    tag: 'mini app',
    summary: 'Language, notification types, quiet hours, timezone and consent',
    responses: { 200: { description: 'The preferences', schema: preferencesSchema } },
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
    responses: { 200: { description: 'The preferences now', schema: preferencesSchema } },
    handle: async ({ user, body, deps }) => {
      const record = await deps.store.transaction(async (repositories) => {
        const now = deps.clock.now();
        const current = await ensureAppUser(repositories, user, now);
        const updated = {
          ...current,
          language: body.language ?? current.language,
          notificationTypes: { ...current.notificationTypes, ...body.notificationTypes },
          quietHours: body.quietHours === undefined ? current.quietHours : body.quietHours,
          timezone: body.timezone === undefined ? current.timezone : body.timezone,
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
    responses: { 200: { description: 'The preferences now', schema: preferencesSchema } },
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
    responses: {
      200: {
        description: 'The export',
        schema: userExportSchema,
        headers: { 'Content-Disposition': 'attachment; filename="my-data-<id>.json"' },
      },
    },
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
    responses: { 200: { description: 'Erased', schema: erasedSchema } },
    handle: async ({ user, deps }) => {
      const result = await deps.store.transaction(async (repositories) => {
        const now = deps.clock.now();
        const tickets = await allTicketsOf(repositories, user.userId);
        const erased = await eraseUser(repositories, user.userId, now);
        // Each ticket's own audit shows it was anonymised, as after an admin's erasure; not for whom.
        for (const ticket of tickets)
          await appendTicketEntry(repositories, ticket, {
            actor: 'user',
            role: 'user',
            action: 'ticket.anonymise',
            details: { reason: 'user.erase' },
            at: now,
          });
        // The erasure itself is on record (admins read it), under the user's keyed subject.
        await auditUserAction(repositories, {
          userId: user.userId,
          key: deps.settings.appSecret,
          action: 'user.erase',
          details: { anonymisedTickets: erased.tickets, by: 'self' },
          at: now,
        });
        return erased;
      });
      await deps.store.afterErasure?.();
      deps.logger.info('user data erased', { anonymisedTickets: result.tickets });
      return jsonOf(erasedSchema, 200, { erased: true, anonymisedTickets: result.tickets });
    },
  }),
];
