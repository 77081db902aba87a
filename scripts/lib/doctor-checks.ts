import { dispatchClaimKey, type RunState } from '../../lib/dispatcher/daily-run';
import { utcDay } from '../../lib/notifications/daily-cap';
import type { MessageQueue } from '../../lib/queue/port';
import type { Store } from '../../lib/storage/port';

/**
 * The checks of `npm run doctor`, each a probe returning one line: ok, or what is wrong. The cloud
 * inventory (function, trigger and gateway statuses) comes through a port, so everything here runs
 * against real local parts in tests; the Yandex Cloud SDK adapter is in scripts/doctor.ts.
 */

export interface Finding {
  ok: boolean;
  check: string;
  detail: string;
}

/** Statuses as the Yandex Cloud API names them (`ACTIVE` when healthy). */
export interface CloudInventory {
  functionStatus(functionId: string): Promise<string>;
  triggerStatus(triggerId: string): Promise<string>;
  gatewayStatus(gatewayId: string): Promise<string>;
}

/** What `terraform output -json` gives under `doctor`. */
export interface DoctorTargets {
  gateway_id: string;
  gateway_url: string;
  functions: Record<string, string>;
  triggers: Record<string, string>;
  dead_letter_queues: Record<string, string>;
}

export async function checkInventory(cloud: CloudInventory, targets: DoctorTargets): Promise<Finding[]> {
  const findings: Finding[] = [];
  const probe = async (check: string, status: () => Promise<string>) => {
    const value = await status().catch(
      (error: unknown) => `unreadable (${error instanceof Error ? error.message : String(error)})`,
    );
    findings.push({ ok: value === 'ACTIVE', check, detail: value });
  };
  for (const [name, id] of Object.entries(targets.functions))
    await probe(`function ${name}`, () => cloud.functionStatus(id));
  for (const [name, id] of Object.entries(targets.triggers))
    await probe(`trigger ${name}`, () => cloud.triggerStatus(id));
  await probe('api gateway', () => cloud.gatewayStatus(targets.gateway_id));
  return findings;
}

/**
 * The gateway answers and reaches both functions: an unsigned callback must be refused by
 * vk-callback (4xx from our code, not the gateway's 404 or a 5xx), and an API call without launch
 * params by ticket-api with a problem document.
 */
export async function probeGateway(baseUrl: string): Promise<Finding[]> {
  const findings: Finding[] = [];
  const ask = async (
    check: string,
    path: string,
    init: RequestInit,
    expect: (response: Response, body: string) => boolean,
  ) => {
    try {
      const response = await fetch(`${baseUrl}${path}`, { ...init, signal: AbortSignal.timeout(10_000) });
      const body = await response.text();
      findings.push({
        ok: expect(response, body),
        check,
        detail: `HTTP ${response.status} ${body.slice(0, 80)}`,
      });
    } catch (error) {
      findings.push({ ok: false, check, detail: error instanceof Error ? error.message : String(error) });
    }
  };
  await ask(
    'gateway → vk-callback',
    '/vk/callback',
    { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"type":"doctor"}' },
    (response) => response.status >= 400 && response.status < 500 && response.status !== 404,
  );
  await ask(
    'gateway → ticket-api',
    '/api/tickets',
    { method: 'GET' },
    (response) =>
      response.status === 401 && (response.headers.get('content-type') ?? '').includes('problem+json'),
  );
  return findings;
}

/** Dead-letter queues should be empty: anything there is work that failed five times. */
export async function checkDeadLetters(queue: MessageQueue, names: readonly string[]): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (const name of names) {
    const dlq = `${name}-dlq` as Parameters<MessageQueue['depth']>[0];
    try {
      const depth = await queue.depth(dlq);
      const count = depth.visible + depth.inFlight + depth.delayed;
      findings.push({
        ok: count === 0,
        check: `dead letters ${dlq}`,
        detail: count === 0 ? 'empty' : `${count} message(s): failed work to look at (README, "Operations")`,
      });
    } catch (error) {
      findings.push({
        ok: false,
        check: `dead letters ${dlq}`,
        detail: error instanceof Error ? error.message : String(error),
      });
    }
  }
  return findings;
}

/** The dispatcher ran today (or, before today's first fire, yesterday) and finished. */
export async function checkLastDispatch(store: Store, now: number): Promise<Finding> {
  const day = (offset: number) => utcDay(now - offset * 86_400_000);
  for (const offset of [0, 1]) {
    const claim = await store.read((repositories) =>
      repositories.claims.get(dispatchClaimKey(day(offset)), now),
    );
    const run = claim?.value as RunState | undefined;
    if (!run) continue;
    const planned = Object.values(run.report?.planned ?? {}).reduce(
      (sum, variants) =>
        sum +
        Object.entries(variants)
          .filter(([variant]) => variant !== 'control')
          .reduce((total, [, count]) => total + count, 0),
      0,
    );
    if (run.finishedAt !== null)
      return {
        ok: true,
        check: 'last dispatcher run',
        detail: `${day(offset)}: finished ${new Date(run.finishedAt).toISOString()}, ${run.report?.users ?? 0} users looked at, ${planned} notifications planned`,
      };
    const silentMinutes = Math.round((now - run.heartbeatAt) / 60_000);
    return {
      ok: silentMinutes < 3,
      check: 'last dispatcher run',
      detail: `${day(offset)}: started ${new Date(run.startedAt).toISOString()}, not finished, last checkpoint ${silentMinutes} min ago${silentMinutes >= 3 ? ' (died: the next timer fire resumes it)' : ''}`,
    };
  }
  return {
    ok: false,
    check: 'last dispatcher run',
    detail: `no run on ${day(1)} or ${day(0)} (UTC): is the timer active?`,
  };
}
