import { describeError } from '../../lib/errors';
import type { Logger } from '../../lib/log/logger';
import type { MessageQueue, QueueName } from '../../lib/queue/port';
import { deliverBatch } from '../../lib/queue/trigger';

/** Callbacks in flight past which the pollers wait (see `startQueueTriggers`). */
const CALLBACKS_BEFORE_POLLERS_YIELD = 8;
/** Longest the pollers wait for a burst of callbacks before they take a batch anyway. */
const LONGEST_YIELD_MS = 1000;

export interface QueueTrigger {
  queue: QueueName;
  /** Trigger invocations at once (the cloud starts more under a backlog). */
  concurrency?: number;
  handle(bodies: string[]): Promise<unknown>;
}

/**
 * The cloud's Message Queue triggers, in-process: each poller takes batches of up to 10 messages and
 * gives the whole batch back on a throw. A trigger long-polls, so a message is picked up about as soon
 * as it is visible (`pollMs` between empty looks).
 *
 * In the cloud the callback and the worker are separate functions on separate instances; here they
 * share one process, so while a burst of callbacks is being handled (`callbacksInFlight`) the pollers
 * let it go first, for up to a second, as the cloud's callbacks never wait for the worker's CPU.
 */
export function startQueueTriggers(
  parts: {
    queue: MessageQueue;
    logger: Logger;
    pollMs: number;
    callbacksInFlight: () => number;
  },
  triggers: readonly QueueTrigger[],
): { stop(): Promise<void> } {
  const { queue, logger, pollMs } = parts;
  let stopping = false;
  const sleep = () => new Promise((resolve) => setTimeout(resolve, pollMs));
  const poll = async ({ queue: queueName, handle }: QueueTrigger) => {
    let yieldingSince: number | null = null;
    while (!stopping) {
      if (parts.callbacksInFlight() > CALLBACKS_BEFORE_POLLERS_YIELD) {
        yieldingSince = yieldingSince ?? Date.now();
        if (Date.now() - yieldingSince < LONGEST_YIELD_MS) {
          await sleep();
          continue;
        }
      }
      yieldingSince = null;
      try {
        const { delivered } = await deliverBatch(queue, queueName, (event) =>
          handle(event.messages.map((message) => message.details.message.body)),
        );
        if (delivered > 0) continue;
      } catch (error) {
        logger.error(`${queueName} queue poll failed`, { error: describeError(error) });
      }
      await sleep();
    }
  };
  const polling = Promise.all(
    triggers.flatMap((trigger) => Array.from({ length: trigger.concurrency ?? 1 }, () => poll(trigger))),
  );
  return {
    async stop() {
      stopping = true;
      await polling;
    },
  };
}
