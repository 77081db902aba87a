import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequestHandler } from 'local-aws-sqs';
import { YandexMessageQueue } from '../../lib/queue/message-queue';
import { queueNames } from '../../lib/queue/port';
import { SqsQueryClient, xmlAttributes, xmlValue } from '../../lib/queue/sqs-query';

/** A request as the SQS server received it. */
export interface RecordedRequest {
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * A real SQS server (`local-aws-sqs`) on 127.0.0.1 with the production queue layout: every queue
 * of `queueNames`, each with a dead-letter queue through RedrivePolicy. The server speaks both SQS
 * protocols and picks one per request by its content type; `requests` records what reached it, so
 * tests can tell which protocol the adapter spoke.
 */
export async function startSqsServer(options: { maxReceiveCount?: number } = {}) {
  const { service, requestHandler } = createRequestHandler({
    port: 0,
    hostname: '127.0.0.1',
    emulateQueueCreationLifecycle: false,
  });
  const requests: RecordedRequest[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () =>
      requests.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') }),
    );
    void requestHandler(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  // createSqsServer does this after listening: queue URLs carry the port.
  service.PORT = (server.address() as AddressInfo).port;
  const endpoint = `http://127.0.0.1:${service.PORT}`;
  const credentials = { endpoint, region: 'ru-central1', accessKeyId: 'local', secretAccessKey: 'local' };

  const bootstrap = new SqsQueryClient(credentials);
  const queueUrls: Record<string, string> = {};
  for (const name of queueNames) {
    const dlqUrl = xmlValue(await bootstrap.call('CreateQueue', { QueueName: `${name}-dlq` }), 'QueueUrl')!;
    const dlqArn = xmlAttributes(
      await bootstrap.call('GetQueueAttributes', { QueueUrl: dlqUrl, 'AttributeName.1': 'QueueArn' }),
    ).QueueArn;
    const mainUrl = xmlValue(
      await bootstrap.call('CreateQueue', {
        QueueName: name,
        'Attribute.1.Name': 'RedrivePolicy',
        'Attribute.1.Value': JSON.stringify({
          deadLetterTargetArn: dlqArn,
          maxReceiveCount: options.maxReceiveCount ?? 3,
        }),
      }),
      'QueueUrl',
    )!;
    queueUrls[name] = mainUrl;
    queueUrls[`${name}-dlq`] = dlqUrl;
  }
  const queue = new YandexMessageQueue({ ...credentials, queueUrls });
  return {
    endpoint,
    queue,
    queueUrls,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
