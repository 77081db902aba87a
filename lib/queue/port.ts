import { AppError } from '../errors';

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
/** A queue or its dead-letter queue (`<queue>-dlq`), where a consumer that gives a message up puts it. */
export type AnyQueueName = QueueName | `${QueueName}-dlq`;

/** The function whose queue trigger consumes each queue (Terraform's triggers are checked against it). */
export const queueConsumers = {
  deferred: 'csat-followup',
  notify: 'notify-dispatcher',
  crm: 'csat-followup',
} as const satisfies Record<QueueName, string>;

/** Message Queue's cap on `DelaySeconds`; longer waits go through lib/queue/deferred.ts. */
export const MAX_DELAY_SECONDS = 900;

/**
 * Message Queue's cap on a message body, and on the bodies of one SendMessageBatch together:
 * 256 KiB of UTF-8.
 */
export const MAX_MESSAGE_BYTES = 256 * 1024;

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
  send(queue: AnyQueueName, message: OutgoingMessage): Promise<void>;
  /** Up to 10 messages in one call. */
  sendBatch(queue: QueueName, messages: readonly OutgoingMessage[]): Promise<void>;
  receive(
    queue: AnyQueueName,
    options: { maxMessages: number; visibilityTimeoutSeconds: number; waitSeconds?: number },
  ): Promise<ReceivedMessage[]>;
  delete(queue: AnyQueueName, receiptHandle: string): Promise<void>;
  depth(queue: AnyQueueName): Promise<QueueDepth>;
}

/** A message, or a batch together, over {@link MAX_MESSAGE_BYTES}: refused before anything is sent. */
export class MessageTooLargeError extends AppError {
  readonly bytes: number;

  constructor(what: string, bytes: number) {
    super('queue_message_too_large', `${what} is ${bytes} bytes, over the ${MAX_MESSAGE_BYTES}-byte limit`);
    this.bytes = bytes;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), bytes: this.bytes, limit: MAX_MESSAGE_BYTES };
  }
}

/**
 * Refuses a message over 256 KiB, or a batch whose bodies add up to more, as Message Queue would;
 * checking first gives every adapter the same typed error instead of a server's 400 (or, in the
 * embedded queue, no error at all).
 */
export function assertMessageSize(messages: readonly OutgoingMessage[]): void {
  let total = 0;
  for (const [index, message] of messages.entries()) {
    const bytes = Buffer.byteLength(message.body, 'utf8');
    if (bytes > MAX_MESSAGE_BYTES)
      throw new MessageTooLargeError(
        messages.length > 1 ? `message ${index + 1} of the batch` : 'the message',
        bytes,
      );
    total += bytes;
  }
  if (total > MAX_MESSAGE_BYTES) throw new MessageTooLargeError('the batch', total);
}

/** Refuses a delay Message Queue would refuse. */
export function assertDelay(delaySeconds: number | undefined): void {
  if (delaySeconds === undefined) return;
  if (!Number.isInteger(delaySeconds) || delaySeconds < 0 || delaySeconds > MAX_DELAY_SECONDS) {
    throw new RangeError(
      `delaySeconds must be an integer from 0 to ${MAX_DELAY_SECONDS}, got ${delaySeconds}`,
    );
  }
}
