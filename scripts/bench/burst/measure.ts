import Database from 'better-sqlite3';
import { VK_MESSAGE_JOB } from '../../../lib/bot/turn';
import { randomIdFor } from '../../../lib/vk/random-id';
import type { RecordedCall, VkSandbox } from '../../sandbox/vk-sandbox';
import { LIMIT, RATE } from './config';

/** What the burst bench measures: replies, reply jobs, duplicates, send rate, timeline and `execute` sizes. */

/** Users among `userIds` with at least `atLeast` messages in `sent`. */
export function repliedUsers(sent: VkSandbox['sent'], userIds: number[], atLeast = 1): number {
  const counts = new Map<number, number>();
  for (const message of sent) counts.set(message.peerId, (counts.get(message.peerId) ?? 0) + 1);
  return userIds.filter((userId) => (counts.get(userId) ?? 0) >= atLeast).length;
}

/** The reply jobs (`vk:<event_id>:<n>`) in the store, and how many are still pending. */
export function readReplyJobs(file: string): { ids: Set<string>; pending: number } {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    const rows = db
      .prepare("SELECT job_id, status FROM deferred_jobs WHERE kind = ? AND job_id LIKE 'vk:burst%'")
      .all(VK_MESSAGE_JOB) as Array<{ job_id: string; status: string }>;
    return {
      ids: new Set(rows.map((row) => row.job_id)),
      pending: rows.filter((row) => row.status === 'pending').length,
    };
  } finally {
    db.close();
  }
}

/**
 * Messages a user got more than once: the same `random_id` twice (VK would have dropped it), or a
 * message whose `random_id` is none of the reply jobs their event committed (a send outside them).
 */
export function countDuplicates(
  sent: VkSandbox['sent'],
  userIds: number[],
  eventIds: Map<number, string>,
  jobIds: Set<string>,
): { total: number; sameRandomId: number; unexpected: number } {
  const expected = new Map<number, Set<number>>();
  for (const userId of userIds) expected.set(userId, new Set());
  const userOfEvent = new Map([...eventIds].map(([userId, eventId]) => [eventId, userId]));
  for (const jobId of jobIds) {
    const userId = userOfEvent.get(jobId.split(':')[1] ?? '');
    if (userId !== undefined) expected.get(userId)?.add(randomIdFor(jobId));
  }
  let sameRandomId = 0;
  let unexpected = 0;
  const seen = new Set<string>();
  for (const message of sent) {
    const allowed = expected.get(message.peerId);
    if (!allowed) continue;
    const key = `${message.peerId}:${message.randomId}`;
    if (seen.has(key)) sameRandomId++;
    else if (!allowed.has(message.randomId)) unexpected++;
    seen.add(key);
  }
  return { total: sameRandomId + unexpected, sameRandomId, unexpected };
}

/**
 * `messages.send` calls that went through (inside `execute` or direct) per second, over the window
 * from the first request carrying one to the last, plus one request interval: full `execute`s at
 * exactly VK's pace make 100 %.
 */
export function sendRate(calls: RecordedCall[]): {
  sends: number;
  windowMs: number;
  perSecond: number;
  percent: number;
} {
  const sends = calls.filter((call) => call.method === 'messages.send' && call.outcome === 'ok');
  if (sends.length === 0) return { sends: 0, windowMs: 0, perSecond: 0, percent: 0 };
  const times = sends.map((call) => call.at);
  const windowMs = Math.max(...times) - Math.min(...times) + 1000 / RATE;
  const perSecond = sends.length / (windowMs / 1000);
  return {
    sends: sends.length,
    windowMs,
    perSecond,
    percent: Math.round((perSecond / LIMIT) * 1000) / 10,
  };
}

/** When the last of `userIds` got its first message, and the last message (from the sandbox's call log). */
export function replyTimesOf(
  calls: RecordedCall[],
  userIds: Set<number>,
): { lastFirst: number; last: number } | null {
  const first = new Map<number, number>();
  let last = 0;
  for (const call of calls) {
    if (call.method !== 'messages.send' || call.outcome !== 'ok') continue;
    const peerId = Number(call.params.peer_id);
    if (!userIds.has(peerId)) continue;
    if (!first.has(peerId)) first.set(peerId, call.at);
    last = Math.max(last, call.at);
  }
  return first.size === 0 ? null : { lastFirst: Math.max(...first.values()), last };
}

/**
 * Requests carrying sends and the sends that went through, per 500 ms since the burst began, with
 * a `|` where the last ack left: how evenly the gate's turns were used.
 */
export function timeline(calls: RecordedCall[], burstStart: number, acksDoneAt: number): string {
  const slots: Array<{ requests: number; sends: number }> = [];
  const slotOf = (at: number) => Math.max(0, Math.floor((at - burstStart) / 500));
  for (const call of calls) {
    const index = slotOf(call.at);
    const slot = slots[index] ?? { requests: 0, sends: 0 };
    slots[index] = slot;
    if (!call.via && (call.method === 'execute' || call.method === 'messages.send')) slot.requests++;
    if (call.method === 'messages.send' && call.outcome === 'ok') slot.sends++;
  }
  const acked = slotOf(acksDoneAt);
  return `per 500 ms, requests/sends: ${Array.from(slots, (slot, index) => `${index === acked ? '| ' : ''}${slot?.requests ?? 0}/${slot?.sends ?? 0}`).join(' ')}`;
}

/** The calls in one `execute` request's code (`API.<method>(…)` each). */
export const callsIn = (call: RecordedCall) =>
  (call.params.code ?? '').match(/API\.[a-z]+\.[A-Za-z]+\(/g)?.length ?? 0;

/** How many calls the `execute` requests that ran held, as `calls×requests`, largest first. */
export function executeSizes(executes: RecordedCall[]): string {
  return Object.entries(countBy(executes.map(callsIn), String))
    .sort((a, b) => Number(b[0]) - Number(a[0]))
    .map(([size, count]) => `${size}×${count}`)
    .join(' ');
}

export function countBy<T>(items: T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}
