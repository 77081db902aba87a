import * as z from 'zod';

/** VK's cap on users in one `notifications.sendMessage`. */
export const USERS_PER_CALL = 100;

/**
 * A message on the notify queue: up to 100 users of one campaign variant with one text (VK sends
 * one text per call). Users' own state lives in their delivery rows; the message only says who.
 */
export const campaignBatchSchema = z.strictObject({
  kind: z.literal('campaign-batch'),
  day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  campaign: z.string().min(1),
  variant: z.string().min(1),
  text: z.string().min(1).max(254),
  fragment: z.string().min(1).max(2047),
  userIds: z.array(z.number().int().positive()).min(1).max(USERS_PER_CALL),
  /** A mini app notification (batches queued before messages carry none) or one `messages.send` to the users. */
  channel: z.enum(['notification', 'message']).default('notification'),
  /** Not before this instant (a variant's local `sendAt`): the batch hops through the queue until then. */
  notBefore: z.number().int().positive().optional(),
  /** How many times VK refused this batch as a whole (9, or 6): each retry waits longer. */
  postponed: z.number().int().min(0).optional(),
});

/** As written (a batch queued before channels has none: a notification). */
export type CampaignBatch = z.input<typeof campaignBatchSchema>;

/**
 * Collects planned users into batches of one (campaign, variant, text), at most `USERS_PER_CALL`
 * each. Personal texts (`{first_name}`) make many small groups, so at most `maxOpen` groups stay
 * open: past that the fullest is flushed, keeping memory bounded whatever the texts.
 */
export class BatchCollector {
  readonly #open = new Map<string, CampaignBatch>();
  readonly #flush: (batches: CampaignBatch[]) => Promise<void>;
  readonly #maxOpen: number;
  #pending: CampaignBatch[] = [];

  constructor(flush: (batches: CampaignBatch[]) => Promise<void>, maxOpen = 1000) {
    this.#flush = flush;
    this.#maxOpen = maxOpen;
  }

  async add(batch: Omit<CampaignBatch, 'userIds' | 'kind'>, userId: number): Promise<void> {
    const key = `${batch.campaign}\u0000${batch.variant}\u0000${batch.channel ?? 'notification'}\u0000${batch.text}\u0000${batch.notBefore ?? ''}`;
    let open = this.#open.get(key);
    if (!open) {
      if (this.#open.size >= this.#maxOpen) this.#close(this.#fullest());
      open = { kind: 'campaign-batch', ...batch, userIds: [] };
      this.#open.set(key, open);
    }
    open.userIds.push(userId);
    if (open.userIds.length >= USERS_PER_CALL) this.#close(key);
    if (this.#pending.length >= 10) await this.#drain();
  }

  /** Sends every batch, full or not (at a checkpoint and at the end of the run). */
  async flushAll(): Promise<void> {
    for (const key of [...this.#open.keys()]) this.#close(key);
    await this.#drain();
  }

  #fullest(): string {
    let best = '';
    let size = -1;
    for (const [key, batch] of this.#open) {
      if (batch.userIds.length > size) {
        best = key;
        size = batch.userIds.length;
      }
    }
    return best;
  }

  #close(key: string): void {
    const batch = this.#open.get(key);
    if (!batch) return;
    this.#open.delete(key);
    this.#pending.push(batch);
  }

  async #drain(): Promise<void> {
    while (this.#pending.length > 0) {
      const chunk = this.#pending.splice(0, 10);
      await this.#flush(chunk);
    }
  }
}
