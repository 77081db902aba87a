import { AppError } from '../errors';
import type { ActivityRepository, NpsRepository } from './port-analytics';
import type {
  BroadcastRepository,
  JourneyRunRepository,
  MessageSubscriptionRepository,
  ShiftRepository,
  TicketSearchRepository,
} from './port-engagement';
import type { CampaignDeliveryRepository, NotificationRepository, SurveyRepository } from './port-outreach';
/**
 * The storage port: one repository per aggregate, reached through short transactions.
 *
 * Shaped for YDB: every read is a point read by primary key or a bounded range over a key or a
 * secondary index, every list is paginated by key, and every read-modify-write happens inside a
 * serializable transaction. The embedded SQLite adapter keeps the same contract
 * (test/storage/contract.ts runs against both).
 *
 * Times are epoch milliseconds. Ids of VK users and peers are numbers (VK ids fit in 2^53).
 */

export type Language = 'ru' | 'en';

export interface NotificationPreferences {
  ticketUpdates: boolean;
  reminders: boolean;
  news: boolean;
}

/** Local times "HH:MM" in the user's (or the community's) timezone; `from` may be after `to`. */
export interface QuietHours {
  from: string;
  to: string;
}

export interface UserRecord {
  userId: number;
  language: Language | null;
  /** From `message_allow` / `message_deny`; null while unknown. */
  messagesAllowed: boolean | null;
  /** Mini app notifications: `VKWebAppAllowNotifications` or `vk_are_notifications_enabled`. */
  notificationsAllowed: boolean;
  notificationTypes: NotificationPreferences;
  quietHours: QuietHours | null;
  /** The IANA timezone the mini app reported (`Asia/Vladivostok`); null: the app's `APP_TIMEZONE`. */
  timezone: string | null;
  firstName: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface UserRepository {
  get(userId: number): Promise<UserRecord | null>;
  /** Inserts or replaces the whole record. */
  put(user: UserRecord): Promise<void>;
  delete(userId: number): Promise<void>;
  /** Users who allow notifications, by ascending id after `afterUserId`: the dispatcher's stream. */
  listNotifiable(page: { afterUserId: number; limit: number }): Promise<UserRecord[]>;
  /** Every user, by ascending id after `afterUserId` (a key range): an incident broadcast's stream. */
  listPage(page: { afterUserId: number; limit: number }): Promise<UserRecord[]>;
}

export interface DialogRecord {
  /** The VK peer: a user id for a private dialog. */
  peerId: number;
  userId: number;
  /** Where the conversation is: `idle`, `choosing_category`, `describing`, … (the bot's state machine). */
  state: string;
  /** What the current step has collected so far. */
  data: Record<string, unknown>;
  /** While an operator is talking the bot is silent until this time. */
  operatorSilentUntil: number | null;
  updatedAt: number;
}

export interface DialogRepository {
  get(peerId: number): Promise<DialogRecord | null>;
  put(dialog: DialogRecord): Promise<void>;
  delete(peerId: number): Promise<void>;
}

export type TicketStatus = 'new' | 'in_progress' | 'waiting_for_user' | 'resolved' | 'closed';
export type TicketChannel = 'chat' | 'app' | 'operator';

export interface TicketRecord {
  ticketId: string;
  /** Short, readable and unique, e.g. `A-1042`. Never an access key: ownership is checked. */
  number: string;
  /** null once the user's data was erased (the ticket stays, anonymised, for statistics). */
  userId: number | null;
  channel: TicketChannel;
  category: string;
  subject: string;
  status: TicketStatus;
  assigneeId: number | null;
  /** Whatever else the features record (screen, app version, platform, contact, SLA marks). */
  details: Record<string, unknown>;
  createdAt: number;
  updatedAt: number;
}

export type MessageAuthor = 'user' | 'operator' | 'bot';

export interface TicketMessageRecord {
  ticketId: string;
  /** Position in the thread, from 1. */
  seq: number;
  author: MessageAuthor;
  authorId: number | null;
  text: string;
  /** VK attachment references (`photo123_456_key`). */
  attachments: string[];
  internal: boolean;
  createdAt: number;
}

export interface StatusChangeRecord {
  ticketId: string;
  seq: number;
  from: TicketStatus | null;
  to: TicketStatus;
  /** Who changed it: `user:<id>`, `operator:<id>`, `system`. */
  changedBy: string;
  changedAt: number;
}

export interface TicketPage {
  tickets: TicketRecord[];
  /** Pass back as `before` for the next, older page; null on the last page. */
  nextCursor: { createdAt: number; ticketId: string } | null;
}

export interface TicketRepository {
  /** Creates a ticket; false (and nothing written) if its id or number exists already. */
  create(ticket: TicketRecord): Promise<boolean>;
  get(ticketId: string): Promise<TicketRecord | null>;
  getByNumber(number: string): Promise<TicketRecord | null>;
  update(ticket: TicketRecord): Promise<void>;
  /** A user's tickets, newest first, paginated by (createdAt, ticketId). */
  listByUser(
    userId: number,
    page: { limit: number; before?: { createdAt: number; ticketId: string } },
  ): Promise<TicketPage>;
  /** Tickets in one status, newest first, paginated like `listByUser`: the operators' queue. */
  listByStatus(
    status: TicketStatus,
    page: { limit: number; before?: { createdAt: number; ticketId: string } },
  ): Promise<TicketPage>;
  /** Tickets created in `[since, until)`, oldest first, paginated by (createdAt, ticketId): for stats. */
  listCreatedBetween(range: {
    since: number;
    until: number;
    limit: number;
    after?: { createdAt: number; ticketId: string };
  }): Promise<TicketRecord[]>;
  /**
   * Tickets of the users with ids in `[fromUserId, toUserId]` updated since `updatedSince`, by user:
   * the dispatcher reads a page of users' ticket facts in one range read (index on user_id).
   */
  listForUsers(range: {
    fromUserId: number;
    toUserId: number;
    updatedSince: number;
  }): Promise<TicketRecord[]>;
  addMessage(message: TicketMessageRecord): Promise<void>;
  /** Replaces an existing message (erasure blanks the user's texts). */
  updateMessage(message: TicketMessageRecord): Promise<void>;
  listMessages(ticketId: string): Promise<TicketMessageRecord[]>;
  addStatusChange(change: StatusChangeRecord): Promise<void>;
  listStatusChanges(ticketId: string): Promise<StatusChangeRecord[]>;
}

export interface EventRecord {
  userId: number;
  /** Client-side id: a batch re-sent by an offline client is stored once. */
  eventId: string;
  name: string;
  occurredAt: number;
  screen: string | null;
  props: Record<string, string | number | boolean>;
}

export interface EventRepository {
  /** Stores events; ones already stored (same user and eventId) are skipped. Returns how many were new. */
  append(events: readonly EventRecord[]): Promise<number>;
  /** A user's events in `[since, until)`, oldest first, at most `limit`. */
  listByUser(userId: number, range: { since: number; until: number; limit: number }): Promise<EventRecord[]>;
  /**
   * Events of the users with ids in `[fromUserId, toUserId]` in `[since, until)`, by user then time,
   * at most `limit` a read: the dispatcher pages through a page of users' events this way.
   */
  listForUsers(range: {
    fromUserId: number;
    toUserId: number;
    since: number;
    until: number;
    /** At most this many rows per read: the caller pages with `after`. */
    limit: number;
    /** The last row of the previous page: (userId, occurredAt, eventId). */
    after?: { userId: number; occurredAt: number; eventId: string };
  }): Promise<EventRecord[]>;
  deleteByUser(userId: number): Promise<void>;
}

export interface ClaimRecord {
  key: string;
  /** What the first claimant recorded (e.g. the ticket an Idempotency-Key created). */
  value: Record<string, unknown>;
  createdAt: number;
  /** After this the claim may be forgotten (TTL). */
  expiresAt: number;
}

/** A claim as read back: whether the transaction reading it is the one that took it. */
export interface HeldClaim extends ClaimRecord {
  /** True when this same transaction call took it, in this attempt or in an earlier one that committed. */
  mine: boolean;
}

/**
 * What taking a key found:
 * - `taken`: the key was free and this transaction holds it now;
 * - `mine`: this same transaction call already holds it — an earlier attempt whose commit had an
 *   unknown outcome did commit, and the store ran the work again (see `TransactionOptions.idempotent`);
 * - `held`: someone else holds it.
 */
export type ClaimOutcome = 'taken' | 'mine' | 'held';

/**
 * Idempotency keys: `vk-event:<identity>` (lib/callback/events.ts `eventIdentity`), `idem:<user>:<Idempotency-Key>`, `dispatch:<day>`.
 * A claim is taken in the same transaction as the effect it guards, and records its owner: the id
 * of the transaction call (prefixed by the invocation's id), the same across the call's attempts.
 */
export interface ClaimRepository {
  /** Takes the key unless an unexpired claim of another owner holds it. */
  take(claim: ClaimRecord): Promise<ClaimOutcome>;
  /** The unexpired claim at `now`, if any. */
  get(key: string, now: number): Promise<HeldClaim | null>;
  /** Replaces the value of a claim, or takes it (e.g. a poison event's failure count). */
  put(claim: ClaimRecord): Promise<void>;
}

/** The code of `UndeterminedCommitError`, which callers match on (see lib/api/router.ts). */
export const undeterminedCommit = 'undetermined_commit';

/**
 * A commit whose outcome is unknown, of work that may not run twice: it may or may not be stored.
 * The invocation fails, and the platform's retry meets whatever the first attempt committed.
 */
export class UndeterminedCommitError extends AppError {
  constructor(cause: unknown) {
    super(undeterminedCommit, 'the commit has an unknown outcome and the work is not idempotent', {
      cause,
    });
  }
}

/** A fresh transaction owner: unique per transaction call, prefixed for the log. */
export function newTransactionOwner(prefix = ''): string {
  const id = globalThis.crypto.randomUUID();
  return prefix ? `${prefix}/${id}` : id;
}

export type JobStatus = 'pending' | 'done' | 'cancelled';

export interface DeferredJobRecord {
  /** Deterministic, e.g. `csat:<ticketId>:1` or `csat-reminder:<surveyId>`. */
  jobId: string;
  kind: string;
  payload: Record<string, unknown>;
  dueAt: number;
  status: JobStatus;
  /** How many queue hops the job has made toward `dueAt` (see lib/queue/deferred.ts). */
  hop: number;
  createdAt: number;
  updatedAt: number;
}

export interface DeferredJobRepository {
  /** Creates the job; false if a job with this id exists (whatever its status). */
  create(job: DeferredJobRecord): Promise<boolean>;
  get(jobId: string): Promise<DeferredJobRecord | null>;
  update(job: DeferredJobRecord): Promise<void>;
  /**
   * Pending jobs not touched since `updatedBefore`, least recently first, paginated by
   * (updatedAt, jobId): every hop that arrives touches its job, so these lost their message.
   */
  listPendingStale(
    updatedBefore: number,
    page: { limit: number; after?: { updatedAt: number; jobId: string } },
  ): Promise<DeferredJobRecord[]>;
  /**
   * Pending jobs of `kind` due by `dueBy` whose first hop nobody has claimed yet (hop 0), earliest
   * due first, at most `limit`: what an outbox worker with room in a request may take along.
   */
  listUnclaimedDue(kind: string, dueBy: number, limit: number): Promise<DeferredJobRecord[]>;
}

export interface AuditRecord {
  /** What was acted on: `ticket:<ticketId>`, `user:<hash>` (an erasure or export), `broadcast:<id>`. */
  subject: string;
  at: number;
  /** Unique; orders entries of one subject at the same millisecond. */
  entryId: string;
  /** `operator:<id>` or `crm:<id>`, with the role the credential carried. */
  actor: string;
  role: string;
  /** `ticket.assign`, `ticket.status`, `ticket.reply`, `ticket.note`, … */
  action: string;
  /** What changed (never message texts). */
  details: Record<string, unknown>;
}

/** An entry's place in the whole feed: entries order by (at, subject, entryId), which is unique. */
export interface AuditPosition {
  at: number;
  subject: string;
  entryId: string;
}

export interface AuditPage {
  entries: AuditRecord[];
  /** Pass back as `before` for the next, older page; null on the last page. */
  nextCursor: AuditPosition | null;
}

/** The page of a `listBetween` read of `limit + 1` rows: the extra row only says a next page exists. */
export function auditPageOf(found: readonly AuditRecord[], limit: number): AuditPage {
  const entries = found.slice(0, limit);
  const last = entries.at(-1);
  return {
    entries,
    nextCursor:
      found.length > limit && last ? { at: last.at, subject: last.subject, entryId: last.entryId } : null,
  };
}

export interface AuditRepository {
  append(entry: AuditRecord): Promise<void>;
  /** A subject's entries, oldest first, at most `limit`. */
  listBySubject(subject: string, limit: number): Promise<AuditRecord[]>;
  /**
   * Every subject's entries made in `[since, until)`, newest first, one page of at most `limit`
   * older than `before` (a range of the index by time).
   */
  listBetween(range: {
    since: number;
    until: number;
    before?: AuditPosition;
    limit: number;
  }): Promise<AuditPage>;
}

export interface CounterRepository {
  /** Increments the named counter and returns the new value (1 on first use). */
  next(name: string): Promise<number>;
}

export type * from './port-analytics';
export type * from './port-engagement';
export type * from './port-outreach';

/** Everything a transaction can reach. */
export interface Repositories {
  users: UserRepository;
  dialogs: DialogRepository;
  tickets: TicketRepository;
  ticketSearch: TicketSearchRepository;
  events: EventRepository;
  notifications: NotificationRepository;
  deliveries: CampaignDeliveryRepository;
  surveys: SurveyRepository;
  claims: ClaimRepository;
  jobs: DeferredJobRepository;
  counters: CounterRepository;
  audit: AuditRepository;
  shifts: ShiftRepository;
  journeys: JourneyRunRepository;
  broadcasts: BroadcastRepository;
  messageSubscriptions: MessageSubscriptionRepository;
  activity: ActivityRepository;
  nps: NpsRepository;
}

export interface TransactionOptions {
  /** Bounds the transaction, its retries included. */
  signal?: AbortSignal;
  /**
   * Whether the work may run again after a commit whose outcome is unknown (YDB's UNDETERMINED, a
   * timeout or a dropped connection during the commit). Only work guarded by a claim is: its re-run
   * finds its own claim (`mine`) and does not repeat what the first attempt committed. Otherwise the
   * store throws `UndeterminedCommitError`, and the caller's retry (VK's re-send, the queue's
   * redelivery, the client's Idempotency-Key) meets whatever the first attempt committed.
   * Conflicts (ABORTED) and the other "nothing applied" statuses re-run every transaction.
   */
  idempotent?: boolean;
  /**
   * A short transaction others wait on (a rate gate's slot): a store that queues transactions (the
   * embedded SQLite one) runs it ahead of the rest. YDB runs every transaction at once anyway.
   */
  urgent?: boolean;
}

export interface Store {
  /**
   * Runs `work` in one serializable transaction and commits it. On a conflict the adapter may run
   * `work` again from the start, so `work` must only touch the repositories: no calls to VK or the
   * queue inside. Throwing rolls everything back.
   */
  transaction<T>(work: (repositories: Repositories) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /** Runs read-only `work` on a consistent snapshot. */
  read<T>(work: (repositories: Repositories) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /** A cheap round trip to the database. */
  ping(options?: TransactionOptions): Promise<void>;
  /**
   * After an erasure commits: whatever the engine's own files keep of deleted rows is cleared
   * (SQLite's write-ahead log). Engines that keep nothing a client can read back leave it out.
   */
  afterErasure?(): Promise<void>;
  close(): Promise<void>;
}

/** Every table the schema holds: the erasure test walks each one. */
export const tableNames = [
  'users',
  'dialogs',
  'tickets',
  'ticket_messages',
  'ticket_status_changes',
  'events',
  'notifications',
  'campaign_deliveries',
  'csat_surveys',
  'claims',
  'deferred_jobs',
  'counters',
  'audit_log',
  'operator_shifts',
  'ticket_search',
  'journey_runs',
  'broadcasts',
  'message_subscriptions',
  'user_activity',
  'nps_responses',
  'nps_surveys',
] as const;
