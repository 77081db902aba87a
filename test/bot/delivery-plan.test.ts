import { Delivery, type MessageSender, REPLY_BUDGET_MS, REPLY_HOLD_MS } from '../../lib/bot/delivery';
import { VK_MESSAGE_JOB } from '../../lib/bot/turn';
import { ManualClock } from '../../lib/clock';
import { createLogger } from '../../lib/log/logger';
import { DeferredJobs } from '../../lib/queue/deferred';
import { EmbeddedQueue } from '../../lib/queue/embedded';
import { createJob, type NewJob } from '../../lib/queue/jobs';
import { SqliteStore } from '../../lib/storage/sqlite/store';
import { VkClient } from '../../lib/vk/client';
import { type BatcherClient, ExecuteBatcher } from '../../lib/vk/execute';

/**
 * `Delivery.plan()`: under a backlog the callback does not try its replies itself but leaves them
 * all to the deferred worker at once; and the `ExecuteBatcher` estimate the plan reads.
 */
describe('Delivery.plan: try within the budget, or straight to the deferred worker', () => {
  function setup(estimatedWaitMs: number) {
    const clock = new ManualClock();
    const store = new SqliteStore(':memory:');
    const queue = new EmbeddedQueue(store, { clock });
    const logger = createLogger({ level: 'debug', sink: () => {} });
    const deferred = new DeferredJobs({ store, queue, clock, logger });
    // Never called here: no press answer, no edit; the port is closed.
    const vk = new VkClient({
      apiUrl: 'http://127.0.0.1:9/method',
      version: '5.199',
      token: 'group-token',
      rateLimitPerSecond: 20,
      timeoutMs: 100,
      maxAttempts: 1,
    });
    const releases: jest.Mock[] = [];
    const sender = {
      sendMessage: jest.fn(async (_message: unknown, _options?: { signal?: AbortSignal }) => 1),
      estimatedWaitMs: jest.fn(() => estimatedWaitMs),
      reserve: jest.fn(() => {
        const release = jest.fn();
        releases.push(release);
        return release;
      }),
    } satisfies MessageSender;
    const delivery = new Delivery({ store, clock, logger, vk, sender, deferred, budgetMs: REPLY_BUDGET_MS });
    /** A turn's reply jobs, committed as the turn commits them (dueAt now + the plan's hold). */
    const commitReplies = async (count: number, holdMs: number): Promise<NewJob[]> => {
      const jobs: NewJob[] = Array.from({ length: count }, (_, index) => ({
        jobId: `vk:e1:${index + 1}`,
        kind: VK_MESSAGE_JOB,
        payload: { peerId: 5, text: `reply ${index + 1}` },
        dueAt: clock.now() + holdMs,
      }));
      await store.transaction(async (repositories) => {
        for (const job of jobs) await createJob(repositories, job, clock.now());
      });
      return jobs;
    };
    const receiveAll = () => queue.receive('deferred', { maxMessages: 10, visibilityTimeoutSeconds: 30 });
    return { clock, store, queue, delivery, sender, releases, commitReplies, receiveAll };
  }

  it('a sender whose wait exceeds a quarter of the budget: no attempt, no hold, every hop queued at once', async () => {
    const { store, delivery, sender, releases, commitReplies, receiveAll } = setup(REPLY_BUDGET_MS / 4 + 1);
    const plan = delivery.plan();
    expect(plan).toMatchObject({ attempt: false, holdMs: 0 });
    expect(sender.estimatedWaitMs).toHaveBeenCalled();
    // Nothing reserved in the sender's estimate: the replies won't join its backlog.
    expect(sender.reserve).not.toHaveBeenCalled();
    expect(releases).toEqual([]);

    const jobs = await commitReplies(3, plan.holdMs);
    await delivery.deliver(jobs, null, plan);

    expect(sender.sendMessage).not.toHaveBeenCalled();
    const hops = await receiveAll();
    expect(hops.map((message) => JSON.parse(message.body))).toEqual([
      { jobId: 'vk:e1:1', hop: 0 },
      { jobId: 'vk:e1:2', hop: 0 },
      { jobId: 'vk:e1:3', hop: 0 },
    ]);
    // Still pending: the worker sends them.
    for (const job of jobs)
      expect(await store.read((repositories) => repositories.jobs.get(job.jobId))).toMatchObject({
        status: 'pending',
        hop: 0,
      });
  });

  it('a sender at exactly a quarter of the budget still tries', () => {
    const { delivery } = setup(REPLY_BUDGET_MS / 4);
    const plan = delivery.plan();
    expect(plan).toMatchObject({ attempt: true, holdMs: REPLY_HOLD_MS });
    plan.release();
  });

  it('an idle sender: the callback tries, its replies held for it for REPLY_HOLD_MS, a place reserved', async () => {
    const { store, delivery, sender, releases, commitReplies, receiveAll } = setup(0);
    const plan = delivery.plan();
    expect(plan.attempt).toBe(true);
    expect(plan.holdMs).toBe(REPLY_HOLD_MS);
    expect(sender.reserve).toHaveBeenCalledTimes(1);

    const jobs = await commitReplies(2, plan.holdMs);
    await delivery.deliver(jobs, null, plan);

    expect(sender.sendMessage).toHaveBeenCalledTimes(2);
    expect(releases[0]).toHaveBeenCalled();
    for (const job of jobs)
      expect(await store.read((repositories) => repositories.jobs.get(job.jobId))).toMatchObject({
        status: 'done',
      });
    expect(await receiveAll()).toEqual([]);
  });
  it('a reply still waiting for its turn when the budget runs out is the worker’s at once, not at its hold’s end', async () => {
    const { clock, store, delivery, sender, commitReplies, receiveAll } = setup(0);
    // The batcher's turn never comes within the budget: at the deadline the message is withdrawn.
    sender.sendMessage.mockImplementationOnce(
      (_message: unknown, options?: { signal?: AbortSignal }) =>
        new Promise<number>((_, reject) =>
          options?.signal?.addEventListener('abort', () => reject(options.signal?.reason)),
        ),
    );
    const plan = delivery.plan();
    const [job] = await commitReplies(1, plan.holdMs);
    await delivery.deliver([job!], null, plan);

    // Due now in the store and on the queue: the hold was only for the callback's own try.
    expect(await store.read((repositories) => repositories.jobs.get(job!.jobId))).toMatchObject({
      status: 'pending',
      dueAt: clock.now(),
    });
    expect((await receiveAll()).map((message) => JSON.parse(message.body))).toEqual([
      { jobId: job!.jobId, hop: 0 },
    ]);
  });
});

