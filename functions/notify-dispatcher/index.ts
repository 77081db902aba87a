import { shippedCampaigns } from '../../lib/campaigns/campaign';
import { systemClock } from '../../lib/clock';
import { functionConfigSections } from '../../lib/config/schema';
import { audienceSettingsFrom, campaignVkClient, createNotifyDispatcher } from '../../lib/dispatcher/compose';
import { parseTimerPayload } from '../../lib/dispatcher/timer-payload';
import type { FunctionContext, QueueEvent, TimerEvent } from '../../lib/platform/types';
import { createCloudRuntime } from '../../lib/runtime/cloud';
import { VkClient, vkApiOptions } from '../../lib/vk/client';
import { groupTokenGate } from '../../lib/vk/shared-rate-gate';

const runtime = createCloudRuntime('notify-dispatcher', functionConfigSections['notify-dispatcher']);
const { config } = runtime;
const settings = audienceSettingsFrom(config);

/**
 * Two triggers: the daily timer plans the day's campaigns and fans batches out to the notify queue
 * (a timer payload `{"campaign":"<id>"}` runs one campaign, for ops; any other payload is logged
 * and ignored), and the notify queue's trigger sends each batch. A thrown error returns the queue
 * batch; a send already done is skipped on redelivery, and one whose answer was lost is repeated
 * with the same random_id.
 */
export const handler = (event: TimerEvent | QueueEvent, context: FunctionContext) =>
  runtime.invoke(context, async ({ store, logger }) => {
    const dispatcher = createNotifyDispatcher({
      store,
      queue: runtime.queue,
      clock: systemClock,
      logger,
      appVk: campaignVkClient(
        store,
        {
          ...vkApiOptions(config.vkApi),
          token: config.miniApp.VK_SERVICE_TOKEN,
          rateLimitPerSecond: config.miniApp.VK_SERVICE_RATE_LIMIT,
        },
        logger,
      ),
      // Campaigns that write (channel message or auto): paced with every other user of the community token.
      groupVk: new VkClient({
        ...vkApiOptions(config.vkApi),
        token: config.vk.VK_GROUP_TOKEN,
        rateLimitPerSecond: config.vk.VK_GROUP_RATE_LIMIT,
        bucket: groupTokenGate(store, config.vk.VK_GROUP_RATE_LIMIT),
        logger,
      }),
      settings,
      campaigns: shippedCampaigns(),
    });
    const first = event.messages[0];
    if (first && 'queue_id' in first.details) {
      for (const message of (event as QueueEvent).messages)
        await dispatcher.handleMessage(message.details.message.body);
      return { processed: event.messages.length };
    }
    const payload = (event as TimerEvent).messages[0]?.details.payload;
    const { options, reason } = parseTimerPayload(payload);
    if (reason) logger.warn('timer payload ignored', { reason, payload: payload?.slice(0, 200) });
    return dispatcher.runDaily(options);
  });
