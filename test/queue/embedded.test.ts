import { HOUR, ManualClock, MINUTE, SECOND } from '../../lib/clock';
import { createLogger } from '../../lib/log/logger';
import { DeferredJobs } from '../../lib/queue/deferred';
import { EmbeddedQueue } from '../../lib/queue/embedded';
import { cancelJob } from '../../lib/queue/jobs';
import { MAX_MESSAGE_BYTES, MessageTooLargeError } from '../../lib/queue/port';
import { deliverBatch } from '../../lib/queue/trigger';
import { SqliteStore } from '../../lib/storage/sqlite/store';

function setup(maxReceiveCount = 3) {
  const clock = new ManualClock();
  const store = new SqliteStore(':memory:');
  const queue = new EmbeddedQueue(store, { clock, maxReceiveCount });
  const deferred = new DeferredJobs({ store, queue, clock, logger: createLogger({ level: 'error' }) });
  const ran: Array<{ jobId: string; at: number }> = [];
  const handlers = {
    csat: async (job: { jobId: string }) => void ran.push({ jobId: job.jobId, at: clock.now() }),
  };
  const deliver = () =>
    deliverBatch(queue, 'deferred', async (event) => {
      for (const message of event.messages)
        await deferred.handleMessage(message.details.message.body, handlers);
    });
  /** Moves the clock in 15-minute steps, delivering whatever is visible at each. */
  const runFor = async (milliseconds: number) => {
    for (let elapsed = 0; elapsed < milliseconds; elapsed += 15 * MINUTE) {
      while ((await deliver()).delivered > 0) {}
      clock.advance(Math.min(15 * MINUTE, milliseconds - elapsed));
    }
    while ((await deliver()).delivered > 0) {}
  };
  return { clock, store, queue, deferred, ran, deliver, runFor };
}

