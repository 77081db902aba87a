import { handleApiRequest } from '../../lib/api/routes';
import {
  announceCardOnFiling,
  refreshCardOnChange,
  relayAppMessage,
} from '../../lib/bot/operators/card-sync';
import { systemClock } from '../../lib/clock';
import { functionConfigSections } from '../../lib/config/schema';
import { requestFromEvent } from '../../lib/http/http';
import { knowledgeBase } from '../../lib/kb/articles';
import type { HttpHandler } from '../../lib/platform/types';
import { createCloudRuntime } from '../../lib/runtime/cloud';
import { apiSettingsFrom, createTicketService, ticketServiceSettings } from '../../lib/tickets/compose';

const runtime = createCloudRuntime('ticket-api', functionConfigSections['ticket-api']);
const { config } = runtime;
const serviceSettings = ticketServiceSettings(config);
const apiSettings = apiSettingsFrom(config.miniApp, config.api);

/** API Gateway `/api/*` → `lib/api`. */
export const handler: HttpHandler = (event, context) =>
  runtime.invoke(context, ({ store, logger }) => {
    const { tickets } = createTicketService({
      store,
      queue: runtime.queue,
      clock: systemClock,
      logger,
      settings: serviceSettings,
      onTicketChanged: refreshCardOnChange,
      onTicketFiled: announceCardOnFiling,
      onAppMessage: relayAppMessage,
    });
    return handleApiRequest(requestFromEvent(event, context.requestId), {
      store,
      logger,
      clock: systemClock,
      tickets,
      knowledgeBase,
      settings: apiSettings,
    });
  });
