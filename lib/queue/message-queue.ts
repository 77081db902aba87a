import { AppError } from '../errors';
import {
  assertDelay,
  assertMessageSize,
  type MessageQueue,
  type OutgoingMessage,
  type QueueDepth,
  type QueueName,
  type ReceivedMessage,
} from './port';
import { SqsQueryClient, xmlAttributes, xmlBlocks, xmlValue } from './sqs-query';

type AnyQueue = QueueName | `${QueueName}-dlq`;

export interface YandexMessageQueueOptions {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Queue URLs by name; dead-letter queues are needed only where they are read (ops, tests). */
  queueUrls: Partial<Record<AnyQueue, string>>;
  /** Bounds each attempt of a call (a receive's long-poll wait is added). Default 5000. */
  timeoutMs?: number;
}

/**
 * Yandex Message Queue through the SQS API, over the AWS Query protocol that Yandex documents
 * (`lib/queue/sqs-query.ts`); see the README for why not the SDK. Failed calls throw
 * `MessageQueueError` with the service's code and HTTP status.
 */
export class YandexMessageQueue implements MessageQueue {
  readonly #client: SqsQueryClient;
  readonly #queueUrls: Partial<Record<AnyQueue, string>>;

  constructor(options: YandexMessageQueueOptions) {
    this.#client = new SqsQueryClient({
      endpoint: options.endpoint,
      region: options.region,
      accessKeyId: options.accessKeyId,
      secretAccessKey: options.secretAccessKey,
      timeoutMs: options.timeoutMs ?? 5000,
      maxAttempts: 3,
    });
    this.#queueUrls = options.queueUrls;
  }

  async send(queue: AnyQueue, message: OutgoingMessage): Promise<void> {
    assertDelay(message.delaySeconds);
    assertMessageSize([message]);
    await this.#client.call('SendMessage', {
      QueueUrl: this.#url(queue),
      MessageBody: message.body,
      ...(message.delaySeconds !== undefined ? { DelaySeconds: String(message.delaySeconds) } : {}),
    });
  }

  async sendBatch(queue: AnyQueue, messages: readonly OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return;
    if (messages.length > 10) throw new RangeError('a batch holds at most 10 messages');
    for (const message of messages) assertDelay(message.delaySeconds);
    assertMessageSize(messages);
    const params: Record<string, string> = { QueueUrl: this.#url(queue) };
    for (const [index, message] of messages.entries()) {
      const entry = `SendMessageBatchRequestEntry.${index + 1}`;
      params[`${entry}.Id`] = String(index);
      params[`${entry}.MessageBody`] = message.body;
      if (message.delaySeconds !== undefined) params[`${entry}.DelaySeconds`] = String(message.delaySeconds);
    }
    const answer = await this.#client.call('SendMessageBatch', params);
    const failed = xmlBlocks(answer, 'BatchResultErrorEntry');
    if (failed.length > 0) {
      // Nothing is retried here: the caller's retry resends the whole batch, and every consumer is idempotent.
      const codes = [...new Set(failed.map((entry) => xmlValue(entry, 'Code') ?? 'unknown'))].join(', ');
      throw new AppError(
        'queue_send',
        `${failed.length} of ${messages.length} messages were not sent to ${queue} (${codes})`,
      );
    }
  }

  async receive(
    queue: AnyQueue,
    options: { maxMessages: number; visibilityTimeoutSeconds: number; waitSeconds?: number },
  ): Promise<ReceivedMessage[]> {
    const waitSeconds = options.waitSeconds ?? 0;
    const answer = await this.#client.call(
      'ReceiveMessage',
      {
        QueueUrl: this.#url(queue),
        MaxNumberOfMessages: String(options.maxMessages),
        VisibilityTimeout: String(options.visibilityTimeoutSeconds),
        WaitTimeSeconds: String(waitSeconds),
        // AttributeName.N is the name Yandex documents and the one its server reads; AWS renamed it
        // MessageSystemAttributeName.N, which Message Queue ignores. Both are sent.
        'AttributeName.1': 'ApproximateReceiveCount',
        'AttributeName.2': 'SentTimestamp',
        'MessageSystemAttributeName.1': 'ApproximateReceiveCount',
        'MessageSystemAttributeName.2': 'SentTimestamp',
      },
      { extraTimeoutMs: waitSeconds * 1000 },
    );
    return xmlBlocks(answer, 'Message').map((message) => {
      const attributes = xmlAttributes(message);
      return {
        messageId: xmlValue(message, 'MessageId') ?? '',
        body: xmlValue(message, 'Body') ?? '',
        receiptHandle: xmlValue(message, 'ReceiptHandle') ?? '',
        receiveCount: Number(attributes.ApproximateReceiveCount ?? 1),
        sentAt: Number(attributes.SentTimestamp ?? 0),
      };
    });
  }

  async delete(queue: AnyQueue, receiptHandle: string): Promise<void> {
    await this.#client.call('DeleteMessage', { QueueUrl: this.#url(queue), ReceiptHandle: receiptHandle });
  }

  async depth(queue: AnyQueue): Promise<QueueDepth> {
    const answer = await this.#client.call('GetQueueAttributes', {
      QueueUrl: this.#url(queue),
      'AttributeName.1': 'ApproximateNumberOfMessages',
      'AttributeName.2': 'ApproximateNumberOfMessagesNotVisible',
      'AttributeName.3': 'ApproximateNumberOfMessagesDelayed',
    });
    const attributes = xmlAttributes(answer);
    return {
      visible: Number(attributes.ApproximateNumberOfMessages ?? 0),
      inFlight: Number(attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
      delayed: Number(attributes.ApproximateNumberOfMessagesDelayed ?? 0),
    };
  }

  #url(queue: AnyQueue): string {
    const url = this.#queueUrls[queue];
    if (!url) throw new AppError('queue_unknown', `no URL configured for queue ${queue}`);
    return url;
  }
}
