import { HOUR, ManualClock, MINUTE, SECOND } from '../../lib/clock';
import { createLogger } from '../../lib/log/logger';
import { DeferredJobs } from '../../lib/queue/deferred';
import { EmbeddedQueue } from '../../lib/queue/embedded';
import { deferredQueueOf, type JobHandler } from '../../lib/queue/jobs';
import { deliverBatch } from '../../lib/queue/trigger';
import { SqliteStore } from '../../lib/storage/sqlite/store';

/**
 * Deferred jobs under the queue's at-least-once delivery, through the embedded queue and the SQLite
 * store: copies of a hop, a kind nobody handles, a failing job in a batch, lost messages.
 */
function setup() {
  const clock = new ManualClock();
  const store = new SqliteStore(':memory:');
  const queue = new EmbeddedQueue(store, { clock, maxReceiveCount: 5 });
  const deferred = new DeferredJobs({ store, queue, clock, logger: createLogger({ level: 'error' }) });
  const ran: string[] = [];
  const handlers: Record<string, JobHandler> = {
    csat: async (job) => void ran.push(job.jobId),
  };
  const receiveAll = async () => queue.receive('deferred', { maxMessages: 10, visibilityTimeoutSeconds: 30 });
  return { clock, store, queue, deferred, ran, handlers, receiveAll };
}

const hop = (jobId: string, n: number) => JSON.stringify({ jobId, hop: n });

