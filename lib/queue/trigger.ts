import { createHash } from 'node:crypto';
import type { QueueEvent } from '../platform/types';
import type { MessageQueue, QueueName, ReceivedMessage } from './port';

/**
 * What a Message Queue trigger does, for the local stack and tests: receive up to `batchSize`
 * messages, call the function with the platform's event, delete them all if it returned, leave them
 * to reappear after the visibility timeout if it threw (the platform returns the whole batch).
 */
export async function deliverBatch(
  queue: MessageQueue,
  queueName: QueueName,
  invoke: (event: QueueEvent) => Promise<unknown>,
  options: { batchSize?: number; visibilityTimeoutSeconds?: number } = {},
): Promise<{ delivered: number; failed: boolean }> {
  const messages = await queue.receive(queueName, {
    maxMessages: options.batchSize ?? 10,
    visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? 30,
  });
  if (messages.length === 0) return { delivered: 0, failed: false };
  try {
    await invoke(queueEvent(queueName, messages));
  } catch {
    return { delivered: messages.length, failed: true };
  }
  // Together, as the platform deletes a batch (`DeleteMessageBatch`).
  await Promise.all(messages.map((message) => queue.delete(queueName, message.receiptHandle)));
  return { delivered: messages.length, failed: false };
}

/** The event a Message Queue trigger sends (Yandex Cloud docs: "Trigger for Message Queue"). */
export function queueEvent(queueName: string, messages: readonly ReceivedMessage[]): QueueEvent {
  return {
    messages: messages.map((message) => ({
      event_metadata: {
        event_id: message.messageId,
        event_type: 'yandex.cloud.events.messagequeue.QueueMessage',
        created_at: new Date(message.sentAt).toISOString(),
      },
      details: {
        queue_id: `yrn:yc:ymq:ru-central1:local:${queueName}`,
        message: {
          message_id: message.messageId,
          md5_of_body: createHash('md5').update(message.body).digest('hex'),
          body: message.body,
          attributes: { SentTimestamp: String(message.sentAt) },
          message_attributes: {},
          md5_of_message_attributes: '',
        },
      },
    })),
  };
}
