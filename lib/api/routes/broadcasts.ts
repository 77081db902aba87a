import { countAudience } from '../../broadcasts/audience';
import { startBroadcast } from '../../broadcasts/broadcast';
import { HttpError, ValidationError } from '../../errors';
import { NOTIFICATION_LIMIT } from '../../notifications/app-notification';
import type { BroadcastRecord } from '../../storage/port';
import {
  broadcastAcceptedSchema,
  broadcastAudienceCountSchema,
  broadcastReportSchema,
} from '../responses-campaigns';
import { jsonOf, type Route, route } from '../router';
import { broadcastBody, broadcastQuery } from '../schemas';
import { iso } from './common';

/**
 * Admins' incident broadcasts: one text to everyone reachable, a segment or a subscription key, sent
 * by keyed batch jobs (lib/broadcasts) within VK's limits and the ticket updates' budget, not the
 * campaigns' cap; audited. An operator's token gets 403.
 */
export const broadcastRoutes: Route[] = [
  route({
    method: 'POST',
    path: '/api/ops/broadcasts',
    auth: 'admin',
    tag: 'admins',
    summary: 'Send an incident broadcast (or, with ?dryRun=1, count its audience)',
    query: broadcastQuery,
    body: broadcastBody,
    responses: {
      200: {
        description: 'Dry run: the audience counted, nothing written',
        schema: broadcastAudienceCountSchema,
      },
      202: { description: 'Accepted: the batches are queued', schema: broadcastAcceptedSchema },
      400: 'Invalid text, audience or channel',
    },
    handle: async ({ query, body, operator, deps }) => {
      // A notification carries at most VK's 254 characters: an incident notice must not be cut.
      if (body.channel !== 'message' && body.text.length > NOTIFICATION_LIMIT)
        throw new ValidationError('The text is too long for a notification.', [
          {
            path: 'body.text',
            message: `at most ${NOTIFICATION_LIMIT} characters unless channel is "message"`,
          },
        ]);
      const now = deps.clock.now();
      if (query.dryRun === '1') {
        const counted = await countAudience(deps.store, body.audience, body.channel, now);
        return jsonOf(broadcastAudienceCountSchema, 200, {
          dryRun: true,
          audience: counted.total,
          messages: counted.messages,
          notifications: counted.notifications,
        });
      }
      const broadcast = await deps.tickets.transact(({ repositories, outbox }) =>
        startBroadcast(repositories, outbox, body, operator, now),
      );
      deps.logger.info('broadcast started', {
        broadcastId: broadcast.broadcastId,
        channel: broadcast.channel,
      });
      return jsonOf(broadcastAcceptedSchema, 202, { id: broadcast.broadcastId, status: broadcast.status });
    },
  }),
  route({
    method: 'GET',
    path: '/api/ops/broadcasts/{id}',
    auth: 'admin',
    tag: 'admins',
    summary: "A broadcast's delivery: per-user results by status",
    responses: {
      200: { description: 'The broadcast and its counts', schema: broadcastReportSchema },
      404: 'No such broadcast',
    },
    handle: async ({ params, deps }) => {
      const id = params.id ?? '';
      const broadcast = /^[\w-]{1,64}$/.test(id)
        ? await deps.store.read((repositories) => repositories.broadcasts.get(id))
        : null;
      if (!broadcast) throw new HttpError(404, 'broadcast_not_found', `No broadcast ${id}.`);
      return jsonOf(broadcastReportSchema, 200, reportOf(broadcast));
    },
  }),
];

function reportOf(broadcast: BroadcastRecord) {
  return {
    id: broadcast.broadcastId,
    status: broadcast.status,
    channel: broadcast.channel,
    audience: broadcast.audience,
    counts: broadcast.counts,
    createdBy: broadcast.createdBy,
    createdAt: iso(broadcast.createdAt),
    updatedAt: iso(broadcast.updatedAt),
  };
}
