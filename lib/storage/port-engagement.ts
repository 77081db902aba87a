import type { TicketPage } from './port';

/**
 * The storage port's aggregates for the operators' desk and re-engagement, beside the core ones in
 * port.ts (which re-exports them, so callers import from one place): the ticket search index,
 * operator shifts, journey runs, broadcasts and message subscriptions. The same rules hold: point
 * reads or bounded index ranges, every list paginated, both adapters held to test/storage.
 */

/**
 * One entry of the operators' ticket search (`GET /api/ops/tickets?q=`): a search term of a ticket,
 * e.g. `contact:+79001234567` or `name:ан` (lib/tickets/search-terms.ts says which). Keyed by
 * (term, createdAt, ticketId), so a term's tickets are one bounded range, newest first.
 */
export interface TicketSearchEntry {
  term: string;
  createdAt: number;
  ticketId: string;
}

export interface TicketSearchRepository {
  /** Adds entries; one already there is kept (adding is idempotent). */
  add(entries: readonly TicketSearchEntry[]): Promise<void>;
  /** Removes entries by their key; absent ones are ignored. */
  remove(entries: readonly TicketSearchEntry[]): Promise<void>;
  /** Every entry of one ticket (an index on the ticket id): what erasure and a new name replace. */
  listByTicket(ticketId: string): Promise<TicketSearchEntry[]>;
  /** The tickets under one term, newest first, paginated like `tickets.listByUser`. */
  listTickets(
    term: string,
    page: { limit: number; before?: { createdAt: number; ticketId: string } },
  ): Promise<TicketPage>;
}

/** An operator on shift in an operators' chat (`/shift on` there): new tickets of the chat go round them. */
export interface OperatorShiftRecord {
  chatPeerId: number;
  operatorId: number;
  /** The operator's first name as the chat learned it (the shift list, the card's assignee line). */
  name: string | null;
  onSince: number;
  /** When the rotation last gave them a new ticket in this chat; null: not yet this shift. */
  lastAssignedAt: number | null;
}

/** Who is on shift where: a handful of rows per chat, keyed by (chat, operator). */
export interface ShiftRepository {
  get(chatPeerId: number, operatorId: number): Promise<OperatorShiftRecord | null>;
  /** Inserts or replaces the operator's shift in the chat. */
  put(shift: OperatorShiftRecord): Promise<void>;
  delete(chatPeerId: number, operatorId: number): Promise<void>;
  /** The chat's operators on shift, by operator id, at most `limit`. */
  listByChat(chatPeerId: number, limit: number): Promise<OperatorShiftRecord[]>;
}

/** How one step of a journey ended for one user (see lib/journeys/). */
export interface JourneyStepOutcome {
  step: number;
  /** `control`: the run is in the journey's control group, so the step sent nothing (the baseline). */
  outcome: 'sent' | 'capped' | 'skipped' | 'exited' | 'failed' | 'control';
  channel: 'message' | 'notification' | null;
  /** Why, for the ones not sent: `condition`, `quiet_hours`, `daily_cap`, `not_allowed`, … */
  detail: string | null;
  at: number;
}

/**
 * One user's run through a journey, started by one trigger event (its `runId` is the event's id, so a
 * re-sent event finds its run and starts nothing). `step` is the step due next; `sending` holds the
 * step's send while its VK call is in flight (a retry repeats it with the same key).
 */
export interface JourneyRunRecord {
  userId: number;
  journey: string;
  runId: string;
  startedAt: number;
  /** `control` (held out: its steps send nothing) or the treated variant (`a`), fixed at the start. */
  variant: string;
  /** When the user first did the journey's goal event within its window after the start (results). */
  goalAt: number | null;
  step: number;
  /** `stalled`: its step never ran (its job dead-lettered, say) and a new trigger replaced it. */
  status: 'active' | 'completed' | 'exited' | 'stalled';
  /** When the due step runs (null once the run is over). */
  nextAt: number | null;
  outcomes: JourneyStepOutcome[];
  sending: {
    step: number;
    channel: 'message' | 'notification';
    /** The message's `random_id` key; for a notification, its slot's send key. */
    key: string;
    text: string;
    /** The notification's slot of the day it was claimed (null for a message). */
    slot: number | null;
    claimedAt: number;
  } | null;
  updatedAt: number;
}

/**
 * Journey runs, keyed by (user, journey, run): a user's runs of a journey are a key-prefix range
 * (a handful), and a journey's runs by start time are an index range (its results by day).
 */
export interface JourneyRunRepository {
  get(userId: number, journey: string, runId: string): Promise<JourneyRunRecord | null>;
  /** Inserts or replaces the run. */
  put(run: JourneyRunRecord): Promise<void>;
  /** The user's active run of the journey, if any (at most one is). */
  findActive(userId: number, journey: string): Promise<JourneyRunRecord | null>;
  /**
   * The user's runs of the journey started at `since` or later, at most `limit` (a key-prefix range:
   * a handful), for marking goals as events arrive.
   */
  listByUser(
    userId: number,
    journey: string,
    range: { since: number; limit: number },
  ): Promise<JourneyRunRecord[]>;
  /** Runs of a journey started in `[since, until)`, oldest first, at most `limit`, after `after`. */
  listByJourney(
    journey: string,
    range: {
      since: number;
      until: number;
      limit: number;
      after?: { startedAt: number; userId: number; runId: string };
    },
  ): Promise<JourneyRunRecord[]>;
  deleteByUser(userId: number): Promise<void>;
}

export type BroadcastChannel = 'message' | 'notification' | 'auto';
export type BroadcastStatus = 'sending' | 'done';

/**
 * An admins' incident broadcast (`POST /api/ops/broadcasts`): one text to an audience, sent by keyed
 * batch jobs of 100 users. `counts` adds up the per-user results as each batch settles them.
 */
export interface BroadcastRecord {
  broadcastId: string;
  text: string;
  /** `"all"`, `{segment}` or `{key}`, as the request gave it. */
  audience: unknown;
  channel: BroadcastChannel;
  status: BroadcastStatus;
  /** Per-user results by status: `sent`, `failed`, `not_allowed`, `skipped:<why>`, … */
  counts: Record<string, number>;
  /** `operator:<id>`: the admin who sent it. */
  createdBy: string;
  createdAt: number;
  updatedAt: number;
}

export interface BroadcastRepository {
  /** Creates the broadcast; false if one with this id exists. */
  create(broadcast: BroadcastRecord): Promise<boolean>;
  get(broadcastId: string): Promise<BroadcastRecord | null>;
  update(broadcast: BroadcastRecord): Promise<void>;
}

/** A user allowed the community's messages through a `message_allow` key (Senler's subscription lists). */
export interface MessageSubscriptionRecord {
  key: string;
  userId: number;
  at: number;
}

export interface MessageSubscriptionRepository {
  /** Inserts or refreshes the user's subscription under the key. */
  put(subscription: MessageSubscriptionRecord): Promise<void>;
  /** The key's subscribers by ascending user id after `afterUserId`, at most `limit` (a key range). */
  listByKey(key: string, page: { afterUserId: number; limit: number }): Promise<MessageSubscriptionRecord[]>;
  /** Every subscription of the user (`message_deny`, erasure); an index on the user id. */
  deleteByUser(userId: number): Promise<void>;
}
