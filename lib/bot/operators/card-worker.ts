import * as z from 'zod';
import type { Clock } from '../../clock';
import { describeError } from '../../errors';
import type { Logger } from '../../log/logger';
import type { DeferredJobs } from '../../queue/deferred';
import type { DeferredJobRecord, Repositories, Store } from '../../storage/port';
import { findCategory, type SupportSettings } from '../../support/settings';
import { chatPeerIdOf, type OperatorsChats } from '../../tickets/routing';
import { indexRequesterName } from '../../tickets/search-index';
import { type Outbox, writeOutbox } from '../../tickets/service';
import { messagesSendParams, type VkClient } from '../../vk/client';
import { VkApiError, vkApiError } from '../../vk/errors';
import { markSent } from '../reply-sending';
import { cardFrame, cardRecordOf, cardWords, renderCard, withCardRecord } from './card';
import { requesterHistory } from './card-history';
import { cardEditSchema, cardJobSchema, cardPostJob, queueCardEdit } from './card-sync';
import { opsText } from './voice';

/** `messages.send` with `peer_ids`: one entry per peer (VK's `messages_send_user_ids_response`). */
const peerIdsAnswerSchema = z.array(
  z.object({
    peer_id: z.number(),
    conversation_message_id: z.number().optional(),
    error: z.object({ code: z.number(), description: z.string().optional() }).optional(),
  }),
);

/** VK refuses these edits for good (909 too old, 920 not editable): retrying can't help. */
const EDIT_REFUSED_FOR_GOOD = new Set([909, 920]);

export interface CardJobDependencies {
  store: Store;
  clock: Clock;
  logger: Logger;
  /** The community token's client: a card goes by a direct `messages.send` (`execute` keeps no answer). */
  vk: VkClient;
  deferred: DeferredJobs;
  /** What a card is rendered with, for tickets filed in the mini app (`announce` jobs). */
  cards?: { groupId: number; support: SupportSettings; chats: OperatorsChats };
}

/** The deferred worker's side of the cards: `ops-card` jobs, and the checks on a card's `vk-edit` jobs. */
export class CardJobs {
  readonly #deps: CardJobDependencies;

  constructor(deps: CardJobDependencies) {
    this.#deps = deps;
  }

