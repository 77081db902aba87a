import { campaignOverview } from '../../campaigns/overview';
import { DAY } from '../../clock';
import { campaignResults } from '../../dispatcher/report';
import { HttpError, ValidationError } from '../../errors';
import { shippedJourneys } from '../../journeys/definition';
import { journeyResults } from '../../journeys/results';
import { utcDay } from '../../notifications/daily-cap';
import { campaignListSchema, campaignResultSchema } from '../responses-campaigns';
import { jsonOf, type Route, route } from '../router';
import { campaignResultsQuery } from '../schemas';

/** Plan days looked at when the caller gives no range: two weeks, as `npm run notify:report`. */
const DEFAULT_RESULT_DAYS = 14;
const MAX_RESULT_DAYS = 366;

/**
 * Where people look: the shipped campaigns and journeys with their kind, channel and state, and one
 * campaign's per-variant results (lib/dispatcher/report.ts; a journey's per group: lib/journeys/results.ts;
 * the same figures `npm run notify:report` prints).
 */
export const campaignRoutes: Route[] = [
  route({
    method: 'GET',
    path: '/api/ops/campaigns',
    auth: 'operator',
    tag: 'operators',
    summary: 'The shipped campaigns and journeys: kind, channel, state and goal',
    responses: { 200: { description: 'The campaigns', schema: campaignListSchema } },
    handle: async () => jsonOf(campaignListSchema, 200, { campaigns: campaignOverview() }),
  }),
  route({
    method: 'GET',
    path: '/api/ops/campaigns/{id}/results',
    auth: 'operator',
    tag: 'operators',
    summary: "A campaign's results per variant and control, for plans made in a range of UTC days",
    query: campaignResultsQuery,
    responses: {
      200: { description: 'The results', schema: campaignResultSchema },
      400: 'A bad range',
      404: 'No such campaign',
    },
    handle: async ({ params, query, deps }) => {
      const id = params.id ?? '';
      const listed = campaignOverview().find((campaign) => campaign.id === id);
      if (!listed) throw new HttpError(404, 'campaign_not_found', `No campaign ${id}.`);
      const toDay = query.to ?? utcDay(deps.clock.now());
      const fromDay =
        query.from ?? utcDay(Date.parse(`${toDay}T00:00:00Z`) - (DEFAULT_RESULT_DAYS - 1) * DAY);
      const days = (Date.parse(toDay) - Date.parse(fromDay)) / DAY + 1;
      if (!(days >= 1 && days <= MAX_RESULT_DAYS))
        throw new ValidationError(`The range must be 1 to ${MAX_RESULT_DAYS} days.`, [
          { path: 'query.from', message: 'range out of bounds' },
        ]);
      const journey = shippedJourneys().find((candidate) => candidate.id === id);
      if (journey) {
        // A journey's runs started in the range, by group: lib/journeys/results.ts.
        const results = await deps.store.read((repositories) =>
          journeyResults(repositories, journey, { fromDay, toDay }),
        );
        return jsonOf(campaignResultSchema, 200, {
          fromDay,
          toDay,
          kind: listed.kind,
          campaign: id,
          goal: results.goal,
          variants: results.variants,
        });
      }
      const results = await deps.store.read((repositories) =>
        campaignResults(repositories, { fromDay, toDay }),
      );
      const found = results.campaigns.find((entry) => entry.campaign === id);
      return jsonOf(campaignResultSchema, 200, {
        fromDay,
        toDay,
        kind: listed.kind,
        campaign: id,
        goal: found?.goal ?? listed.goal,
        variants: found?.variants ?? [],
      });
    },
  }),
];
