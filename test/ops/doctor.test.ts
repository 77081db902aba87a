import { ManualClock } from '../../lib/clock';
import { SqliteStore } from '../../lib/storage/sqlite/store';
import {
  type CloudInventory,
  checkDeadLetters,
  checkInventory,
  checkLastDispatch,
  probeGateway,
} from '../../scripts/lib/doctor-checks';
import { type LocalStack, startLocalStack } from '../../scripts/local/stack';
import { startSqsServer } from '../support/sqs-server';

/** `npm run doctor`'s probes against real local parts: the stack's HTTP, an SQS server, SQLite. */
describe('npm run doctor', () => {
  it('finds both functions answering behind the gateway URL, and says so when one does not', async () => {
    const stack: LocalStack = await startLocalStack(
      { LOG_LEVEL: 'error' },
      { inMemory: true, sink: () => {} },
    );
    try {
      expect((await probeGateway(stack.url)).map((finding) => finding.ok)).toEqual([true, true]);
    } finally {
      await stack.close();
    }
    const down = await probeGateway(stack.url); // the same URL, nothing listening now
    expect(down.map((finding) => finding.ok)).toEqual([false, false]);
  });

  it('reports dead letters', async () => {
    const sqs = await startSqsServer({ maxReceiveCount: 1 });
    try {
      expect((await checkDeadLetters(sqs.queue, ['deferred', 'crm'])).every((finding) => finding.ok)).toBe(
        true,
      );
      await sqs.queue.send('crm', { body: '{"jobId":"x","hop":0}' });
      for (let attempt = 0; attempt < 2; attempt++)
        await sqs.queue.receive('crm', { maxMessages: 1, visibilityTimeoutSeconds: 0 });
      const findings = await checkDeadLetters(sqs.queue, ['deferred', 'crm']);
      expect(findings.find((finding) => finding.check === 'dead letters crm-dlq')).toMatchObject({
        ok: false,
      });
      expect(findings.find((finding) => finding.check === 'dead letters deferred-dlq')).toMatchObject({
        ok: true,
      });
    } finally {
      await sqs.close();
    }
  });

  it("reads the last dispatcher run from its day's claim", async () => {
    const clock = new ManualClock(Date.parse('2026-11-21T12:00:00Z'));
    const store = new SqliteStore(':memory:');
    expect(await checkLastDispatch(store, clock.now())).toMatchObject({ ok: false });
    const claim = (heartbeatAt: number, finishedAt: number | null) => ({
      key: 'dispatch:2026-11-21',
      value: {
        runId: 'r',
        campaign: null,
        startedAt: Date.parse('2026-11-21T09:00:00Z'),
        heartbeatAt,
        cursor: 10,
        finishedAt,
        report: finishedAt
          ? { day: '2026-11-21', users: 120, planned: { quiz: { a: 7, control: 2 } }, skipped: {} }
          : null,
      },
      createdAt: clock.now(),
      expiresAt: clock.now() + 86_400_000,
    });
    await store.transaction((r) => r.claims.take(claim(Date.parse('2026-11-21T09:01:00Z'), null)));
    expect(await checkLastDispatch(store, clock.now())).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/died/),
    });
    await store.transaction((r) =>
      r.claims.put(claim(Date.parse('2026-11-21T09:02:00Z'), Date.parse('2026-11-21T09:02:00Z'))),
    );
    expect(await checkLastDispatch(store, clock.now())).toMatchObject({
      ok: true,
      detail: expect.stringMatching(/120 users looked at, 7 notifications planned/),
    });
    await store.close();
  });

  it('flags anything in the cloud inventory that is not ACTIVE, or that it cannot read', async () => {
    const statuses: Record<string, string> = { f1: 'ACTIVE', f2: 'ERROR', t1: 'PAUSED', g: 'ACTIVE' };
    const cloud: CloudInventory = {
      functionStatus: async (id) => statuses[id] ?? 'ACTIVE',
      triggerStatus: async (id) => {
        if (id === 't2') throw new Error('PERMISSION_DENIED');
        return statuses[id] ?? 'ACTIVE';
      },
      gatewayStatus: async (id) => statuses[id] ?? 'ACTIVE',
    };
    const findings = await checkInventory(cloud, {
      gateway_id: 'g',
      gateway_url: 'https://x',
      functions: { 'vk-callback': 'f1', 'ticket-api': 'f2' },
      triggers: { 'dispatcher-timer': 't1', 'notify-queue': 't2' },
      dead_letter_queues: {},
    });
    expect(findings.filter((finding) => !finding.ok).map((finding) => finding.check)).toEqual([
      'function ticket-api',
      'trigger dispatcher-timer',
      'trigger notify-queue',
    ]);
  });
});