  /** Runs an `ops-card` job: posts the card and records where it is, or refreshes it. */
  async run(job: DeferredJobRecord): Promise<void> {
    const payload = cardJobSchema.parse(job.payload);
    if (payload.mode === 'announce') {
      const name = await this.#requesterName(payload.ticketId);
      await this.#inTransaction((repositories, outbox, now) =>
        this.#announce(repositories, outbox, payload.ticketId, now, name),
      );
      return;
    }
    if (payload.mode === 'relay') {
      await this.#relay(job.jobId, payload.ticketId, payload.seq);
      return;
    }
    if (payload.mode === 'refresh') {
      await this.#inTransaction(async (repositories, outbox, now) => {
        const ticket = await repositories.tickets.get(payload.ticketId);
        if (ticket) await queueCardEdit(repositories, outbox, ticket, { now, holdMs: 0 });
      });
      return;
    }
    const conversationMessageId = await this.#send(job.jobId, payload);
    await this.#inTransaction(async (repositories, outbox, now) => {
      // Done in the same commit as what it learned (its text dropped: the chat holds it).
      await markSent(repositories, [job.jobId], [], now);
      const ticket = await repositories.tickets.get(payload.ticketId);
      if (!ticket || conversationMessageId === null) return;
      const card = cardRecordOf(ticket);
      if (card.posted?.conversationMessageId === conversationMessageId) return; // a re-run
      const posted = withCardRecord(ticket, {
        ...card,
        posted: { peerId: payload.peerId, conversationMessageId, frame: payload.frame },
        shown: payload.shown,
      });
      await repositories.tickets.update(posted);
      // A change made while the card was on its way: shown now.
      await queueCardEdit(repositories, outbox, posted, { now, holdMs: 0 });
    });
  }

  /**
   * Renders the card of a ticket filed in the mini app and queues its post (`ops-card:<ticket>`, as
   * the chat bot's): from the ticket's first message, with the requester's earlier tickets. A ticket
   * whose card exists, or that was erased meanwhile, gets none.
   */
  async #announce(
    repositories: Repositories,
    outbox: Outbox,
    ticketId: string,
    now: number,
    learnedName: string | null,
  ): Promise<void> {
    const settings = this.#deps.cards;
    const ticket = await repositories.tickets.get(ticketId);
    if (!settings || !ticket || ticket.userId === null || cardRecordOf(ticket).posted) return;
    const stored = await repositories.users.get(ticket.userId);
    if (stored && stored.firstName === null && learnedName !== null) {
      // The requester's name for operators, the card, the CRM and the search by name.
      await repositories.users.put({ ...stored, firstName: learnedName, updatedAt: now });
      await indexRequesterName(repositories, ticket.userId, learnedName);
    }
    const peerId = chatPeerIdOf(findCategory(settings.support, ticket.category), settings.chats);
    if (peerId === undefined) return;
    const [user, messages, history] = await Promise.all([
      repositories.users.get(ticket.userId),
      repositories.tickets.listMessages(ticket.ticketId),
      requesterHistory(repositories, ticket),
    ]);
    const first = messages.find((message) => message.author === 'user');
    const frame = cardFrame(settings, ticket);
    const content = {
      userId: ticket.userId,
      firstName: user?.firstName ?? null,
      text: cardWords(ticket, first),
      photos: first?.attachments ?? [],
      history,
    };
    const view = renderCard(frame, content, ticket, cardRecordOf(ticket).names);
    outbox.jobs.push(cardPostJob(ticket, { peerId, frame, view }, now));
  }

  /**
   * Relays a user's message from the mini app to the ticket's chat (where its card is, else its
   * category's), under the job's `random_id`: a re-run is one message. Nothing for an erased user,
   * a message gone (anonymised), or a ticket with no chat. The job holds no words: it reads them now.
   */
  async #relay(jobId: string, ticketId: string, seq: number): Promise<void> {
    const { store, vk } = this.#deps;
    const found = await store.read(async (repositories) => {
      const ticket = await repositories.tickets.get(ticketId);
      if (!ticket || ticket.userId === null) return null;
      const message = (await repositories.tickets.listMessages(ticketId)).find((m) => m.seq === seq);
      const user = await repositories.users.get(ticket.userId);
      return message ? { ticket, message, user } : null;
    });
    if (!found) return;
    const { ticket, message, user } = found;
    const settings = this.#deps.cards;
    const peerId =
      cardRecordOf(ticket).posted?.peerId ??
      (settings && chatPeerIdOf(findCategory(settings.support, ticket.category), settings.chats));
    // An anonymised message has neither words nor photos left: nothing to relay.
    if (peerId === undefined || (!message.text && message.attachments.length === 0)) return;
    const text = opsText('ops.user_message', {
      number: ticket.number,
      name: user?.firstName ?? `id${ticket.userId}`,
      text: message.text || '—',
      attachments:
        message.attachments.length > 0
          ? opsText('ops.card.attachments', { list: message.attachments.join(', ') })
          : '',
    });
    await vk.call<unknown>('messages.send', messagesSendParams({ peerId, messageKey: jobId, text }));
  }

  /**
   * A mini app user who never wrote to the community has no name stored (VK gives it with a message):
   * asked of `users.get` before the card is rendered, outside the transaction. Null when known already,
   * or when VK can't say now (the card names the id then).
   */
  async #requesterName(ticketId: string): Promise<string | null> {
    const { store, vk, logger } = this.#deps;
    const user = await store.read(async (repositories) => {
      const ticket = await repositories.tickets.get(ticketId);
      return ticket?.userId ? repositories.users.get(ticket.userId) : null;
    });
    if (!user || user.firstName !== null) return null;
    try {
      const [profile] = await vk.getUsers([user.userId], user.language ?? 'ru');
      return profile?.first_name?.trim() || null;
    } catch (error) {
      logger.warn('users.get failed; the card names the id', { error: describeError(error) });
      return null;
    }
  }

  /** Whether a `vk-edit` job is a card's edit that a newer one has replaced: then it is not sent. */
  async editSuperseded(job: DeferredJobRecord): Promise<boolean> {
    const edit = cardEditSchema.safeParse(job.payload.card);
    if (!edit.success) return false;
    const ticket = await this.#deps.store.read((repositories) =>
      repositories.tickets.get(edit.data.ticketId),
    );
    if (ticket && cardRecordOf(ticket).version <= edit.data.version) return false;
    this.#deps.logger.info('operators card edit superseded; not sent', { jobId: job.jobId });
    return true;
  }

  /** Whether a card's edit failed for good (the card is too old to edit): logged, and not retried. */
  editRefusedForGood(job: DeferredJobRecord, error: unknown): boolean {
    if (!cardEditSchema.safeParse(job.payload.card).success) return false;
    if (!(error instanceof VkApiError) || !EDIT_REFUSED_FOR_GOOD.has(error.errorCode)) return false;
    this.#deps.logger.warn('operators card can no longer be edited', {
      jobId: job.jobId,
      errorCode: error.errorCode,
    });
    return true;
  }

  /** Sends the card; its conversation_message_id, or null where VK didn't say it. */
  async #send(jobId: string, card: Extract<z.infer<typeof cardJobSchema>, { mode: 'post' }>) {
    const { vk, logger } = this.#deps;
    const params = {
      ...messagesSendParams({
        peerId: card.peerId,
        messageKey: jobId,
        text: card.text,
        keyboard: card.keyboard,
      }),
      // No link previews: an edit would have to keep them (`keep_snippets`), and the dialog link needs none.
      dont_parse_links: true,
    };
    try {
      const answer = await vk.call<unknown>('messages.send', {
        ...params,
        peer_id: undefined,
        peer_ids: String(card.peerId),
      });
      const entry = peerIdsAnswerSchema.parse(answer).find((item) => item.peer_id === card.peerId);
      if (entry?.error) throw vkApiError('messages.send', entry.error.code, entry.error.description ?? '');
      return entry?.conversation_message_id || null;
    } catch (error) {
      if (!(error instanceof VkApiError) || error.errorCode !== 100) throw error;
      // A VK that refuses `peer_ids`: the card matters more than its edits, so it goes all the same.
      logger.warn('messages.send refused peer_ids; the card is posted without its id and stays as sent', {
        jobId,
        error: describeError(error),
      });
      await vk.call<unknown>('messages.send', params);
      return null;
    }
  }

  /** `work` in a transaction with an outbox; its jobs are created there and dispatched after the commit. */
  async #inTransaction(
    work: (repositories: Repositories, outbox: Outbox, now: number) => Promise<void>,
  ): Promise<void> {
    const { store, clock, deferred, logger } = this.#deps;
    let outbox: Outbox = { jobs: [] };
    await store.transaction(async (repositories) => {
      outbox = { jobs: [] }; // a conflict retry starts over
      const now = clock.now();
      await work(repositories, outbox, now);
      await writeOutbox(repositories, outbox, now);
    });
    if (outbox.jobs.length === 0) return;
    await deferred.dispatchCommitted(outbox.jobs).catch((error: unknown) => {
      logger.warn('deferred dispatch failed; the rescue timer will retry', { error: describeError(error) });
    });
  }
}
