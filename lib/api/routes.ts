import { createApiHandler, type Route } from './router';
import { adminRoutes } from './routes/admin';
import { auditRoutes } from './routes/audit';
import { broadcastRoutes } from './routes/broadcasts';
import { campaignRoutes } from './routes/campaigns';
import { dashboardRoutes } from './routes/dashboard';
import { knowledgeRoutes } from './routes/knowledge';
import { metricsRoutes } from './routes/metrics';
import { miniAppRoutes } from './routes/mini-app';
import { opsRoutes } from './routes/ops';
import { supportMetricsRoutes } from './routes/support-metrics';

/**
 * The ticket-api's route table, one file per area in `routes/` (the mini app, the knowledge base,
 * operators and the CRM, admins). The OpenAPI document is generated from it (`npm run openapi`).
 */
export const routes: Route[] = [
  ...miniAppRoutes,
  ...knowledgeRoutes,
  ...opsRoutes,
  ...adminRoutes,
  ...auditRoutes,
  ...broadcastRoutes,
  ...campaignRoutes,
  ...metricsRoutes,
  ...supportMetricsRoutes,
  ...dashboardRoutes,
];

/** The ticket-api's request handler over the route table above. */
export const handleApiRequest = createApiHandler(routes);
