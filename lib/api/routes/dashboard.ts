import { dateOfDay, dayOf } from '../../analytics/activity';
import { assembleDashboardPage, type DashboardPage } from '../../dashboard/page';
import { dashboardSources } from '../../dashboard/sources';
import { type Route, route } from '../router';

let assembled: { sources: unknown; page: DashboardPage } | undefined;

/** The page for the current sources, assembled (hashed) once per version of them. */
async function currentPage(): Promise<DashboardPage> {
  const sources = await dashboardSources();
  if (assembled?.sources !== sources) assembled = { sources, page: assembleDashboardPage(sources) };
  return assembled.page;
}

/**
 * The operators' dashboard (dashboard/): one HTML page with its script inline. It holds no data and
 * asks for the operator token itself, so it is public; what it shows comes from the operator
 * endpoints, called with that token. A page, not an API operation: out of the OpenAPI document, in
 * the gateway's spec.
 */
export const dashboardRoutes: Route[] = [
  route({
    method: 'GET',
    path: '/ops',
    auth: 'public',
    tag: 'operators',
    page: true,
    summary: 'The dashboard, at /ops/',
    responses: { 301: 'To /ops/' },
    handle: async () => ({ statusCode: 301, headers: { location: '/ops/' }, body: '' }),
  }),
  route({
    method: 'GET',
    path: '/ops/',
    auth: 'public',
    tag: 'operators',
    page: true,
    summary: "The operators' dashboard: retention, NPS, support times against SLA, CSAT, campaigns",
    responses: { 200: 'The page (text/html)' },
    handle: async ({ deps }) => {
      const page = await currentPage();
      // The server's today (the community's timezone) for the page's default range.
      const today = dateOfDay(dayOf(deps.clock.now(), deps.tickets.settings.hours.timezone));
      const html = page.html.replace(
        '<meta name="ops-today" content="">',
        `<meta name="ops-today" content="${today}">`,
      );
      return { statusCode: 200, headers: page.headers, body: html };
    },
  }),
];
