import * as z from 'zod';
import type { Clock } from '../clock';
import type { Logger } from '../log/logger';
import type { DeferredJobs } from '../queue/deferred';
import type { Repositories, Store } from '../storage/port';
import { recordNotAllowed } from '../users/account';
import type { CallOptions, OutgoingMessage, VkClient } from '../vk/client';
import { VkRecipientUnavailableError } from '../vk/errors';

/**
 * What the callback (`Delivery`) and the deferred worker (`ReplyWorker`) share to send the bot's
 * replies: the jobs' payloads, one send or edit, and marking what went.
 */

const outgoingSchema = z.object({
  peerId: z.number().int(),
  text: z.string(),
  keyboard: z.record(z.string(), z.unknown()).optional(),
  attachment: z.string().optional(),
});

const editSchema = z.object({
  peerId: z.number().int(),
  conversationMessageId: z.number().int().positive(),
  text: z.string().min(1),
  keyboard: z.record(z.string(), z.unknown()).optional(),
});

/** What sends a message: the VK client itself, or an `ExecuteBatcher` packing sends into `execute`. */
export interface MessageSender {
  sendMessage(message: OutgoingMessage, options?: CallOptions): Promise<number>;
  /** How long a message sent now would wait before its request leaves (an `ExecuteBatcher`'s backlog). */
  estimatedWaitMs?(): number;
  /** Counts a message about to be sent in that estimate until the returned release is called. */
  reserve?(): () => void;
}

/** What both sides of the replies work with. */
export interface ReplyDependencies {
  store: Store;
  clock: Clock;
  logger: Logger;
  /** The community token's client (edits, press answers; and sends unless `sender` is given). */
  vk: VkClient;
  /** Sends messages; the client by default. */
  sender?: MessageSender;
  deferred: DeferredJobs;
}

export type SendOutcome = 'sent' | 'not_allowed';

/** One reply job's message, under its job id as `random_id`; a user who can't be written to is an outcome, not an error. */
export async function sendReply(
  sender: MessageSender,
  logger: Logger,
  jobId: string,
  payload: Record<string, unknown>,
  options: CallOptions = {},
): Promise<SendOutcome> {
  const message = outgoingSchema.parse(payload);
  try {
    await sender.sendMessage(
      {
        peerId: message.peerId,
        messageKey: jobId,
        text: message.text,
        ...(message.keyboard ? { keyboard: message.keyboard } : {}),
        ...(message.attachment ? { attachment: message.attachment } : {}),
      },
      options,
    );
    return 'sent';
  } catch (error) {
    if (!(error instanceof VkRecipientUnavailableError)) throw error;
    logger.info('recipient does not accept messages; recorded', { jobId, errorCode: error.errorCode });
    return 'not_allowed';
  }
}

/** One edit job: `messages.edit` is idempotent, so it is simply retried. */
export async function editReply(vk: VkClient, payload: Record<string, unknown>, options: CallOptions = {}) {
  const edit = editSchema.parse(payload);
  await vk.editMessage(
    {
      peerId: edit.peerId,
      conversationMessageId: edit.conversationMessageId,
      text: edit.text,
      ...(edit.keyboard ? { keyboard: edit.keyboard } : {}),
    },
    options,
  );
}

/**
 * Marks sent jobs done (their text dropped: the dialog in VK holds it) and records the users who
 * can't be written to, inside the caller's transaction.
 */
export async function markSent(
  repositories: Repositories,
  jobIds: Iterable<string>,
  notAllowed: Iterable<number>,
  now: number,
): Promise<void> {
  for (const jobId of jobIds) {
    const job = await repositories.jobs.get(jobId);
    if (job?.status === 'pending')
      await repositories.jobs.update({ ...job, status: 'done', payload: {}, updatedAt: now });
  }
  for (const userId of notAllowed) await recordNotAllowed(repositories, userId, now);
}
