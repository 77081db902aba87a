import { ReplyWorker } from '../../lib/bot/reply-worker';
import { VK_MESSAGE_JOB } from '../../lib/bot/turn';
import { ManualClock, MINUTE, SECOND } from '../../lib/clock';
import { createLogger } from '../../lib/log/logger';
import { DeferredJobs } from '../../lib/queue/deferred';
import { EmbeddedQueue } from '../../lib/queue/embedded';
import { createJob } from '../../lib/queue/jobs';
import type { DeferredJobRecord } from '../../lib/storage/port';
import { SqliteStore } from '../../lib/storage/sqlite/store';
import { newUserRecord } from '../../lib/users/account';
import { VkClient } from '../../lib/vk/client';
import { ExecuteBatcher } from '../../lib/vk/execute';
import { randomIdFor } from '../../lib/vk/random-id';
import { VkSandbox } from '../../scripts/sandbox/vk-sandbox';

/**
 * The deferred worker's replies (`ReplyWorker`) on a real SQLite store, the embedded queue and the
 * VK sandbox: a trigger's 10 hops fill one `execute` with 25 messages from the outbox.
 */
describe('ReplyWorker: hops sent together, the request filled from the outbox', () => {
  let sandbox: VkSandbox;

  beforeAll(async () => {
    sandbox = await new VkSandbox({ groupId: 1, callbackSecret: 's', echoReplies: false }).start();
  });
  afterAll(() => sandbox.stop());
  beforeEach(() => {
    sandbox.reset();
    sandbox.allowed.clear();
    for (let userId = 1; userId <= 100; userId++) sandbox.allowed.add(userId);
  });

  function setup() {
    const clock = new ManualClock();
    const store = new SqliteStore(':memory:');
    const queue = new EmbeddedQueue(store, { clock });
    const logLines: string[] = [];
    const logger = createLogger({ level: 'debug', sink: (line) => logLines.push(line) });
    const deferred = new DeferredJobs({ store, queue, clock, logger });
    const vk = new VkClient({
      apiUrl: sandbox.apiUrl,
      version: '5.199',
      token: 'group-token',
      rateLimitPerSecond: 1000,
      timeoutMs: 2000,
      baseBackoffMs: 5,
      logger,
    });
    const sender = new ExecuteBatcher(vk, { logger });
    const worker = new ReplyWorker({ store, clock, logger, vk, sender, deferred });
    const handlers = worker.jobHandlers();

    /** Reply jobs committed at `clock.now()`, as a turn commits them (no hop sent). */
    const createReplies = async (jobs: Array<{ jobId: string; peerId: number; dueAt: number }>) => {
      await store.transaction(async (repositories) => {
        for (const job of jobs)
          await createJob(
            repositories,
            {
              jobId: job.jobId,
              kind: VK_MESSAGE_JOB,
              payload: { peerId: job.peerId, text: `reply ${job.jobId}` },
              dueAt: job.dueAt,
            },
            clock.now(),
          );
      });
    };
    const handleHops = (jobIds: readonly string[], hop = 0) =>
      deferred.handleBatch(
        jobIds.map((jobId) => JSON.stringify({ jobId, hop })),
        handlers,
        'deferred',
      );
    const job = (jobId: string) =>
      store.read((repositories) => repositories.jobs.get(jobId)) as Promise<DeferredJobRecord>;
    const jobs = (jobIds: readonly string[]) => Promise.all(jobIds.map(job));
    const receiveAll = () => queue.receive('deferred', { maxMessages: 10, visibilityTimeoutSeconds: 30 });
    return { clock, store, queue, deferred, handleHops, createReplies, job, jobs, receiveAll, logLines };
  }

  const executeCalls = () => sandbox.calls.filter((call) => call.method === 'execute');
  const sendsInExecute = () =>
    sandbox.calls.filter((call) => call.method === 'messages.send' && call.via === 'execute');
  const directSends = () =>
    sandbox.calls.filter((call) => call.method === 'messages.send' && call.via === undefined);
  const sentPeers = () => sandbox.sent.map((message) => message.peerId);
  const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
  const replyId = (n: number) => `vk:u${n}:1`;

  it('10 hops of 40 due replies: one execute with 25 sends; 25 done, 15 left at hop 0; the taken-along hops are dropped', async () => {
    const { clock, handleHops, createReplies, jobs, receiveAll } = setup();
    // Replies 1..40 to users 1..40, the lower the number the longer due: the outbox takes the oldest.
    await createReplies(
      range(1, 40).map((n) => ({ jobId: replyId(n), peerId: n, dueAt: clock.now() - MINUTE + n * SECOND })),
    );
    clock.advance(SECOND);

    // The trigger brings the hops of replies 31..40; the room left (15) goes to the oldest due, 1..15.
    const own = range(31, 40).map(replyId);
    const outcomes = await handleHops(own);
    expect(outcomes).toEqual(own.map(() => 'done'));

    expect(executeCalls()).toHaveLength(1);
    expect(executeCalls()[0]?.outcome).toBe('ok');
    expect(executeCalls()[0]?.params.code?.split('API.messages.send(').length).toBe(26);
    expect(sendsInExecute()).toHaveLength(25);
    expect(sendsInExecute().every((call) => call.outcome === 'ok')).toBe(true);
    expect(directSends()).toEqual([]);
    // One request, in order (oldest first, then by id): 1..15, then the worker's own 31..40.
    expect(sentPeers()).toEqual([...range(1, 15), ...range(31, 40)]);
    expect(sandbox.sent.map((message) => message.text)).toEqual(
      [...range(1, 15), ...range(31, 40)].map((n) => `reply ${replyId(n)}`),
    );
    // Each under its job id's random_id, as the job's own hop would send it.
    for (const call of sendsInExecute())
      expect(call.params.random_id).toBe(String(randomIdFor(replyId(Number(call.params.peer_id)))));

    const sent = [...range(1, 15), ...range(31, 40)].map(replyId);
    for (const record of await jobs(sent)) expect(record).toMatchObject({ status: 'done', payload: {} });
    // The 15 taken along are claimed (hop 1): their own hops, when they come, are dropped.
    for (const record of await jobs(range(1, 15).map(replyId))) expect(record.hop).toBe(1);
    for (const record of await jobs(range(16, 30).map(replyId)))
      expect(record).toMatchObject({ status: 'pending', hop: 0 });
    // Nothing was re-queued.
    expect(await receiveAll()).toEqual([]);

    sandbox.reset();
    const late = await handleHops(range(1, 10).map(replyId));
    expect(late).toEqual(range(1, 10).map(() => 'dropped'));
    expect(sandbox.calls).toEqual([]);
    expect(sandbox.sent).toEqual([]);
    for (const record of await jobs(range(16, 30).map(replyId)))
      expect(record).toMatchObject({ status: 'pending', hop: 0 });
  });

  describe("a turn's messages in order", () => {
    it('does not take along `vk:e1:2` while `vk:e1:1` is pending and not due', async () => {
      const { clock, handleHops, createReplies, job } = setup();
      await createReplies([
        { jobId: 'vk:e1:1', peerId: 5, dueAt: clock.now() + MINUTE },
        { jobId: 'vk:e1:2', peerId: 5, dueAt: clock.now() - SECOND },
        { jobId: 'vk:own:1', peerId: 6, dueAt: clock.now() - SECOND },
      ]);
      expect(await handleHops(['vk:own:1'])).toEqual(['done']);
      expect(sentPeers()).toEqual([6]);
      expect(sendsInExecute()).toHaveLength(1);
      expect(await job('vk:e1:2')).toMatchObject({ status: 'pending', hop: 0 });
      expect(await job('vk:e1:1')).toMatchObject({ status: 'pending', hop: 0 });
    });

    it('takes along `vk:e1:1` and `vk:e1:2` together, in order, when both are due', async () => {
      const { clock, handleHops, createReplies, job } = setup();
      await createReplies([
        // A turn's messages share their dueAt (`Turn.send`).
        { jobId: 'vk:e1:2', peerId: 5, dueAt: clock.now() - SECOND },
        { jobId: 'vk:e1:1', peerId: 5, dueAt: clock.now() - SECOND },
        { jobId: 'vk:own:1', peerId: 6, dueAt: clock.now() - SECOND },
      ]);
      expect(await handleHops(['vk:own:1'])).toEqual(['done']);
      expect(executeCalls()).toHaveLength(1);
      expect(sandbox.sent.filter((m) => m.peerId === 5).map((m) => m.text)).toEqual([
        'reply vk:e1:1',
        'reply vk:e1:2',
      ]);
      expect(await job('vk:e1:1')).toMatchObject({ status: 'done' });
      expect(await job('vk:e1:2')).toMatchObject({ status: 'done' });
    });

    it("takes along `vk:e1:2` when `vk:e1:1` is the worker's own hop", async () => {
      const { clock, handleHops, createReplies, job } = setup();
      await createReplies([
        { jobId: 'vk:e1:1', peerId: 5, dueAt: clock.now() - SECOND },
        { jobId: 'vk:e1:2', peerId: 5, dueAt: clock.now() - SECOND },
      ]);
      expect(await handleHops(['vk:e1:1'])).toEqual(['done']);
      expect(executeCalls()).toHaveLength(1);
      expect(sandbox.sent.map((m) => m.text)).toEqual(['reply vk:e1:1', 'reply vk:e1:2']);
      expect(await job('vk:e1:2')).toMatchObject({ status: 'done', hop: 1 });
    });
  });

  it('a reply taken along that fails inside execute (9, flood control) is retried alone, its hop re-sent with a backoff', async () => {
    const { clock, handleHops, createReplies, job, jobs, receiveAll, queue } = setup();
    await createReplies(range(1, 4).map((n) => ({ jobId: replyId(n), peerId: n, dueAt: clock.now() - n })));
    // The first call of the request (reply 1, taken along: oldest by id) fails with 9, not retryable.
    sandbox.injectFault({ method: 'messages.send', error: 9, times: 1 });
    const outcomes = await handleHops([replyId(3), replyId(4)]);
    expect(outcomes).toEqual(['done', 'done']);
    expect(executeCalls()).toHaveLength(1);
    expect(sendsInExecute().map((call) => [call.params.peer_id, call.outcome])).toEqual([
      ['1', 'error 9'],
      ['2', 'ok'],
      ['3', 'ok'],
      ['4', 'ok'],
    ]);
    expect(sentPeers()).toEqual([2, 3, 4]);
    for (const record of await jobs(range(2, 4).map(replyId))) expect(record.status).toBe('done');
    // Still pending at its claimed hop, with its next hop in the queue after the first backoff (30 s).
    expect(await job(replyId(1))).toMatchObject({ status: 'pending', hop: 1 });
    expect(await queue.depth('deferred')).toEqual({ visible: 0, inFlight: 0, delayed: 1 });
    clock.advance(29 * SECOND);
    expect(await receiveAll()).toEqual([]);
    clock.advance(SECOND);
    const retry = await receiveAll();
    expect(retry.map((message) => message.body)).toEqual([JSON.stringify({ jobId: replyId(1), hop: 1 })]);

    sandbox.reset();
    expect(await handleHops([replyId(1)], 1)).toEqual(['done']);
    expect(sentPeers()).toEqual([1]);
    expect(executeCalls()).toHaveLength(1);
    expect(await job(replyId(1))).toMatchObject({ status: 'done', hop: 2 });
  });

  it('a reply taken along to a user who does not accept messages (901) is done, and the user recorded', async () => {
    const { clock, store, handleHops, createReplies, job, queue } = setup();
    sandbox.allowed.delete(7);
    await store.transaction((repositories) =>
      repositories.users.put(newUserRecord(7, clock.now(), { messagesAllowed: true })),
    );
    await createReplies([
      { jobId: 'vk:a:1', peerId: 7, dueAt: clock.now() - 2 },
      { jobId: 'vk:b:1', peerId: 8, dueAt: clock.now() - 1 },
    ]);
    expect(await handleHops(['vk:b:1'])).toEqual(['done']);
    expect(sendsInExecute().map((call) => [call.params.peer_id, call.outcome])).toEqual([
      ['7', 'error 901'],
      ['8', 'ok'],
    ]);
    expect(await job('vk:a:1')).toMatchObject({ status: 'done', hop: 1 });
    expect(await job('vk:b:1')).toMatchObject({ status: 'done' });
    expect(await store.read((repositories) => repositories.users.get(7))).toMatchObject({
      messagesAllowed: false,
    });
    // Never retried.
    expect(await queue.depth('deferred')).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });
});
