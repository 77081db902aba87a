import { handleApiRequest } from '../../lib/api/router';
import { requestFromEvent } from '../../lib/http/http';
import type { HttpHandler } from '../../lib/platform/types';
import { createCloudRuntime } from '../../lib/runtime/cloud';

const runtime = createCloudRuntime('ticket-api', ['vk', 'miniApp']);

/** API Gateway `/api/*` → `lib/api`. */
export const handler: HttpHandler = (event, context) =>
  runtime.invoke(context, ({ store, logger }) =>
    handleApiRequest(requestFromEvent(event, context.requestId), { store, logger }),
  );
