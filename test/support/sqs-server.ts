import type { AddressInfo } from 'node:net';
import { CreateQueueCommand, GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { createSqsServer } from 'local-aws-sqs';
import { YandexMessageQueue } from '../../lib/queue/message-queue';
import { queueNames } from '../../lib/queue/port';

/**
 * A real SQS server (`local-aws-sqs`) on 127.0.0.1 with the production queue layout: every queue
 * of `queueNames`, each with a dead-letter queue through RedrivePolicy.
 */
export async function startSqsServer(options: { maxReceiveCount?: number } = {}) {
  const server = await createSqsServer({
    port: 0,
    hostname: '127.0.0.1',
    emulateQueueCreationLifecycle: false,
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const bootstrap = new YandexMessageQueue({
    endpoint,
    region: 'ru-central1',
    accessKeyId: 'local',
    secretAccessKey: 'local',
    queueUrls: {},
  });
  const queueUrls: Record<string, string> = {};
  for (const name of queueNames) {
    const dlq = await bootstrap.client.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }));
    const dlqArn = (
      await bootstrap.client.send(
        new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }),
      )
    ).Attributes?.QueueArn;
    const main = await bootstrap.client.send(
      new CreateQueueCommand({
        QueueName: name,
        Attributes: {
          RedrivePolicy: JSON.stringify({
            deadLetterTargetArn: dlqArn,
            maxReceiveCount: options.maxReceiveCount ?? 3,
          }),
        },
      }),
    );
    queueUrls[name] = main.QueueUrl!;
    queueUrls[`${name}-dlq`] = dlq.QueueUrl!;
  }
  const queue = new YandexMessageQueue({
    endpoint,
    region: 'ru-central1',
    accessKeyId: 'local',
    secretAccessKey: 'local',
    queueUrls,
  });
  return {
    endpoint,
    queue,
    queueUrls,
    close: () =>
      new Promise<void>((resolve) => {
        queue.client.destroy();
        bootstrap.client.destroy();
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
