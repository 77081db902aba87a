/**
 * The queue port for deferred and fan-out work. Production: Yandex Message Queue (SQS API);
 * local stack: an embedded queue durable in SQLite. Both keep SQS's rules: at-least-once delivery,
 * a delay of at most 900 s, a visibility timeout, and a dead-letter queue after `maxReceiveCount`.
 *
 * - `deferred`: hops of deferred jobs (ticket updates, surveys, SLA checks, auto-close, …);
 * - `notify`: batches of a campaign's notifications;
 * - `crm`: hops of CRM webhook jobs, kept apart so that a CRM that is down fails only its own
 *   batches: a failed call returns its whole batch, which would delay users' ticket updates and
 *   surveys sharing a batch with it.
 */
export const queueNames = ['deferred', 'notify', 'crm'] as const;
export type QueueName = (typeof queueNames)[number];

/** The function whose queue trigger consumes each queue (Terraform's triggers are checked against it). */
export const queueConsumers = {
  deferred: 'csat-followup',
  notify: 'notify-dispatcher',
  crm: 'csat-followup',
} as const satisfies Record<QueueName, string>;

/** Message Queue's cap on `DelaySeconds`; longer waits go through lib/queue/deferred.ts. */
export const MAX_DELAY_SECONDS = 900;

export interface OutgoingMessage {
  body: string;
  delaySeconds?: number;
}

export interface ReceivedMessage {
  messageId: string;
  body: string;
  /** Pass to `delete` once the message is handled. */
  receiptHandle: string;
  /** How many times it was received, this time included. */
  receiveCount: number;
  sentAt: number;
}

export interface QueueDepth {
  visible: number;
  inFlight: number;
  delayed: number;
}

export interface MessageQueue {
  send(queue: QueueName, message: OutgoingMessage): Promise<void>;
  /** Up to 10 messages in one call. */
  sendBatch(queue: QueueName, messages: readonly OutgoingMessage[]): Promise<void>;
  receive(
    queue: QueueName | `${QueueName}-dlq`,
    options: { maxMessages: number; visibilityTimeoutSeconds: number; waitSeconds?: number },
  ): Promise<ReceivedMessage[]>;
  delete(queue: QueueName | `${QueueName}-dlq`, receiptHandle: string): Promise<void>;
  depth(queue: QueueName | `${QueueName}-dlq`): Promise<QueueDepth>;
}

export function assertDelay(delaySeconds: number | undefined): void {
  if (delaySeconds === undefined) return;
  if (!Number.isInteger(delaySeconds) || delaySeconds < 0 || delaySeconds > MAX_DELAY_SECONDS) {
    throw new RangeError(
      `delaySeconds must be an integer from 0 to ${MAX_DELAY_SECONDS}, got ${delaySeconds}`,
    );
  }
}
