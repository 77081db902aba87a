import { json } from '../../http/http';
import { audit, auditUserAction } from '../../tickets/audit';
import { allTicketsOf, eraseUser, exportUserData } from '../../users/account';
import { erasedSchema, userExportSchema } from '../responses';
import { jsonOf, type Route, route } from '../router';
import { userIdOf } from './common';

/**
 * What only admins may do (an operator's token gets 403): a user's data exported or erased on their
 * request (made to support, not through the mini app), each audited with the admin's VK id. The
 * audit itself is read through lib/api/routes/audit.ts.
 */

export const adminRoutes: Route[] = [
  route({
    method: 'GET',
    path: '/api/ops/users/{userId}/export',
    auth: 'admin',
    tag: 'admins',
    summary: 'Everything held about a user, as JSON (a request made to support)',
    responses: {
      200: {
        description: 'The export',
        schema: userExportSchema,
        headers: { 'Content-Disposition': 'attachment; filename="user-data-<id>.json"' },
      },
      400: 'Not a VK user id',
    },
    handle: async ({ params, operator, deps }) => {
      const userId = userIdOf(params);
      const exported = await deps.store.transaction(async (repositories) => {
        const now = deps.clock.now();
        const key = deps.settings.appSecret;
        await auditUserAction(repositories, {
          userId,
          key,
          operator,
          action: 'user.export',
          details: {},
          at: now,
        });
        return exportUserData(repositories, userId, now);
      });
      return json(200, exported, {
        'content-disposition': `attachment; filename="user-data-${userId}.json"`,
      });
    },
  }),
  route({
    method: 'DELETE',
    path: '/api/ops/users/{userId}',
    auth: 'admin',
    tag: 'admins',
    summary: "Erase a user's data on their request; tickets stay, anonymised, for statistics",
    responses: {
      200: { description: 'Erased', schema: erasedSchema },
      400: 'Not a VK user id',
    },
    handle: async ({ params, operator, deps }) => {
      const userId = userIdOf(params);
      const result = await deps.store.transaction(async (repositories) => {
        const now = deps.clock.now();
        const tickets = await allTicketsOf(repositories, userId);
        const erased = await eraseUser(repositories, userId, now);
        const details = { anonymisedTickets: erased.tickets };
        const key = deps.settings.appSecret;
        await auditUserAction(repositories, {
          userId,
          key,
          operator,
          action: 'user.erase',
          details,
          at: now,
        });
        // Each ticket's own audit shows it was anonymised, by whom; not for whom (the user's hash
        // would tie the anonymised ticket back to the erased user).
        for (const ticket of tickets)
          await audit(repositories, operator, ticket, 'ticket.anonymise', { reason: 'user.erase' }, now);
        return erased;
      });
      await deps.store.afterErasure?.();
      deps.logger.info('user data erased on request', { anonymisedTickets: result.tickets });
      return jsonOf(erasedSchema, 200, { erased: true, anonymisedTickets: result.tickets });
    },
  }),
];
