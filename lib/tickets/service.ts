import { randomUUID } from 'node:crypto';
import { DAY } from '../clock';
import { AppError } from '../errors';
import type {
  OperatorShiftRecord,
  Repositories,
  TicketMessageRecord,
  TicketRecord,
  TicketStatus,
} from '../storage/port';
import { findCategory } from '../support/settings';
import { audit, type OperatorActor, operatorActor } from './audit';
import { notFound, TicketError, ticketByNumber } from './errors';
import { followUpOf, isBeyondReopen } from './follow-up';
import { type Actor, actorLabel, reopenStatus } from './lifecycle';
import { raiseOnUrgentWords } from './priority-raise';
import { chatPeerIdOf, priorityFor } from './routing';
import { indexNewTicket } from './search-index';
import {
  type CreatedTicket,
  type NewTicket,
  type Outbox,
  type ThreadView,
  type TicketServiceDependencies,
  type TicketServiceSettings,
  type TransactionScope,
  writeOutbox,
} from './service-types';
import { auditShiftAssignment, takeTurn } from './shifts';
import { slaAfterOperatorReply, slaCheckJobs, slaOf, startSla } from './sla';
import { changeTicketStatus } from './status-change';
import { idempotencyClaimKey, spendTicketBudget } from './ticket-budget';
import { queueWebhook } from './webhooks';

export type {
  CreatedTicket,
  NewTicket,
  Outbox,
  ThreadView,
  TicketServiceDependencies,
  TicketServiceSettings,
  TransactionScope,
} from './service-types';
export { writeOutbox } from './service-types';

const IDEMPOTENCY_TTL = DAY;

/**
 * The ticket service shared by the chat bot, the mini app API and the operators' endpoints: every
 * change to a ticket goes through here, in one transaction with its status history, SLA clock,
 * audit entry and the deferred jobs it causes (user notification, SLA check, auto-close, CRM
 * webhook), which are dispatched to the queue after the commit.
 */
export class TicketService {
  readonly #deps: TicketServiceDependencies;

  constructor(deps: TicketServiceDependencies) {
    this.#deps = deps;
  }

  get settings(): TicketServiceSettings {
    return this.#deps.settings;
  }