describe('deferred jobs under at-least-once delivery', () => {
  it('two copies of a due hop, handled at once, run the job once', async () => {
    const { deferred, store, clock, ran, handlers } = setup();
    await deferred.schedule({ jobId: 'csat:1', kind: 'csat', payload: {}, dueAt: clock.now() });
    const outcomes = await Promise.all([
      deferred.handleMessage(hop('csat:1', 0), handlers),
      deferred.handleMessage(hop('csat:1', 0), handlers),
    ]);
    expect(outcomes.sort()).toEqual(['done', 'dropped']);
    expect(ran).toEqual(['csat:1']);
    expect(await store.read((r) => r.jobs.get('csat:1'))).toMatchObject({ status: 'done', hop: 1 });
  });

  it('two copies of an early hop queue the next hop once: copies do not multiply', async () => {
    const { deferred, clock, queue, receiveAll, handlers, ran } = setup();
    await deferred.schedule({ jobId: 'csat:2', kind: 'csat', payload: {}, dueAt: clock.now() + HOUR });
    clock.advance(15 * MINUTE);
    const taken = await receiveAll(); // the first hop, as the trigger takes it
    expect(taken.map((m) => m.body)).toEqual([hop('csat:2', 0)]);
    await queue.delete('deferred', taken[0]!.receiptHandle);
    const outcomes = await Promise.all([
      deferred.handleMessage(hop('csat:2', 0), handlers),
      deferred.handleMessage(hop('csat:2', 0), handlers),
    ]);
    expect(outcomes.sort()).toEqual(['dropped', 'forwarded']);
    clock.advance(15 * MINUTE);
    expect((await receiveAll()).map((m) => m.body)).toEqual([hop('csat:2', 1)]);
    expect(ran).toEqual([]);
  });

  it('a job of a kind no handler knows is given up once, with one message in the dead-letter queue', async () => {
    const { deferred, store, queue, clock, handlers } = setup();
    await deferred.schedule({ jobId: 'retired:1', kind: 'retired-kind', payload: {}, dueAt: clock.now() });
    const [first] = await queue.receive('deferred', { maxMessages: 1, visibilityTimeoutSeconds: 30 });
    expect(await deferred.handleMessage(first!.body, handlers)).toBe('dead-lettered');
    // The queue delivers the same hop again: it is dropped, not dead-lettered twice.
    expect(await deferred.handleMessage(first!.body, handlers)).toBe('dropped');
    await queue.delete('deferred', first!.receiptHandle);
    expect(await store.read((r) => r.jobs.get('retired:1'))).toMatchObject({ status: 'cancelled' });
    const dead = await queue.receive('deferred-dlq', { maxMessages: 10, visibilityTimeoutSeconds: 30 });
    expect(dead.map((m) => JSON.parse(m.body))).toEqual([
      expect.objectContaining({ jobId: 'retired:1', kind: 'retired-kind', failures: 1 }),
    ]);
    // Nothing comes back to the work queue, and the rescue leaves a cancelled job alone.
    clock.advance(2 * HOUR);
    expect(await deferred.rescueStalledJobs(20 * MINUTE)).toBe(0);
    expect(await queue.depth('deferred')).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });

  it('one failing job in a batch of ten: the other nine are done, the batch goes, only the failing one comes back', async () => {
    const { deferred, store, queue, clock, ran } = setup();
    for (let i = 0; i < 10; i++) {
      await deferred.schedule({
        jobId: `job:${i}`,
        kind: i === 3 ? 'flaky' : 'csat',
        payload: {},
        dueAt: clock.now(),
      });
    }
    let flakyCalls = 0;
    const handlers: Record<string, JobHandler> = {
      csat: async (job) => void ran.push(job.jobId),
      flaky: async () => {
        flakyCalls++;
        if (flakyCalls === 1) throw new Error('VK answered 10');
      },
    };
    const first = await deliverBatch(queue, 'deferred', (event) =>
      deferred.handleBatch(
        event.messages.map((m) => m.details.message.body),
        handlers,
        'deferred',
      ),
    );
    expect(first).toEqual({ delivered: 10, failed: false });
    expect(ran).toHaveLength(9);
    // The failing job alone, as a fresh message after its backoff; the others' messages are gone.
    expect(await queue.depth('deferred')).toEqual({ visible: 0, inFlight: 0, delayed: 1 });
    clock.advance(30 * SECOND);
    const retried = await queue.receive('deferred', { maxMessages: 10, visibilityTimeoutSeconds: 30 });
    expect(retried.map((m) => [JSON.parse(m.body).jobId, m.receiveCount])).toEqual([['job:3', 1]]);
    await deferred.handleBatch(
      retried.map((m) => m.body),
      handlers,
      'deferred',
    );
    expect(await store.read((r) => r.jobs.get('job:3'))).toMatchObject({ status: 'done' });
    expect((await queue.depth('deferred-dlq')).visible).toBe(0);
  });

  it('the rescue re-sends a stalled job once and marks it, so the next run leaves it alone', async () => {
    const { deferred, store, clock, queue } = setup();
    // The row commits but its hop never reaches the queue (a crash between the two).
    await store.transaction((r) =>
      r.jobs.create({
        jobId: 'csat:3',
        kind: 'csat',
        payload: {},
        dueAt: clock.now(),
        status: 'pending',
        hop: 0,
        createdAt: clock.now(),
        updatedAt: clock.now(),
      }),
    );
    clock.advance(40 * MINUTE);
    const rescues = await Promise.all([
      deferred.rescueStalledJobs(20 * MINUTE),
      deferred.rescueStalledJobs(20 * MINUTE),
    ]);
    expect(rescues.sort()).toEqual([0, 1]);
    // Ten minutes later (the timer's period) its message is still on the way: not re-sent again.
    clock.advance(10 * MINUTE);
    expect(await deferred.rescueStalledJobs(20 * MINUTE)).toBe(0);
    expect((await queue.depth('deferred')).visible).toBe(1);
  });

  it('a hop lost before the job is due is rescued then, not only once the job is overdue', async () => {
    const { deferred, clock, queue, handlers, ran } = setup();
    const dueAt = clock.now() + 6 * HOUR;
    await deferred.schedule({ jobId: 'csat:4', kind: 'csat', payload: {}, dueAt });
    clock.advance(15 * MINUTE);
    // The first hop is claimed and forwarded, but the forwarded message is lost.
    const [message] = await queue.receive('deferred', { maxMessages: 1, visibilityTimeoutSeconds: 30 });
    expect(await deferred.handleMessage(message!.body, handlers)).toBe('forwarded');
    await queue.delete('deferred', message!.receiptHandle);
    clock.advance(15 * MINUTE);
    const [lost] = await queue.receive('deferred', { maxMessages: 1, visibilityTimeoutSeconds: 30 });
    await queue.delete('deferred', lost!.receiptHandle);

    clock.advance(25 * MINUTE); // 40 minutes after its last hop, hours before it is due
    expect(await deferred.rescueStalledJobs(20 * MINUTE)).toBe(1);
    for (let elapsed = 0; elapsed < 6 * HOUR && ran.length === 0; elapsed += 15 * MINUTE) {
      await deliverBatch(queue, 'deferred', (event) =>
        deferred.handleBatch(
          event.messages.map((m) => m.details.message.body),
          handlers,
          'deferred',
        ),
      );
      clock.advance(15 * MINUTE);
    }
    expect(ran).toEqual(['csat:4']);
  });

  it('a failure after the claim sends the claimed hop back, so the job goes on in seconds, not after the rescue', async () => {
    const { deferred, clock, queue, handlers, ran } = setup();
    await deferred.schedule({ jobId: 'csat:5', kind: 'csat', payload: {}, dueAt: clock.now() + 20 * MINUTE });
    clock.advance(15 * MINUTE);
    const [first] = await queue.receive('deferred', { maxMessages: 1, visibilityTimeoutSeconds: 30 });
    await queue.delete('deferred', first!.receiptHandle);
    // The forward send fails once (Message Queue unreachable for a moment).
    const send = queue.send.bind(queue);
    let failures = 1;
    queue.send = async (name, message) => {
      if (failures-- > 0) throw new Error('queue unreachable');
      return send(name, message);
    };
    expect(await deferred.handleBatch([first!.body], handlers, 'deferred')).toEqual(['retrying']);
    clock.advance(30 * SECOND);
    const [back] = await queue.receive('deferred', { maxMessages: 1, visibilityTimeoutSeconds: 30 });
    expect(JSON.parse(back!.body)).toEqual({ jobId: 'csat:5', hop: 1 });
    expect(await deferred.handleMessage(back!.body, handlers)).toBe('forwarded');
    await queue.delete('deferred', back!.receiptHandle);
    clock.advance(15 * MINUTE);
    const [due] = await queue.receive('deferred', { maxMessages: 1, visibilityTimeoutSeconds: 30 });
    expect(await deferred.handleMessage(due!.body, handlers)).toBe('done');
    expect(ran).toEqual(['csat:5']);
  });

  it('a job given up while the dead-letter queue is unreachable is not lost: it is dead-lettered on the next try', async () => {
    const { deferred, clock, queue, store, handlers } = setup();
    await deferred.schedule({ jobId: 'retired:2', kind: 'retired-kind', payload: {}, dueAt: clock.now() });
    const [first] = await queue.receive('deferred', { maxMessages: 1, visibilityTimeoutSeconds: 30 });
    await queue.delete('deferred', first!.receiptHandle);
    const send = queue.send.bind(queue);
    queue.send = async (name, message) => {
      if (name === 'deferred-dlq' && !sentOnce) {
        sentOnce = true;
        throw new Error('queue unreachable');
      }
      return send(name, message);
    };
    let sentOnce = false;
    expect(await deferred.handleBatch([first!.body], handlers, 'deferred')).toEqual(['retrying']);
    expect(await store.read((r) => r.jobs.get('retired:2'))).toMatchObject({ status: 'pending' });
    clock.advance(30 * SECOND);
    const [back] = await queue.receive('deferred', { maxMessages: 1, visibilityTimeoutSeconds: 30 });
    expect(await deferred.handleMessage(back!.body, handlers)).toBe('dead-lettered');
    expect((await queue.depth('deferred-dlq')).visible).toBe(1);
    expect(await store.read((r) => r.jobs.get('retired:2'))).toMatchObject({ status: 'cancelled' });
  });

  it('knows which queue a trigger event came from by its ARN', () => {
    expect(deferredQueueOf('yrn:yc:ymq:ru-central1:b1gfolder:vk-support-crm')).toBe('crm');
    expect(deferredQueueOf('yrn:yc:ymq:ru-central1:b1gfolder:vk-support-deferred')).toBe('deferred');
  });
});
