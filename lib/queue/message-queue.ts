import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { AppError } from '../errors';
import {
  assertDelay,
  type MessageQueue,
  type OutgoingMessage,
  type QueueDepth,
  type QueueName,
  type ReceivedMessage,
} from './port';

type AnyQueue = QueueName | `${QueueName}-dlq`;

export interface YandexMessageQueueOptions {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Queue URLs by name; dead-letter queues are needed only where they are read (ops, tests). */
  queueUrls: Partial<Record<AnyQueue, string>>;
  /** Bounds each call. */
  timeoutMs?: number;
}

/**
 * Yandex Message Queue through the SQS API (`@aws-sdk/client-sqs`). Current SDKs speak the AWS JSON
 * 1.0 protocol, which YMQ serves since 2024; see the README for why this is the chosen client.
 */
export class YandexMessageQueue implements MessageQueue {
  readonly client: SQSClient;
  readonly #queueUrls: Partial<Record<AnyQueue, string>>;

  constructor(options: YandexMessageQueueOptions) {
    this.client = new SQSClient({
      endpoint: options.endpoint,
      region: options.region,
      credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey },
      maxAttempts: 3,
      requestHandler: {
        requestTimeout: options.timeoutMs ?? 5000,
        connectionTimeout: options.timeoutMs ?? 5000,
      },
    });
    this.#queueUrls = options.queueUrls;
  }

  async send(queue: QueueName, message: OutgoingMessage): Promise<void> {
    assertDelay(message.delaySeconds);
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.#url(queue),
        MessageBody: message.body,
        DelaySeconds: message.delaySeconds,
      }),
    );
  }

  async sendBatch(queue: QueueName, messages: readonly OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return;
    if (messages.length > 10) throw new RangeError('a batch holds at most 10 messages');
    for (const message of messages) assertDelay(message.delaySeconds);
    const result = await this.client.send(
      new SendMessageBatchCommand({
        QueueUrl: this.#url(queue),
        Entries: messages.map((message, index) => ({
          Id: String(index),
          MessageBody: message.body,
          DelaySeconds: message.delaySeconds,
        })),
      }),
    );
    if (result.Failed && result.Failed.length > 0) {
      // Nothing is retried here: the caller's retry resends the whole batch, and every consumer is idempotent.
      throw new AppError(
        'queue_send',
        `${result.Failed.length} of ${messages.length} messages were not sent to ${queue}`,
      );
    }
  }

  async receive(
    queue: AnyQueue,
    options: { maxMessages: number; visibilityTimeoutSeconds: number; waitSeconds?: number },
  ): Promise<ReceivedMessage[]> {
    const result = await this.client.send(
      new ReceiveMessageCommand({
        QueueUrl: this.#url(queue),
        MaxNumberOfMessages: options.maxMessages,
        VisibilityTimeout: options.visibilityTimeoutSeconds,
        WaitTimeSeconds: options.waitSeconds ?? 0,
        MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
      }),
    );
    return (result.Messages ?? []).map((message) => ({
      messageId: message.MessageId ?? '',
      body: message.Body ?? '',
      receiptHandle: message.ReceiptHandle ?? '',
      receiveCount: Number(message.Attributes?.ApproximateReceiveCount ?? 1),
      sentAt: Number(message.Attributes?.SentTimestamp ?? 0),
    }));
  }

  async delete(queue: AnyQueue, receiptHandle: string): Promise<void> {
    await this.client.send(
      new DeleteMessageCommand({ QueueUrl: this.#url(queue), ReceiptHandle: receiptHandle }),
    );
  }

  async depth(queue: AnyQueue): Promise<QueueDepth> {
    const result = await this.client.send(
      new GetQueueAttributesCommand({
        QueueUrl: this.#url(queue),
        AttributeNames: [
          'ApproximateNumberOfMessages',
          'ApproximateNumberOfMessagesNotVisible',
          'ApproximateNumberOfMessagesDelayed',
        ],
      }),
    );
    const attributes = result.Attributes ?? {};
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