describe('embedded queue', () => {
  it('delivers after the delay, hides a received message for its visibility timeout, and deletes it', async () => {
    const { queue, clock, store } = setup();
    await queue.send('notify', { body: 'a', delaySeconds: 60 });
    expect(await queue.receive('notify', { maxMessages: 10, visibilityTimeoutSeconds: 30 })).toEqual([]);
    expect(await queue.depth('notify')).toEqual({ visible: 0, inFlight: 0, delayed: 1 });
    clock.advance(60 * SECOND);
    const [first] = await queue.receive('notify', { maxMessages: 10, visibilityTimeoutSeconds: 30 });
    expect(first).toMatchObject({ body: 'a', receiveCount: 1 });
    expect(await queue.depth('notify')).toEqual({ visible: 0, inFlight: 1, delayed: 0 });
    clock.advance(30 * SECOND);
    const [again] = await queue.receive('notify', { maxMessages: 10, visibilityTimeoutSeconds: 30 });
    expect(again).toMatchObject({ body: 'a', receiveCount: 2 });
    await queue.delete('notify', first!.receiptHandle); // a stale receipt deletes nothing
    expect((await queue.depth('notify')).inFlight).toBe(1);
    await queue.delete('notify', again!.receiptHandle);
    expect(await queue.depth('notify')).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    await store.close();
  });

  it('rejects delays past 900 s and batches past 10, as Message Queue does', async () => {
    const { queue, store } = setup();
    await expect(queue.send('notify', { body: 'x', delaySeconds: 901 })).rejects.toThrow(RangeError);
    await expect(
      queue.sendBatch(
        'notify',
        Array.from({ length: 11 }, () => ({ body: 'x' })),
      ),
    ).rejects.toThrow(RangeError);
    expect(await queue.depth('notify')).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    await store.close();
  });

  it('refuses a message or a batch over 256 KiB of UTF-8, as Message Queue does, and stores none of it', async () => {
    const { queue, store } = setup();
    const atLimit = 'я'.repeat(MAX_MESSAGE_BYTES / 2); // 131072 characters, 262144 bytes
    await expect(queue.send('notify', { body: `${atLimit}x` })).rejects.toBeInstanceOf(MessageTooLargeError);
    await expect(
      queue.sendBatch('notify', [
        { body: 'ok' },
        { body: 'x'.repeat(150 * 1024) },
        { body: 'y'.repeat(150 * 1024) },
      ]),
    ).rejects.toMatchObject({ code: 'queue_message_too_large', bytes: 300 * 1024 + 2 });
    expect(await queue.depth('notify')).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    await queue.send('notify', { body: atLimit });
    const [message] = await queue.receive('notify', { maxMessages: 1, visibilityTimeoutSeconds: 30 });
    expect(message?.body).toBe(atLimit);
    await store.close();
  });

  it('moves a message that keeps failing to the dead-letter queue after maxReceiveCount receives', async () => {
    const { queue, clock, store } = setup(3);
    await queue.send('notify', { body: 'poison' });
    let calls = 0;
    for (let i = 0; i < 6; i++) {
      await deliverBatch(queue, 'notify', async () => {
        calls++;
        throw new Error('fails');
      });
      clock.advance(31 * SECOND);
    }
    expect(calls).toBe(3);
    expect(
      (await queue.receive('notify-dlq', { maxMessages: 10, visibilityTimeoutSeconds: 30 })).map(
        (m) => m.body,
      ),
    ).toEqual(['poison']);
    await store.close();
  });

  it("keeps a message sent while another caller's transaction is open, even when that transaction rolls back", async () => {
    const { queue, clock, store } = setup();
    let opened!: () => void;
    const open = new Promise<void>((resolve) => {
      opened = resolve;
    });
    const rolledBack = store.transaction(async (r) => {
      await r.jobs.create({
        jobId: 'csat:e:1',
        kind: 'csat',
        payload: {},
        dueAt: clock.now() + HOUR,
        status: 'pending',
        hop: 0,
        createdAt: clock.now(),
        updatedAt: clock.now(),
      });
      opened();
      await new Promise((resolve) => setTimeout(resolve, 20));
      throw new Error('rolled back');
    });
    await open;
    // Sent while that transaction awaits: the message must not be written inside it, or its
    // rollback would take the message along.
    const sent = queue.send('deferred', { body: 'kept' });
    await expect(rolledBack).rejects.toThrow('rolled back');
    await sent;
    expect(await store.read((r) => r.jobs.get('csat:e:1'))).toBeNull();
    const received = await queue.receive('deferred', { maxMessages: 10, visibilityTimeoutSeconds: 30 });
    expect(received.map((m) => m.body)).toEqual(['kept']);
    await store.close();
  });

  it('survives a restart: messages live in the SQLite file', async () => {
    const { mkdtempSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const file = join(mkdtempSync(join(tmpdir(), 'queue-')), 'local.sqlite');
    const first = new SqliteStore(file);
    await new EmbeddedQueue(first).send('deferred', { body: 'kept' });
    await first.close();
    const second = new SqliteStore(file);
    const received = await new EmbeddedQueue(second).receive('deferred', {
      maxMessages: 1,
      visibilityTimeoutSeconds: 30,
    });
    expect(received.map((m) => m.body)).toEqual(['kept']);
    await second.close();
  });
});

describe('deferred jobs beyond the 900 s queue delay', () => {
  it('runs a job due in 24 hours once, on time, through 900 s hops', async () => {
    const { deferred, ran, runFor, clock, store } = setup();
    const dueAt = clock.now() + 24 * HOUR;
    await deferred.schedule({ jobId: 'csat:a:1', kind: 'csat', payload: {}, dueAt });
    await runFor(24 * HOUR - MINUTE);
    expect(ran).toEqual([]);
    await runFor(30 * MINUTE);
    expect(ran).toHaveLength(1);
    expect(ran[0]!.at - dueAt).toBeLessThan(15 * MINUTE);
    expect(ran[0]!.at).toBeGreaterThanOrEqual(dueAt);
    // 96 messages of 900 s each: hops 0 to 95; the last claims hop 96 and runs the job.
    expect(await store.read((r) => r.jobs.get('csat:a:1'))).toMatchObject({ status: 'done', hop: 96 });
  });

  it('drops duplicate hops: scheduling twice and redelivery still run the job once', async () => {
    const { deferred, ran, runFor, clock, queue } = setup();
    const job = { jobId: 'csat:b:1', kind: 'csat', payload: {}, dueAt: clock.now() + 2 * HOUR };
    await deferred.schedule(job);
    await deferred.schedule(job);
    await deferred.dispatch(job.jobId);
    await runFor(3 * HOUR);
    expect(ran).toHaveLength(1);
    expect(await queue.depth('deferred')).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });

  it('cancels a pending job: its next hop stops the chain and nothing runs', async () => {
    const { deferred, ran, runFor, clock, store, queue } = setup();
    await deferred.schedule({ jobId: 'csat:c:1', kind: 'csat', payload: {}, dueAt: clock.now() + HOUR });
    await runFor(20 * MINUTE);
    expect(await store.transaction((r) => cancelJob(r, 'csat:c:1', clock.now()))).toBe(true);
    expect(await store.transaction((r) => cancelJob(r, 'csat:c:1', clock.now()))).toBe(false);
    await runFor(2 * HOUR);
    expect(ran).toEqual([]);
    expect(await queue.depth('deferred')).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });

  it('re-sends a job whose message was lost, once it is overdue', async () => {
    const { deferred, ran, runFor, clock, store, queue } = setup();
    // The job row commits but its first hop never reaches the queue (a crash between the two).
    await store.transaction((r) =>
      r.jobs.create({
        jobId: 'csat:d:1',
        kind: 'csat',
        payload: {},
        dueAt: clock.now() + 30 * MINUTE,
        status: 'pending',
        hop: 0,
        createdAt: clock.now(),
        updatedAt: clock.now(),
      }),
    );
    await runFor(HOUR);
    expect(ran).toEqual([]);
    expect(await deferred.rescueStalledJobs(20 * MINUTE)).toBe(1);
    await runFor(MINUTE);
    expect(ran.map((r) => r.jobId)).toEqual(['csat:d:1']);
    expect(await deferred.rescueStalledJobs(20 * MINUTE)).toBe(0);
    expect(await queue.depth('deferred')).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });

  it('drops a malformed message instead of failing the batch forever', async () => {
    const { deferred, store } = setup();
    await expect(deferred.handleMessage('{"jobId": 5}', {})).resolves.toBe('malformed');
    await expect(deferred.handleMessage('not json', {})).resolves.toBe('malformed');
    await store.close();
  });

  it('retries a failing job alone with a backoff, then gives it up once: cancelled, one DLQ message', async () => {
    const { deferred, clock, queue, store } = setup();
    await deferred.schedule({ jobId: 'broken:1', kind: 'broken', payload: {}, dueAt: clock.now() });
    let calls = 0;
    const broken = {
      broken: async () => {
        calls++;
        throw new Error('VK is down');
      },
    };
    for (let i = 0; i < 40; i++) {
      await deliverBatch(queue, 'deferred', (event) =>
        deferred.handleBatch(
          event.messages.map((m) => m.details.message.body),
          broken,
          'deferred',
        ),
      );
      clock.advance(5 * MINUTE);
    }
    expect(calls).toBe(5); // maxFailures
    expect((await store.read((r) => r.jobs.get('broken:1')))?.status).toBe('cancelled');
    const dead = await queue.receive('deferred-dlq', { maxMessages: 10, visibilityTimeoutSeconds: 30 });
    expect(dead.map((m) => JSON.parse(m.body))).toEqual([
      expect.objectContaining({ jobId: 'broken:1', kind: 'broken', failures: 5, reason: 'VK is down' }),
    ]);
    expect(await queue.depth('deferred')).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });
});
