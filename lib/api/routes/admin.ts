import { createHash, randomUUID } from 'node:crypto';
import { json } from '../../http/http';
import type { Repositories } from '../../storage/port';
import { audit, type OperatorActor } from '../../tickets/audit';
import { allTicketsOf, eraseUser, exportUserData } from '../../users/account';
import { erasedSchema, userExportSchema } from '../responses';
import { jsonOf, type Route, route } from '../router';
import { userIdOf } from './common';

/**
 * What only admins may do (an operator's token gets 403): a user's data exported or erased on their
 * request (made to support, not through the mini app), each audited with the admin's VK id. The
 * audit itself is read through lib/api/routes/audit.ts.
 */

/** The audit names a user by a hash: an entry must not keep what an erasure removes. */
const userSubject = (userId: number) =>
  `user:${createHash('sha256').update(`audit-user\u0000${userId}`).digest('base64url').slice(0, 22)}`;

/** An admin's action on a user's data, in the audit (the user named by a hash). */
function auditUserAction(
  repositories: Repositories,
  operator: OperatorActor,
  entry: { userId: number; action: string; details: Record<string, unknown>; at: number },
): Promise<void> {
  return repositories.audit.append({
    subject: userSubject(entry.userId),
    at: entry.at,
    entryId: randomUUID(),
    actor: `operator:${operator.operatorId}`,
    role: operator.role,
    action: entry.action,
    details: entry.details,
  });
}

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
        await auditUserAction(repositories, operator, {
          userId,
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
        await auditUserAction(repositories, operator, { userId, action: 'user.erase', details, at: now });
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
