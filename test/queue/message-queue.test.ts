import { ManualClock, MINUTE } from '../../lib/clock';
import { createLogger } from '../../lib/log/logger';
import { DeferredJobs } from '../../lib/queue/deferred';
import { YandexMessageQueue } from '../../lib/queue/message-queue';
import { MAX_MESSAGE_BYTES, MessageTooLargeError } from '../../lib/queue/port';
import { MessageQueueError } from '../../lib/queue/sqs-query';
import { deliverBatch } from '../../lib/queue/trigger';
import { SqliteStore } from '../../lib/storage/sqlite/store';
import { startSqsServer } from '../support/sqs-server';

describe('Yandex Message Queue adapter against an SQS server on loopback', () => {
  let sqs: Awaited<ReturnType<typeof startSqsServer>>;

  beforeAll(async () => {
    sqs = await startSqsServer({ maxReceiveCount: 2 });
  });
  afterAll(async () => {
    await sqs.close();
  });

  it('sends, receives and deletes a message', async () => {
    await sqs.queue.send('notify', { body: '{"batch":1}' });
    const [message] = await sqs.queue.receive('notify', { maxMessages: 10, visibilityTimeoutSeconds: 30 });
    expect(message?.body).toBe('{"batch":1}');
    expect(message?.receiveCount).toBe(1);
    await sqs.queue.delete('notify', message!.receiptHandle);
    expect(await sqs.queue.receive('notify', { maxMessages: 10, visibilityTimeoutSeconds: 30 })).toEqual([]);
  });

  it('sends a batch of up to ten and refuses more', async () => {
    const bodies = Array.from({ length: 10 }, (_, i) => ({ body: `m${i}` }));
    await sqs.queue.sendBatch('notify', bodies);
    const received: string[] = [];
    for (let i = 0; i < 5 && received.length < 10; i++) {
      for (const message of await sqs.queue.receive('notify', {
        maxMessages: 10,
        visibilityTimeoutSeconds: 30,
      })) {
        received.push(message.body);
        await sqs.queue.delete('notify', message.receiptHandle);
      }
    }
    expect(received.sort()).toEqual(bodies.map((b) => b.body).sort());
    await expect(sqs.queue.sendBatch('notify', [...bodies, { body: 'eleven' }])).rejects.toThrow(
      /at most 10/,
    );
  });

  it('speaks the AWS Query protocol: signed form posts with Action and Version 2012-11-05, no JSON target', async () => {
    const seen = sqs.requests.length;
    await sqs.queue.send('crm', { body: 'q', delaySeconds: 0 });
    await sqs.queue.sendBatch('crm', [{ body: 'r' }]);
    const received = await sqs.queue.receive('crm', { maxMessages: 10, visibilityTimeoutSeconds: 30 });
    for (const message of received) await sqs.queue.delete('crm', message.receiptHandle);
    await sqs.queue.depth('crm');

    const calls = sqs.requests.slice(seen);
    expect(calls.map((call) => new URLSearchParams(call.body).get('Action'))).toEqual([
      'SendMessage',
      'SendMessageBatch',
      'ReceiveMessage',
      ...received.map(() => 'DeleteMessage'),
      'GetQueueAttributes',
    ]);
    // Every request, the bootstrap's CreateQueue included, went as Query: the server picks JSON
    // only for `application/x-amz-json-1.0` bodies with an X-Amz-Target header.
    for (const call of sqs.requests) {
      expect(call.headers['content-type']).toBe('application/x-www-form-urlencoded');
      expect(call.headers['x-amz-target']).toBeUndefined();
      expect(call.body).toMatch(/^Action=[A-Za-z]+&Version=2012-11-05&/);
      expect(call.headers.authorization).toMatch(
        /^AWS4-HMAC-SHA256 Credential=local\/\d{8}\/ru-central1\/sqs\/aws4_request, SignedHeaders=host;x-amz-date, Signature=[0-9a-f]{64}$/,
      );
    }
    const batch = new URLSearchParams(calls[1]!.body);
    expect(batch.get('SendMessageBatchRequestEntry.1.MessageBody')).toBe('r');
    const receive = new URLSearchParams(calls[2]!.body);
    expect([receive.get('AttributeName.1'), receive.get('AttributeName.2')]).toEqual([
      'ApproximateReceiveCount',
      'SentTimestamp',
    ]);
  });

  it('carries bodies with markup, ampersands, quotes, newlines, emoji and Cyrillic unchanged', async () => {
    const bodies = [
      '<b>Tom & "Jerry"</b> it\'s 5 > 3',
      'строка 1\nстрока 2\r\nконец 🎉👍🏽',
      JSON.stringify({ text: 'Привет, <мир> & "друзья"', emoji: '🙂', tab: '\t', plus: 'a+b=c%20' }),
    ];
    await sqs.queue.send('crm', { body: bodies[0]! });
    await sqs.queue.sendBatch(
      'crm',
      bodies.slice(1).map((body) => ({ body })),
    );
    const received: string[] = [];
    for (let i = 0; i < 5 && received.length < bodies.length; i++) {
      for (const message of await sqs.queue.receive('crm', {
        maxMessages: 10,
        visibilityTimeoutSeconds: 30,
      })) {
        received.push(message.body);
        await sqs.queue.delete('crm', message.receiptHandle);
      }
    }
    expect(received.sort()).toEqual([...bodies].sort());
  });

  it('refuses a message or a batch over 256 KiB of UTF-8 before calling the server', async () => {
    const seen = sqs.requests.length;
    const atLimit = 'я'.repeat(MAX_MESSAGE_BYTES / 2); // 131072 characters, 262144 bytes
    await expect(sqs.queue.send('crm', { body: `${atLimit}x` })).rejects.toBeInstanceOf(MessageTooLargeError);
    await expect(
      sqs.queue.sendBatch('crm', [{ body: 'x'.repeat(150 * 1024) }, { body: 'y'.repeat(150 * 1024) }]),
    ).rejects.toMatchObject({ code: 'queue_message_too_large', bytes: 300 * 1024 });
    expect(sqs.requests.length).toBe(seen);

    await sqs.queue.send('crm', { body: atLimit });
    const [message] = await sqs.queue.receive('crm', { maxMessages: 1, visibilityTimeoutSeconds: 30 });
    expect(message?.body).toBe(atLimit);
    await sqs.queue.delete('crm', message!.receiptHandle);
  });

  it("turns the server's error answer into a MessageQueueError with its code and status, not retried", async () => {
    const queue = new YandexMessageQueue({
      endpoint: sqs.endpoint,
      region: 'ru-central1',
      accessKeyId: 'local',
      secretAccessKey: 'local',
      queueUrls: { notify: `${sqs.endpoint}/123456789012/no-such-queue` },
    });
    const seen = sqs.requests.length;
    const failure = queue.send('notify', { body: 'x' });
    await expect(failure).rejects.toBeInstanceOf(MessageQueueError);
    await expect(failure).rejects.toMatchObject({
      code: 'queue_api',
      awsCode: 'AWS.SimpleQueueService.NonExistentQueue',
      status: 400,
    });
    expect(sqs.requests.length - seen).toBe(1);
  });

  it('refuses a delay beyond 900 seconds before calling the server', async () => {
    await expect(sqs.queue.send('deferred', { body: 'x', delaySeconds: 901 })).rejects.toThrow(/0 to 900/);
  });

  it('holds a delayed message back until its delay has passed', async () => {
    await sqs.queue.send('notify', { body: 'later', delaySeconds: 2 });
    expect(await sqs.queue.receive('notify', { maxMessages: 1, visibilityTimeoutSeconds: 30 })).toEqual([]);
    expect((await sqs.queue.depth('notify')).delayed).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 2200));
    const [message] = await sqs.queue.receive('notify', { maxMessages: 1, visibilityTimeoutSeconds: 30 });
    expect(message?.body).toBe('later');
    await sqs.queue.delete('notify', message!.receiptHandle);
  });

  it('moves a message whose consumer keeps failing to the dead-letter queue', async () => {
    await sqs.queue.send('notify', { body: 'poison' });
    let calls = 0;
    const failing = async () => {
      calls++;
      throw new Error('consumer failed');
    };
    // Each failed delivery leaves the message to reappear after its 1 s visibility timeout.
    for (let attempt = 0; attempt < 4; attempt++) {
      await deliverBatch(sqs.queue, 'notify', failing, { visibilityTimeoutSeconds: 1 });
      await new Promise((resolve) => setTimeout(resolve, 1100));
    }
    expect(calls).toBe(2);
    const dead = await sqs.queue.receive('notify-dlq', { maxMessages: 10, visibilityTimeoutSeconds: 30 });
    expect(dead.map((m) => m.body)).toEqual(['poison']);
    expect(await sqs.queue.receive('notify', { maxMessages: 10, visibilityTimeoutSeconds: 1 })).toEqual([]);
  });

  it('carries a job due in 24 hours through hops under a fake clock and runs it once', async () => {
    const clock = new ManualClock();
    const store = new SqliteStore(':memory:');
    // The SQS server's delays are real time; the job's clock is fake. Hops are sent with no delay
    // and the fake clock moves 15 minutes between deliveries, as the real 900 s hops would.
    const deferred = new DeferredJobs({
      store,
      queue: sqs.queue,
      clock,
      logger: createLogger({ level: 'error' }),
      maxHopDelaySeconds: 0,
    });
    const dueAt = clock.now() + 24 * 60 * MINUTE;
    const ran: number[] = [];
    await deferred.schedule({ jobId: 'csat:t-1:1', kind: 'csat', payload: { ticketId: 't-1' }, dueAt });
    await deferred.schedule({ jobId: 'csat:t-1:1', kind: 'csat', payload: { ticketId: 't-1' }, dueAt });

    const handlers = { csat: async () => void ran.push(clock.now()) };
    for (let step = 0; step < 200 && ran.length === 0; step++) {
      await deliverBatch(sqs.queue, 'deferred', async (event) => {
        for (const message of event.messages)
          await deferred.handleMessage(message.details.message.body, handlers);
      });
      clock.advance(15 * MINUTE);
    }
    for (let i = 0; i < 3; i++) {
      await deliverBatch(sqs.queue, 'deferred', async (event) => {
        for (const message of event.messages)
          await deferred.handleMessage(message.details.message.body, handlers);
      });
    }
    expect(ran).toHaveLength(1);
    expect(ran[0]).toBeGreaterThanOrEqual(dueAt);
    expect(ran[0]! - dueAt).toBeLessThan(15 * MINUTE);
    const job = await store.read((r) => r.jobs.get('csat:t-1:1'));
    expect(job).toMatchObject({ status: 'done', hop: 97 });
    await store.close();
  });
});
