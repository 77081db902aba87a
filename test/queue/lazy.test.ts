import { ManualClock } from '../../lib/clock';
import { EmbeddedQueue } from '../../lib/queue/embedded';
import { lazyQueue } from '../../lib/queue/lazy';
import { SqliteStore } from '../../lib/storage/sqlite/store';

describe('lazy queue', () => {
  it('creates the adapter once, on first use, and forwards every method to it', async () => {
    const store = new SqliteStore(':memory:');
    let loads = 0;
    const queue = lazyQueue(async () => {
      loads++;
      return new EmbeddedQueue(store, { clock: new ManualClock() });
    });
    expect(loads).toBe(0);
    await Promise.all([
      queue.send('notify', { body: 'a' }),
      queue.sendBatch('notify', [{ body: 'b' }, { body: 'c' }]),
    ]);
    expect(await queue.depth('notify')).toEqual({ visible: 3, inFlight: 0, delayed: 0 });
    const received = await queue.receive('notify', { maxMessages: 10, visibilityTimeoutSeconds: 30 });
    expect(received.map((message) => message.body).sort()).toEqual(['a', 'b', 'c']);
    for (const message of received) await queue.delete('notify', message.receiptHandle);
    expect(await queue.depth('notify')).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    expect(loads).toBe(1);
  });

  it('does not cache a failed load: the next call tries again', async () => {
    const store = new SqliteStore(':memory:');
    let loads = 0;
    const queue = lazyQueue(async () => {
      loads++;
      if (loads === 1) throw new Error('module failed to load');
      return new EmbeddedQueue(store, { clock: new ManualClock() });
    });
    await expect(queue.send('notify', { body: 'a' })).rejects.toThrow('module failed to load');
    await queue.send('notify', { body: 'a' });
    expect(loads).toBe(2);
    expect((await queue.depth('notify')).visible).toBe(1);
  });
});
