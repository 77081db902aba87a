import { MINUTE, systemClock } from '../../lib/clock';
import type { FunctionContext, QueueEvent, TimerEvent } from '../../lib/platform/types';
import { DeferredJobs } from '../../lib/queue/deferred';
import { createCloudRuntime } from '../../lib/runtime/cloud';

const runtime = createCloudRuntime('csat-followup', ['vk', 'miniApp']);

/** Job kinds this function runs; the CSAT issue registers the survey and its reminder. */
const jobHandlers = {};

/**
 * Two triggers: the deferred queue (each message a hop of a deferred job) and a frequent timer
 * that re-sends hops of jobs whose message was lost. A thrown error returns the whole batch to the
 * queue; every hop is idempotent, so the ones that had succeeded are simply dropped next time.
 */
export const handler = (event: QueueEvent | TimerEvent, context: FunctionContext) =>
  runtime.invoke(context, async ({ store, logger }) => {
    const deferred = new DeferredJobs({ store, queue: runtime.queue, clock: systemClock, logger });
    const first = event.messages[0];
    if (first && 'queue_id' in first.details) {
      for (const message of (event as QueueEvent).messages) {
        await deferred.handleMessage(message.details.message.body, jobHandlers);
      }
      return { processed: event.messages.length };
    }
    return { rescued: await deferred.rescueStalledJobs(20 * MINUTE) };
  });
