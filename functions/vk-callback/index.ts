import { handleCallback } from '../../lib/callback/handler';
import { systemClock } from '../../lib/clock';
import { requestFromEvent } from '../../lib/http/http';
import type { HttpHandler } from '../../lib/platform/types';
import { createCloudRuntime } from '../../lib/runtime/cloud';

const runtime = createCloudRuntime('vk-callback', ['vk']);
const settings = {
  groupId: runtime.config.vk.VK_GROUP_ID,
  secret: runtime.config.vk.VK_CALLBACK_SECRET,
  confirmationCode: runtime.config.vk.VK_CONFIRMATION_CODE,
};

/** VK Callback API → `lib/callback`. Answers `ok` only after the event's effects are committed. */
export const handler: HttpHandler = (event, context) =>
  runtime.invoke(context, ({ store, logger }) =>
    handleCallback(requestFromEvent(event, context.requestId), {
      settings,
      store,
      clock: systemClock,
      logger,
    }),
  );