describe('ExecuteBatcher.estimatedWaitMs', () => {
  it('grows with the backlog, and counts reserved places until released', async () => {
    const turnIntervalMs = 100;
    const client: BatcherClient = {
      execute: jest.fn(() => new Promise<never>(() => {})),
      // The gate never gives a turn: the messages pile up.
      takeTurn: jest.fn(() => new Promise<void>(() => {})),
    };
    const batcher = new ExecuteBatcher(client, { turnIntervalMs });
    expect(batcher.estimatedWaitMs()).toBe(0);

    for (let index = 0; index < 60; index++)
      void batcher.sendMessage({ peerId: index + 1, messageKey: `m:${index}`, text: 'hi' });
    expect(batcher.pendingCount).toBe(60);
    // 60 ahead: two full batches, then its own.
    expect(batcher.estimatedWaitMs()).toBeGreaterThanOrEqual(3 * turnIntervalMs);

    // The pump starts and waits for a turn that never comes; nothing leaves.
    await new Promise((resolve) => setImmediate(resolve));
    expect(client.takeTurn).toHaveBeenCalledTimes(1);
    expect(client.execute).not.toHaveBeenCalled();
    expect(batcher.pendingCount).toBe(60);
    const piledUp = batcher.estimatedWaitMs();
    expect(piledUp).toBeGreaterThanOrEqual(3 * turnIntervalMs);

    // 15 reserved places make 75 ahead: a batch more.
    const releases = Array.from({ length: 15 }, () => batcher.reserve());
    expect(batcher.estimatedWaitMs()).toBe(piledUp + turnIntervalMs);
    releases[0]!();
    expect(batcher.estimatedWaitMs()).toBe(piledUp);
    // A second release of the same place gives nothing back: one more reserved is 75 again.
    releases[0]!();
    const another = batcher.reserve();
    expect(batcher.estimatedWaitMs()).toBe(piledUp + turnIntervalMs);
    another();
    for (const release of releases) release();
    expect(batcher.estimatedWaitMs()).toBe(piledUp);
  });

  it('counts reserved places with nothing pending', () => {
    const batcher = new ExecuteBatcher({ execute: jest.fn() }, { turnIntervalMs: 50 });
    expect(batcher.estimatedWaitMs()).toBe(0);
    const release = batcher.reserve();
    expect(batcher.estimatedWaitMs()).toBe(50);
    release();
    expect(batcher.estimatedWaitMs()).toBe(0);
  });
});
