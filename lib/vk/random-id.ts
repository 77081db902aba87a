import { createHash } from 'node:crypto';

/**
 * VK's `random_id` for an outgoing message, derived from the message's own idempotency key
 * (e.g. `reply:<event_id>:<step>`). VK drops a second send with the same `random_id` to the same
 * peer, so a retried call can never deliver twice. Positive int32, never 0 (0 disables dedup).
 */
export function randomIdFor(outgoingMessageKey: string): number {
  const digest = createHash('sha256').update(outgoingMessageKey).digest();
  return digest.readUInt32BE(0) & 0x7fffffff || 1;
}
