import { randomUUID } from 'node:crypto';
import type { NewJob } from '../queue/jobs';
import type { BroadcastChannel, BroadcastRecord, Repositories } from '../storage/port';
import type { OperatorActor } from '../tickets/audit';
import type { Outbox } from '../tickets/service';
import type { BroadcastAudience } from './audience';

/** The deferred job that sends one page (≤ 100 users) of a broadcast (lib/broadcasts/jobs.ts runs it). */
export const BROADCAST_BATCH_JOB = 'broadcast-batch';

/** A broadcast's text for community messages; notifications carry at most VK's 254 characters. */
export const BROADCAST_MESSAGE_LIMIT = 4000;

/** The job of one batch: keyed by broadcast and batch number, so scheduling it twice makes one. */
export function broadcastBatchJob(
  broadcastId: string,
  batch: number,
  afterUserId: number,
  dueAt: number,
): NewJob {
  return {
    jobId: `broadcast:${broadcastId}:${batch}`,
    kind: BROADCAST_BATCH_JOB,
    payload: { broadcastId, batch, afterUserId },
    dueAt,
  };
}

export interface BroadcastRequest {
  text: string;
  audience: BroadcastAudience;
  channel: BroadcastChannel;
}

/**
 * Starts a broadcast inside the caller's transaction: its row, its audit entry and its first batch
 * job (in the outbox, dispatched after the commit). Each batch job reads its page, sends it and
 * queues the next, so the whole fan-out is keyed jobs a retry cannot repeat.
 */
export async function startBroadcast(
  repositories: Repositories,
  outbox: Outbox,
  request: BroadcastRequest,
  admin: OperatorActor,
  now: number,
): Promise<BroadcastRecord> {
  const broadcast: BroadcastRecord = {
    broadcastId: randomUUID(),
    text: request.text,
    audience: request.audience,
    channel: request.channel,
    status: 'sending',
    counts: {},
    createdBy: `operator:${admin.operatorId}`,
    createdAt: now,
    updatedAt: now,
  };
  await repositories.broadcasts.create(broadcast);
  await repositories.audit.append({
    subject: `broadcast:${broadcast.broadcastId}`,
    at: now,
    entryId: randomUUID(),
    actor: `operator:${admin.operatorId}`,
    role: admin.role,
    action: 'broadcast.send',
    // What was sent to whom, not the text (an audit never keeps message texts).
    details: { channel: request.channel, audience: request.audience, length: request.text.length },
  });
  outbox.jobs.push(broadcastBatchJob(broadcast.broadcastId, 0, 0, now));
  return broadcast;
}