  /** Files a ticket. Idempotent by key (a replay spends nothing); limited per user per hour. */
  async create(input: NewTicket, scope?: TransactionScope): Promise<CreatedTicket> {
    const { clock } = this.#deps;
    return this.#run(scope, async (repositories, outbox) => {
      const now = clock.now();
      const claimKey = input.idempotency ? idempotencyClaimKey(input.userId, input.idempotency.key) : null;
      if (claimKey && input.idempotency) {
        const previous = await repositories.claims.get(claimKey, now);
        if (previous) {
          if (previous.value.requestHash !== input.idempotency.requestHash) {
            throw new TicketError(
              'idempotency_key_reused',
              'This Idempotency-Key was used with a different request.',
            );
          }
          const ticket = await repositories.tickets.get(String(previous.value.ticketId));
          // A ticket erased since (DELETE /api/me) is no longer theirs to be shown: the key files anew.
          if (ticket && ticket.userId === input.userId) {
            return {
              ticket,
              replayed: true,
              expectedFirstResponseAt: slaOf(ticket)?.firstResponseDueAt ?? null,
            };
          }
        }
      }
      const ticket = await this.#insertTicket(repositories, outbox, input, now);
      if (claimKey && input.idempotency) {
        await repositories.claims.put({
          key: claimKey,
          value: { ticketId: ticket.ticketId, requestHash: input.idempotency.requestHash },
          createdAt: now,
          expiresAt: now + IDEMPOTENCY_TTL,
        });
      }
      return { ticket, replayed: false, expectedFirstResponseAt: slaOf(ticket)?.firstResponseDueAt ?? null };
    });
  }

  /** A ticket of this user, or not found: another user's ticket is indistinguishable from none. */
  async threadForUser(userId: number, number: string): Promise<ThreadView> {
    return this.#deps.store.read(async (repositories) => {
      const ticket = await repositories.tickets.getByNumber(number);
      if (!ticket || ticket.userId !== userId) throw notFound(number);
      const [messages, statusChanges, surveys] = await Promise.all([
        repositories.tickets.listMessages(ticket.ticketId),
        repositories.tickets.listStatusChanges(ticket.ticketId),
        repositories.surveys.listByTicket(ticket.ticketId),
      ]);
      return { ticket, messages: messages.filter((message) => !message.internal), statusChanges, surveys };
    });
  }

  /** The whole thread, internal notes included: for operators. */
  async thread(number: string): Promise<ThreadView> {
    return this.#deps.store.read(async (repositories) => {
      const ticket = await ticketByNumber(repositories, number);
      const [messages, statusChanges, surveys] = await Promise.all([
        repositories.tickets.listMessages(ticket.ticketId),
        repositories.tickets.listStatusChanges(ticket.ticketId),
        repositories.surveys.listByTicket(ticket.ticketId),
      ]);
      return { ticket, messages, statusChanges, surveys };
    });
  }

  /**
   * The user writes on their ticket. Waiting for the user → back in progress; resolved within the
   * reopen window → reopened; closed, or resolved longer ago → a new ticket linked to this one, which
   * counts toward the hourly limit like any other (over it: `too_many_tickets`, nothing written).
   * Later messages to that finished ticket go to its follow-up while the follow-up can take them,
   * so a user who writes three times after the closing has one new ticket, not three.
   * An urgent phrase in the message makes the ticket urgent (`raiseOnUrgentWords`, lib/tickets/priority-raise.ts).
   */
  async addUserMessage(
    userId: number,
    number: string,
    message: {
      text: string;
      attachments: string[];
      /** `app`: written in the mini app (relayed to the operators' chat by `onAppMessage`). */
      via?: 'app' | 'chat';
    },
    scope?: TransactionScope,
  ): Promise<{ ticket: TicketRecord; reopened: boolean; linkedFrom: string | null }> {
    const { clock, settings } = this.#deps;
    return this.#run(scope, async (repositories, outbox) => {
      const now = clock.now();
      const named = await repositories.tickets.getByNumber(number);
      if (!named || named.userId !== userId) throw notFound(number);
      // A finished ticket the user already wrote to again: the follow-up it started takes the message.
      const ticket = await followUpOf(repositories, named, now, settings.reopenWindowMs);
      if (isBeyondReopen(ticket, now, settings.reopenWindowMs)) {
        const linked = await this.#insertTicket(
          repositories,
          outbox,
          {
            userId,
            channel: ticket.channel,
            category: ticket.category,
            subject: ticket.subject,
            description: message.text,
            attachments: message.attachments,
            details: { linkedTo: ticket.number },
          },
          now,
        );
        // Recorded on the finished ticket, so the user's next messages to it join this one.
        await repositories.tickets.update({
          ...ticket,
          details: { ...ticket.details, followUp: linked.number },
        });
        return { ticket: linked, reopened: false, linkedFrom: ticket.number };
      }
      const actor: Actor = { kind: 'user', userId };
      const added = await this.#appendMessage(repositories, ticket, {
        author: 'user',
        authorId: userId,
        text: message.text,
        attachments: message.attachments,
        internal: false,
        createdAt: now,
      });
      let current = ticket;
      if (ticket.status === 'waiting_for_user') {
        current = await this.#changeStatus(repositories, outbox, ticket, 'in_progress', actor, now);
      } else if (ticket.status === 'resolved') {
        current = await this.#changeStatus(repositories, outbox, ticket, reopenStatus(ticket), actor, now);
      }
      current = await raiseOnUrgentWords(repositories, outbox, current, added, now, {
        phrases: this.#deps.settings.urgentPhrases,
        onTicketChanged: this.#deps.onTicketChanged,
        webhook: (raised, extra) => this.#webhook(outbox, raised, 'ticket.priority_changed', now, extra),
      });
      this.#messageWebhook(outbox, current, added);
      if (message.via === 'app') this.#deps.onAppMessage?.(current, added, outbox, now);
      return { ticket: current, reopened: ticket.status === 'resolved', linkedFrom: null };
    });
  }

  /** An operator (or the CRM) changes the status; every change is audited. */
  async changeStatus(
    number: string,
    to: TicketStatus,
    operator: OperatorActor,
    scope?: TransactionScope,
  ): Promise<TicketRecord> {
    return this.#run(scope, async (repositories, outbox) => {
      const now = this.#deps.clock.now();
      const ticket = await ticketByNumber(repositories, number);
      if (ticket.status === to) return ticket;
      const changed = await this.#changeStatus(
        repositories,
        outbox,
        ticket,
        to,
        operatorActor(operator),
        now,
      );
      await audit(repositories, operator, ticket, 'ticket.status', { from: ticket.status, to }, now);
      return changed;
    });
  }

  /** Assigns the ticket (to the caller when taking it); a new ticket moves to in progress. */
  async assign(
    number: string,
    assigneeId: number | null,
    operator: OperatorActor,
    scope?: TransactionScope,
  ): Promise<TicketRecord> {
    return this.#run(scope, async (repositories, outbox) => {
      const now = this.#deps.clock.now();
      const ticket = await ticketByNumber(repositories, number);
      if (ticket.status === 'closed') throw new TicketError('ticket_closed', `Ticket ${number} is closed.`);
      // Assigned already to whom it is asked for: nothing changes, nothing is announced twice.
      if (assigneeId === ticket.assigneeId && !(assigneeId !== null && ticket.status === 'new'))
        return ticket;
      let updated: TicketRecord = { ...ticket, assigneeId, updatedAt: now };
      await repositories.tickets.update(updated);
      this.#deps.onTicketChanged?.(updated, outbox, now);
      if (assigneeId !== null && ticket.status === 'new') {
        updated = await this.#changeStatus(
          repositories,
          outbox,
          updated,
          'in_progress',
          operatorActor(operator),
          now,
        );
      }
      await audit(
        repositories,
        operator,
        ticket,
        'ticket.assign',
        { from: ticket.assigneeId, to: assigneeId },
        now,
      );
      this.#webhook(outbox, updated, 'ticket.assigned', now);
      return updated;
    });
  }

  /**
   * An operator writes on the ticket: a reply goes to the user (as a community message or a mini app
   * notification, by the deferred `ticket-update` job), stops the first-response clock and assigns an
   * unassigned ticket to its author (as `assign` would: in progress, audited, `ticket.assigned`); an
   * internal note is seen by operators only. Returns the ticket as written.
   */
  async operatorMessage(
    number: string,
    message: {
      text: string;
      attachments: string[];
      internal: boolean;
      /** Typed in the user's dialog or relayed by the bot: the user has it, no notification. */
      deliveredInChat?: boolean;
    },
    operator: OperatorActor,
    scope?: TransactionScope,
  ): Promise<{ ticket: TicketRecord; message: TicketMessageRecord }> {
    return this.#run(scope, async (repositories, outbox) => {
      const now = this.#deps.clock.now();
      let ticket = await ticketByNumber(repositories, number);
      if (ticket.status === 'closed') throw new TicketError('ticket_closed', `Ticket ${number} is closed.`);
      const before = ticket;
      const added = await this.#appendMessage(repositories, ticket, {
        author: 'operator',
        authorId: operator.operatorId,
        text: message.text,
        attachments: message.attachments,
        internal: message.internal,
        createdAt: now,
      });
      if (!message.internal) {
        const sla = slaOf(ticket);
        ticket = {
          ...ticket,
          assigneeId: ticket.assigneeId ?? operator.operatorId,
          details: sla ? { ...ticket.details, sla: slaAfterOperatorReply(sla, now) } : ticket.details,
          updatedAt: now,
        };
        await repositories.tickets.update(ticket);
        if (ticket.status === 'new') {
          // The reply itself tells the user; the implied status change needs no message of its own.
          ticket = await this.#changeStatus(
            repositories,
            outbox,
            ticket,
            'in_progress',
            operatorActor(operator),
            now,
            {
              notifyUser: false,
            },
          );
        } else if (ticket.assigneeId !== before.assigneeId) {
          this.#deps.onTicketChanged?.(ticket, outbox, now); // the card names the new assignee
        }
        if (ticket.assigneeId !== before.assigneeId) {
          await audit(
            repositories,
            operator,
            ticket,
            'ticket.assign',
            { from: before.assigneeId, to: ticket.assigneeId, by: 'reply' },
            now,
          );
          this.#webhook(outbox, ticket, 'ticket.assigned', now);
        }
        this.#messageWebhook(outbox, ticket, added);
        if (!message.deliveredInChat)
          outbox.jobs.push({
            jobId: `ticket-update:${ticket.ticketId}:message:${added.seq}`,
            kind: 'ticket-update',
            payload: { ticketId: ticket.ticketId, event: 'reply', seq: added.seq },
            dueAt: now,
          });
      }
      await audit(
        repositories,
        operator,
        ticket,
        message.internal ? 'ticket.note' : 'ticket.reply',
        { seq: added.seq },
        now,
      );
      return { ticket, message: added };
    });
  }

  /** The system side of the lifecycle (auto-close, SLA flags), for the deferred worker. */
  async systemUpdate(
    ticketId: string,
    work: (
      ticket: TicketRecord,
      now: number,
    ) => { status?: TicketStatus; details?: Record<string, unknown> } | null,
    scope?: TransactionScope,
  ): Promise<TicketRecord | null> {
    return this.#run(scope, async (repositories, outbox) => {
      const now = this.#deps.clock.now();
      const ticket = await repositories.tickets.get(ticketId);
      if (!ticket) return null;
      const change = work(ticket, now);
      if (!change) return null;
      let updated = ticket;
      if (change.details) {
        updated = { ...ticket, details: { ...ticket.details, ...change.details }, updatedAt: now };
        await repositories.tickets.update(updated);
      }
      if (change.status && change.status !== ticket.status) {
        updated = await this.#changeStatus(
          repositories,
          outbox,
          updated,
          change.status,
          { kind: 'system' },
          now,
        );
      }
      return updated;
    });
  }

  /**
   * Runs `work` in a transaction of its own with an outbox, dispatching the jobs it queued after the
   * commit: for changes next to tickets (a rating) that cause deferred work.
   */
  transact<T>(work: (scope: TransactionScope) => Promise<T>): Promise<T> {
    return this.#transaction((repositories, outbox) => work({ repositories, outbox }));
  }

  /** `work` in the caller's transaction when given one, else in a transaction of its own. */
  #run<T>(
    scope: TransactionScope | undefined,
    work: (repositories: Repositories, outbox: Outbox) => Promise<T>,
  ): Promise<T> {
    return scope ? work(scope.repositories, scope.outbox) : this.#transaction(work);
  }

  async #transaction<T>(work: (repositories: Repositories, outbox: Outbox) => Promise<T>): Promise<T> {
    let outbox: Outbox = { jobs: [] };
    const result = await this.#deps.store.transaction(async (repositories) => {
      outbox = { jobs: [] }; // a conflict retry starts over
      const value = await work(repositories, outbox);
      await writeOutbox(repositories, outbox, this.#deps.clock.now());
      return value;
    });
    if (outbox.jobs.length > 0) {
      await this.#deps.dispatchJobs(outbox.jobs.map((job) => job.jobId)).catch((error: unknown) => {
        // The rows are committed: the deferred rescue timer re-sends what failed to go out now.
        this.#deps.logger.warn('deferred dispatch failed; the rescue timer will retry', {
          error: error instanceof Error ? error.message : String(error),
        });
      });
    }
    return result;
  }

  async #insertTicket(
    repositories: Repositories,
    outbox: Outbox,
    input: NewTicket,
    now: number,
  ): Promise<TicketRecord> {
    const { settings } = this.#deps;
    const category = findCategory(settings.support, input.category);
    if (!category) throw new TicketError('unknown_category', `Unknown category "${input.category}".`);
    await spendTicketBudget(repositories, input.userId, now, this.#deps.settings.ticketsPerHour);
    const sequence = await repositories.counters.next(`ticket-number:${category.prefix}`);
    const sla = startSla(settings.hours, category, now);
    const text = { subject: input.subject, text: input.description };
    const priority = priorityFor(category, text, settings.urgentPhrases);
    const ticket: TicketRecord = {
      ticketId: randomUUID(),
      number: `${category.prefix}-${1000 + sequence}`,
      userId: input.userId,
      channel: input.channel,
      category: category.id,
      subject: input.subject,
      status: 'new',
      assigneeId: null,
      details: { ...input.details, sla, priority },
      createdAt: now,
      updatedAt: now,
    };
    if (!(await repositories.tickets.create(ticket))) {
      throw new AppError('storage_conflict', `ticket number ${ticket.number} exists already`);
    }
    await indexNewTicket(repositories, ticket);
    await repositories.tickets.addMessage({
      ticketId: ticket.ticketId,
      seq: 1,
      author: 'user',
      authorId: input.userId,
      text: input.description,
      attachments: input.attachments,
      internal: false,
      createdAt: now,
    });
    await repositories.tickets.addStatusChange({
      ticketId: ticket.ticketId,
      seq: 1,
      from: null,
      to: 'new',
      changedBy: actorLabel({ kind: 'user', userId: input.userId }),
      changedAt: now,
    });
    outbox.jobs.push(...slaCheckJobs(ticket, sla, null));
    this.#webhook(outbox, ticket, 'ticket.created', now);
    this.#deps.onTicketFiled?.(ticket, outbox, now);
    const chatPeerId = chatPeerIdOf(category, settings.operatorsChats);
    const onShift =
      chatPeerId === undefined
        ? null
        : await takeTurn(repositories, chatPeerId, now, settings.operatorsChats.shiftMs);
    return onShift ? this.#assignFromShift(repositories, outbox, ticket, onShift, now) : ticket;
  }

  /**
   * A new ticket goes to the operator on shift whose turn it is, as `assign` would give it: in
   * progress, in the status history and the audit by `system`. The user is not told: their ticket
   * was just filed, and the operator's answer tells them more than a status would.
   */
  async #assignFromShift(
    repositories: Repositories,
    outbox: Outbox,
    ticket: TicketRecord,
    shift: OperatorShiftRecord,
    now: number,
  ): Promise<TicketRecord> {
    // The card names the assignee as the chat knows them (`details.opsCard.names`).
    const names = shift.name === null ? {} : { [String(shift.operatorId)]: shift.name };
    const assigned: TicketRecord = {
      ...ticket,
      assigneeId: shift.operatorId,
      details: { ...ticket.details, opsCard: { version: 0, names } },
      updatedAt: now,
    };
    await repositories.tickets.update(assigned);
    const started = await this.#changeStatus(
      repositories,
      outbox,
      assigned,
      'in_progress',
      { kind: 'system' },
      now,
      { notifyUser: false },
    );
    await auditShiftAssignment(repositories, started, shift, now);
    this.#webhook(outbox, started, 'ticket.assigned', now);
    return started;
  }

  /** Adds a message to the thread; the caller announces it (`#messageWebhook`) once the ticket is written. */
  async #appendMessage(
    repositories: Repositories,
    ticket: TicketRecord,
    message: Omit<TicketMessageRecord, 'ticketId' | 'seq'>,
  ): Promise<TicketMessageRecord> {
    const existing = await repositories.tickets.listMessages(ticket.ticketId);
    const added = { ...message, ticketId: ticket.ticketId, seq: existing.length + 1 };
    await repositories.tickets.addMessage(added);
    return added;
  }

  /** `ticket.message` for a message that is not an internal note, with the ticket as the write left it. */
  #messageWebhook(outbox: Outbox, ticket: TicketRecord, message: TicketMessageRecord): void {
    if (message.internal) return;
    this.#webhook(outbox, ticket, 'ticket.message', message.createdAt, {
      seq: message.seq,
      author: message.author,
    });
  }

  #changeStatus(
    repositories: Repositories,
    outbox: Outbox,
    ticket: TicketRecord,
    to: TicketStatus,
    actor: Actor,
    now: number,
    options: { notifyUser?: boolean } = {},
  ): Promise<TicketRecord> {
    return changeTicketStatus(this.#deps, { repositories, outbox }, ticket, to, actor, now, options);
  }

  /** A CRM event (lib/tickets/webhooks.ts), when a webhook is configured. */
  #webhook(outbox: Outbox, ticket: TicketRecord, event: string, at: number, extra = {}): void {
    if (this.#deps.settings.crmWebhooks) queueWebhook(outbox, ticket, event, at, extra);
  }
}
