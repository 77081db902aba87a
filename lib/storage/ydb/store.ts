import type { CredentialsProvider } from '@ydbjs/auth';
import { Driver } from '@ydbjs/core';
import type { Value } from '@ydbjs/value';
import type {
  CampaignDeliveryRecord,
  ClaimOutcome,
  ClaimRecord,
  DeferredJobRecord,
  DialogRecord,
  EventRecord,
  HeldClaim,
  NotificationRecord,
  Repositories,
  StatusChangeRecord,
  Store,
  SurveyRecord,
  TicketMessageRecord,
  TicketPage,
  TicketRecord,
  TransactionOptions,
  UserRecord,
} from '../port';
import { newTransactionOwner } from '../port';
import { DriverSessions } from './session';
import type { Row, Statements } from './statement';
import { runSchemeStatement, runTransaction } from './transaction';
import { read, yv } from './values';

type Sql = Statements;

export interface YdbStoreOptions {
  connectionString: string;
  credentialsProvider?: CredentialsProvider;
  /** Bounds every transaction, its retries included, and the driver's wait for a connection. */
  timeoutMs: number;
  /**
   * Discovery is off by default: a function instance is frozen between calls, and a driver that
   * kept background discovery and pooled channels across a freeze hangs (YDB's serverless example).
   */
  enableDiscovery?: boolean;
  /** Prefixes the owner recorded on claims, e.g. the invocation's request id (for the log). */
  ownerPrefix?: string;
  /** Told of each transaction attempt that is run again. */
  onRetry?: (info: { attempt: number; error: unknown; delayMs: number }) => void;
}

/**
 * The production store on YDB. Every read-write transaction is serializable with optimistic locks:
 * a conflict aborts it and `runTransaction` runs the work again from its start, which is why `work`
 * must not call out. One session serves the transactions of the store's life, one after another.
 */
export class YdbStore implements Store {
  readonly driver: Driver;
  readonly sessions: DriverSessions;
  readonly #timeoutMs: number;
  readonly #ownerPrefix: string;
  readonly #onRetry: YdbStoreOptions['onRetry'];

  constructor(options: YdbStoreOptions) {
    this.driver = new Driver(options.connectionString, {
      ...(options.credentialsProvider ? { credentialsProvider: options.credentialsProvider } : {}),
      'ydb.sdk.enable_discovery': options.enableDiscovery ?? false,
      'ydb.sdk.ready_timeout_ms': options.timeoutMs,
    });
    this.sessions = new DriverSessions(this.driver);
    this.#timeoutMs = options.timeoutMs;
    this.#ownerPrefix = options.ownerPrefix ?? '';
    this.#onRetry = options.onRetry;
  }

  transaction<T>(
    work: (repositories: Repositories) => Promise<T>,
    options: TransactionOptions = {},
  ): Promise<T> {
    // One owner for every attempt of this call: a re-run after an unknown commit finds its own claims.
    const owner = newTransactionOwner(this.#ownerPrefix);
    return runTransaction(
      this.sessions,
      {
        mode: 'serializableReadWrite',
        idempotent: options.idempotent ?? false,
        signal: this.#signal(options),
        ...(this.#onRetry ? { onRetry: this.#onRetry } : {}),
      },
      (statements) => work(createRepositories(statements, owner)),
    );
  }

  read<T>(work: (repositories: Repositories) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    // A snapshot read changes nothing, so re-running it is always safe.
    const owner = newTransactionOwner(this.#ownerPrefix);
    return runTransaction(
      this.sessions,
      { mode: 'snapshotReadOnly', idempotent: true, signal: this.#signal(options) },
      (statements) => work(createRepositories(statements, owner)),
    );
  }

  async ping(options: TransactionOptions = {}): Promise<void> {
    await this.read((repositories) => repositories.users.get(0), options);
  }

  /** Runs raw statements in one read-write transaction (ops: the migrations' bookkeeping). */
  statements<T>(work: (sql: Statements) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    return runTransaction(
      this.sessions,
      {
        mode: 'serializableReadWrite',
        idempotent: options.idempotent ?? false,
        signal: this.#signal(options),
      },
      work,
    );
  }

  /** Runs a schema statement (DDL) outside any transaction, retried while YDB says nothing happened. */
  async scheme(text: string, options: { timeoutMs?: number } = {}): Promise<void> {
    await runSchemeStatement(this.sessions, text, AbortSignal.timeout(options.timeoutMs ?? this.#timeoutMs));
  }

  async close(): Promise<void> {
    this.sessions.close();
    this.driver.close();
  }

  #signal(options: TransactionOptions): AbortSignal {
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    return options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  }
}

/** Runs one query and returns the rows of its first result set. */
async function rows(sql: Sql, text: string, params: Record<string, Value> = {}): Promise<Row[]> {
  return (await sql.query(text, params))[0] ?? [];
}

async function first(sql: Sql, text: string, params: Record<string, Value>): Promise<Row | undefined> {
  return (await rows(sql, text, params))[0];
}

/**
 * Insert-if-absent: a point read of the key, then the UPSERT. Inside a serializable transaction two
 * concurrent inserts of one key can't both commit (the loser aborts and `sql.begin` retries it into
 * the read that now finds the row), so exactly one caller sees `true`.
 */
async function insertIfAbsent(
  sql: Sql,
  probe: { text: string; params: Record<string, Value> },
  upsert: { text: string; params: Record<string, Value> },
): Promise<boolean> {
  if ((await rows(sql, probe.text, probe.params)).length > 0) return false;
  await rows(sql, upsert.text, upsert.params);
  return true;
}

const messageColumns = `(ticket_id, seq, author, author_id, text, attachments, internal, created_at)
  VALUES ($ticket_id, $seq, $author, $author_id, $text, $attachments, $internal, $created_at)`;
const upsertMessage = `UPSERT INTO ticket_messages ${messageColumns}`;
const messageParams = (message: TicketMessageRecord): Record<string, Value> => ({
  $ticket_id: yv.text(message.ticketId),
  $seq: yv.int32(message.seq),
  $author: yv.text(message.author),
  $author_id: yv.optInt64(message.authorId),
  $text: yv.text(message.text),
  $attachments: yv.json(message.attachments),
  $internal: yv.bool(message.internal),
  $created_at: yv.time(message.createdAt),
});

/** One page of tickets through an index on (column, created_at, ticket_id), newest first. */
async function pageNewestFirst(
  sql: Sql,
  index: 'tickets_by_user' | 'tickets_by_status',
  column: 'user_id' | 'status',
  value: Value,
  { limit, before }: { limit: number; before?: { createdAt: number; ticketId: string } },
): Promise<TicketPage> {
  const params = { $value: value, $limit: yv.int32(limit + 1) };
  const found = before
    ? await rows(
        sql,
        `SELECT * FROM tickets VIEW ${index}
         WHERE ${column} = $value AND (created_at < $before_at OR (created_at = $before_at AND ticket_id < $before_id))
         ORDER BY ${column} DESC, created_at DESC, ticket_id DESC LIMIT $limit`,
        { ...params, $before_at: yv.time(before.createdAt), $before_id: yv.text(before.ticketId) },
      )
    : await rows(
        sql,
        `SELECT * FROM tickets VIEW ${index} WHERE ${column} = $value
         ORDER BY ${column} DESC, created_at DESC, ticket_id DESC LIMIT $limit`,
        params,
      );
  const tickets = found.slice(0, limit).map(toTicket);
  const last = tickets[tickets.length - 1];
  return {
    tickets,
    nextCursor: found.length > limit && last ? { createdAt: last.createdAt, ticketId: last.ticketId } : null,
  };
}

const upsertClaim = `UPSERT INTO claims (key, value, owner, created_at, expires_at)
  VALUES ($key, $value, $owner, $created_at, $expires_at)`;
const claimParams = (claim: ClaimRecord, owner: string): Record<string, Value> => ({
  $key: yv.text(claim.key),
  $value: yv.json(claim.value),
  $owner: yv.text(owner),
  $created_at: yv.time(claim.createdAt),
  $expires_at: yv.time(claim.expiresAt),
});

const toUser = (row: Row): UserRecord => ({
  userId: read.num(row.user_id),
  language: read.optText(row.language) as UserRecord['language'],
  messagesAllowed: read.optBool(row.messages_allowed),
  notificationsAllowed: Boolean(row.notifications_allowed),
  notificationTypes: read.json(row.notification_types),
  quietHours: row.quiet_hours === null || row.quiet_hours === undefined ? null : read.json(row.quiet_hours),
  firstName: read.optText(row.first_name),
  createdAt: read.time(row.created_at),
  updatedAt: read.time(row.updated_at),
});
const toDialog = (row: Row): DialogRecord => ({
  peerId: read.num(row.peer_id),
  userId: read.num(row.user_id),
  state: read.text(row.state),
  data: read.json(row.data),
  operatorSilentUntil: read.optTime(row.operator_silent_until),
  updatedAt: read.time(row.updated_at),
});
const toTicket = (row: Row): TicketRecord => ({
  ticketId: read.text(row.ticket_id),
  number: read.text(row.number),
  userId: read.optNum(row.user_id),
  channel: read.text(row.channel) as TicketRecord['channel'],
  category: read.text(row.category),
  subject: read.text(row.subject),
  status: read.text(row.status) as TicketRecord['status'],
  assigneeId: read.optNum(row.assignee_id),
  details: read.json(row.details),
  createdAt: read.time(row.created_at),
  updatedAt: read.time(row.updated_at),
});
const toMessage = (row: Row): TicketMessageRecord => ({
  ticketId: read.text(row.ticket_id),
  seq: read.num(row.seq),
  author: read.text(row.author) as TicketMessageRecord['author'],
  authorId: read.optNum(row.author_id),
  text: read.text(row.text),
  attachments: read.json(row.attachments),
  internal: Boolean(row.internal),
  createdAt: read.time(row.created_at),
});
const toStatusChange = (row: Row): StatusChangeRecord => ({
  ticketId: read.text(row.ticket_id),
  seq: read.num(row.seq),
  from: read.optText(row.from_status) as StatusChangeRecord['from'],
  to: read.text(row.to_status) as StatusChangeRecord['to'],
  changedBy: read.text(row.changed_by),
  changedAt: read.time(row.changed_at),
});
const toEvent = (row: Row): EventRecord => ({
  userId: read.num(row.user_id),
  eventId: read.text(row.event_id),
  name: read.text(row.name),
  occurredAt: read.time(row.occurred_at),
  screen: read.optText(row.screen),
  props: read.json(row.props),
});
const toNotification = (row: Row): NotificationRecord => ({
  userId: read.num(row.user_id),
  day: read.text(row.day),
  slot: read.num(row.slot),
  kind: read.text(row.kind) as NotificationRecord['kind'],
  campaign: read.optText(row.campaign),
  variant: read.optText(row.variant),
  text: read.text(row.text),
  status: read.text(row.status) as NotificationRecord['status'],
  createdAt: read.time(row.created_at),
  updatedAt: read.time(row.updated_at),
});
const toDelivery = (row: Row): CampaignDeliveryRecord => ({
  userId: read.num(row.user_id),
  campaign: read.text(row.campaign),
  day: read.text(row.day),
  variant: read.text(row.variant),
  status: read.text(row.status) as CampaignDeliveryRecord['status'],
  detail: read.optText(row.detail),
  text: read.optText(row.text),
  slot: read.optNum(row.slot),
  sendKey: read.optText(row.send_key),
  plannedAt: read.time(row.planned_at),
  claimedAt: read.optTime(row.claimed_at),
  openedAt: read.optTime(row.opened_at),
  returnedAt: read.optTime(row.returned_at),
  updatedAt: read.time(row.updated_at),
});
const deliveryKey = (key: { userId: number; campaign: string; day: string }) => ({
  $user_id: yv.int64(key.userId),
  $campaign: yv.text(key.campaign),
  $day: yv.text(key.day),
});
const upsertDelivery = `UPSERT INTO campaign_deliveries (user_id, campaign, day, \`variant\`, status, detail, text, slot,
    send_key, planned_at, claimed_at, opened_at, returned_at, updated_at)
  VALUES ($user_id, $campaign, $day, $variant, $status, $detail, $text, $slot, $send_key, $planned_at, $claimed_at,
    $opened_at, $returned_at, $updated_at)`;
const deliveryParams = (delivery: CampaignDeliveryRecord): Record<string, Value> => ({
  ...deliveryKey(delivery),
  $variant: yv.text(delivery.variant),
  $status: yv.text(delivery.status),
  $detail: yv.optText(delivery.detail),
  $text: yv.optText(delivery.text),
  $slot: yv.optInt32(delivery.slot),
  $send_key: yv.optText(delivery.sendKey),
  $planned_at: yv.time(delivery.plannedAt),
  $claimed_at: yv.optTime(delivery.claimedAt),
  $opened_at: yv.optTime(delivery.openedAt),
  $returned_at: yv.optTime(delivery.returnedAt),
  $updated_at: yv.time(delivery.updatedAt),
});
const notificationKey = (key: { userId: number; day: string; slot: number }) => ({
  $user_id: yv.int64(key.userId),
  $day: yv.text(key.day),
  $slot: yv.int32(key.slot),
});
const userRange = (range: { fromUserId: number; toUserId: number }) => ({
  $from_user: yv.int64(range.fromUserId),
  $to_user: yv.int64(range.toUserId),
});
const toSurvey = (row: Row): SurveyRecord => ({
  surveyId: read.text(row.survey_id),
  ticketId: read.text(row.ticket_id),
  userId: read.optNum(row.user_id),
  operatorId: read.optNum(row.operator_id),
  status: read.text(row.status) as SurveyRecord['status'],
  scale: read.text(row.scale) as SurveyRecord['scale'],
  channel: read.optText(row.channel) as SurveyRecord['channel'],
  sentAt: read.optTime(row.sent_at),
  rating: read.optNum(row.rating),
  answeredAt: read.optTime(row.answered_at),
  reason: read.optText(row.reason),
  reasonText: read.optText(row.reason_text),
  remindersSent: read.num(row.reminders_sent),
  createdAt: read.time(row.created_at),
  updatedAt: read.time(row.updated_at),
});
const toClaim = (row: Row, owner: string): HeldClaim => ({
  key: read.text(row.key),
  value: read.json(row.value),
  createdAt: read.time(row.created_at),
  expiresAt: read.time(row.expires_at),
  mine: read.optText(row.owner) === owner,
});
const toJob = (row: Row): DeferredJobRecord => ({
  jobId: read.text(row.job_id),
  kind: read.text(row.kind),
  payload: read.json(row.payload),
  dueAt: read.time(row.due_at),
  status: read.text(row.status) as DeferredJobRecord['status'],
  hop: read.num(row.hop),
  createdAt: read.time(row.created_at),
  updatedAt: read.time(row.updated_at),
});

/** Finished jobs are kept 30 days after they finish, then TTL removes them. */
const jobExpiry = (job: DeferredJobRecord) => (job.status === 'pending' ? null : job.updatedAt);

/** The repositories over one transaction's statements; `owner` is recorded on the claims they take. */
export function createRepositories(sql: Sql, owner: string): Repositories {
  const userParams = (user: UserRecord) => ({
    $user_id: yv.int64(user.userId),
    $language: yv.optText(user.language),
    $messages_allowed: yv.optBool(user.messagesAllowed),
    $notifications_allowed: yv.bool(user.notificationsAllowed),
    $notification_types: yv.json(user.notificationTypes),
    $quiet_hours: yv.optJson(user.quietHours),
    $first_name: yv.optText(user.firstName),
    $created_at: yv.time(user.createdAt),
    $updated_at: yv.time(user.updatedAt),
  });
  const ticketParams = (ticket: TicketRecord) => ({
    $ticket_id: yv.text(ticket.ticketId),
    $number: yv.text(ticket.number),
    $user_id: yv.optInt64(ticket.userId),
    $channel: yv.text(ticket.channel),
    $category: yv.text(ticket.category),
    $subject: yv.text(ticket.subject),
    $status: yv.text(ticket.status),
    $assignee_id: yv.optInt64(ticket.assigneeId),
    $details: yv.json(ticket.details),
    $created_at: yv.time(ticket.createdAt),
    $updated_at: yv.time(ticket.updatedAt),
  });
  const surveyParams = (survey: SurveyRecord) => ({
    $survey_id: yv.text(survey.surveyId),
    $ticket_id: yv.text(survey.ticketId),
    $user_id: yv.optInt64(survey.userId),
    $operator_id: yv.optInt64(survey.operatorId),
    $status: yv.text(survey.status),
    $scale: yv.text(survey.scale),
    $channel: yv.optText(survey.channel),
    $sent_at: yv.optTime(survey.sentAt),
    $rating: yv.optInt32(survey.rating),
    $answered_at: yv.optTime(survey.answeredAt),
    $reason: yv.optText(survey.reason),
    $reason_text: yv.optText(survey.reasonText),
    $reminders_sent: yv.int32(survey.remindersSent),
    $created_at: yv.time(survey.createdAt),
    $updated_at: yv.time(survey.updatedAt),
  });
  const jobParams = (job: DeferredJobRecord) => ({
    $job_id: yv.text(job.jobId),
    $kind: yv.text(job.kind),
    $payload: yv.json(job.payload),
    $due_at: yv.time(job.dueAt),
    $status: yv.text(job.status),
    $hop: yv.int32(job.hop),
    $created_at: yv.time(job.createdAt),
    $updated_at: yv.time(job.updatedAt),
    $expires_at: yv.optTime(jobExpiry(job)),
  });
  const upsertUser = `UPSERT INTO users (user_id, language, messages_allowed, notifications_allowed, notification_types,
      quiet_hours, first_name, created_at, updated_at)
    VALUES ($user_id, $language, $messages_allowed, $notifications_allowed, $notification_types, $quiet_hours,
      $first_name, $created_at, $updated_at)`;
  const upsertTicket = `UPSERT INTO tickets (ticket_id, number, user_id, channel, category, subject, status, assignee_id,
      details, created_at, updated_at)
    VALUES ($ticket_id, $number, $user_id, $channel, $category, $subject, $status, $assignee_id, $details, $created_at,
      $updated_at)`;
  const upsertSurvey = `UPSERT INTO csat_surveys (survey_id, ticket_id, user_id, operator_id, status, scale, channel,
      sent_at, rating, answered_at, reason, reason_text, reminders_sent, created_at, updated_at)
    VALUES ($survey_id, $ticket_id, $user_id, $operator_id, $status, $scale, $channel, $sent_at, $rating, $answered_at,
      $reason, $reason_text, $reminders_sent, $created_at, $updated_at)`;
  const upsertJob = `UPSERT INTO deferred_jobs (job_id, kind, payload, due_at, status, hop, created_at, updated_at, expires_at)
    VALUES ($job_id, $kind, $payload, $due_at, $status, $hop, $created_at, $updated_at, $expires_at)`;

  return {
    users: {
      async get(userId) {
        const row = await first(sql, 'SELECT * FROM users WHERE user_id = $user_id', {
          $user_id: yv.int64(userId),
        });
        return row ? toUser(row) : null;
      },
      async put(user) {
        await rows(sql, upsertUser, userParams(user));
      },
      async delete(userId) {
        await rows(sql, 'DELETE FROM users WHERE user_id = $user_id', { $user_id: yv.int64(userId) });
      },
      async listNotifiable({ afterUserId, limit }) {
        return (
          await rows(
            sql,
            `SELECT u.* FROM users VIEW users_notifiable AS i
             INNER JOIN users AS u ON u.user_id = i.user_id
             WHERE i.notifications_allowed = true AND i.user_id > $after
             ORDER BY u.user_id LIMIT $limit`,
            { $after: yv.int64(afterUserId), $limit: yv.int32(limit) },
          )
        ).map((row) => toUser(stripAlias(row)));
      },
    },
    dialogs: {
      async get(peerId) {
        const row = await first(sql, 'SELECT * FROM dialogs WHERE peer_id = $peer_id', {
          $peer_id: yv.int64(peerId),
        });
        return row ? toDialog(row) : null;
      },
      async put(dialog) {
        await rows(
          sql,
          `UPSERT INTO dialogs (peer_id, user_id, state, data, operator_silent_until, updated_at)
           VALUES ($peer_id, $user_id, $state, $data, $operator_silent_until, $updated_at)`,
          {
            $peer_id: yv.int64(dialog.peerId),
            $user_id: yv.int64(dialog.userId),
            $state: yv.text(dialog.state),
            $data: yv.json(dialog.data),
            $operator_silent_until: yv.optTime(dialog.operatorSilentUntil),
            $updated_at: yv.time(dialog.updatedAt),
          },
        );
      },
      async delete(peerId) {
        await rows(sql, 'DELETE FROM dialogs WHERE peer_id = $peer_id', { $peer_id: yv.int64(peerId) });
      },
    },
    tickets: {
      async create(ticket) {
        return insertIfAbsent(
          sql,
          {
            text: `SELECT ticket_id FROM tickets WHERE ticket_id = $ticket_id
                   UNION ALL SELECT ticket_id FROM tickets VIEW tickets_by_number WHERE number = $number`,
            params: { $ticket_id: yv.text(ticket.ticketId), $number: yv.text(ticket.number) },
          },
          { text: upsertTicket, params: ticketParams(ticket) },
        );
      },
      async get(ticketId) {
        const row = await first(sql, 'SELECT * FROM tickets WHERE ticket_id = $ticket_id', {
          $ticket_id: yv.text(ticketId),
        });
        return row ? toTicket(row) : null;
      },
      async getByNumber(number) {
        const row = await first(sql, 'SELECT * FROM tickets VIEW tickets_by_number WHERE number = $number', {
          $number: yv.text(number),
        });
        return row ? toTicket(row) : null;
      },
      async update(ticket) {
        await rows(sql, upsertTicket, ticketParams(ticket));
      },
      async listByUser(userId, page) {
        return pageNewestFirst(sql, 'tickets_by_user', 'user_id', yv.int64(userId), page);
      },
      async listForUsers(range) {
        return (
          await rows(
            sql,
            `SELECT * FROM tickets VIEW tickets_by_user
             WHERE user_id >= $from_user AND user_id <= $to_user AND updated_at >= $updated_since
             ORDER BY user_id, created_at, ticket_id`,
            { ...userRange(range), $updated_since: yv.time(range.updatedSince) },
          )
        ).map(toTicket);
      },
      async listByStatus(status, page) {
        return pageNewestFirst(sql, 'tickets_by_status', 'status', yv.text(status), page);
      },
      async listCreatedBetween({ since, until, limit, after }) {
        const params = { $until: yv.time(until), $limit: yv.int32(limit) };
        const found = after
          ? await rows(
              sql,
              `SELECT * FROM tickets VIEW tickets_by_created
               WHERE created_at < $until AND (created_at > $after_at OR (created_at = $after_at AND ticket_id > $after_id))
               ORDER BY created_at, ticket_id LIMIT $limit`,
              { ...params, $after_at: yv.time(after.createdAt), $after_id: yv.text(after.ticketId) },
            )
          : await rows(
              sql,
              `SELECT * FROM tickets VIEW tickets_by_created WHERE created_at >= $since AND created_at < $until
               ORDER BY created_at, ticket_id LIMIT $limit`,
              { ...params, $since: yv.time(since) },
            );
        return found.map(toTicket).filter((ticket) => ticket.createdAt >= since);
      },
      async addMessage(message) {
        // INSERT, not UPSERT: a second message at the same position is a bug and fails the transaction.
        await rows(sql, `INSERT INTO ticket_messages ${messageColumns}`, messageParams(message));
      },
      async updateMessage(message) {
        await rows(sql, upsertMessage, messageParams(message));
      },
      async listMessages(ticketId) {
        return (
          await rows(
            sql,
            'SELECT * FROM ticket_messages WHERE ticket_id = $ticket_id ORDER BY ticket_id, seq',
            {
              $ticket_id: yv.text(ticketId),
            },
          )
        ).map(toMessage);
      },
      async addStatusChange(change) {
        await rows(
          sql,
          `INSERT INTO ticket_status_changes (ticket_id, seq, from_status, to_status, changed_by, changed_at)
           VALUES ($ticket_id, $seq, $from_status, $to_status, $changed_by, $changed_at)`,
          {
            $ticket_id: yv.text(change.ticketId),
            $seq: yv.int32(change.seq),
            $from_status: yv.optText(change.from),
            $to_status: yv.text(change.to),
            $changed_by: yv.text(change.changedBy),
            $changed_at: yv.time(change.changedAt),
          },
        );
      },
      async listStatusChanges(ticketId) {
        return (
          await rows(
            sql,
            'SELECT * FROM ticket_status_changes WHERE ticket_id = $ticket_id ORDER BY ticket_id, seq',
            {
              $ticket_id: yv.text(ticketId),
            },
          )
        ).map(toStatusChange);
      },
    },
    events: {
      async append(events) {
        let stored = 0;
        const seen = new Set<string>();
        for (const event of events) {
          const key = `${event.userId}\u0000${event.eventId}`;
          if (seen.has(key)) continue;
          seen.add(key);
          const params = { $user_id: yv.int64(event.userId), $event_id: yv.text(event.eventId) };
          if (
            await first(
              sql,
              'SELECT event_id FROM events WHERE user_id = $user_id AND event_id = $event_id',
              params,
            )
          ) {
            continue;
          }
          await rows(
            sql,
            `UPSERT INTO events (user_id, event_id, occurred_at, name, screen, props)
             VALUES ($user_id, $event_id, $occurred_at, $name, $screen, $props)`,
            {
              ...params,
              $occurred_at: yv.time(event.occurredAt),
              $name: yv.text(event.name),
              $screen: yv.optText(event.screen),
              $props: yv.json(event.props),
            },
          );
          stored++;
        }
        return stored;
      },
      async listByUser(userId, { since, until, limit }) {
        return (
          await rows(
            sql,
            `SELECT * FROM events VIEW events_by_time
             WHERE user_id = $user_id AND occurred_at >= $since AND occurred_at < $until
             ORDER BY user_id, occurred_at, event_id LIMIT $limit`,
            {
              $user_id: yv.int64(userId),
              $since: yv.time(since),
              $until: yv.time(until),
              $limit: yv.int32(limit),
            },
          )
        ).map(toEvent);
      },
      async listForUsers(range) {
        return (
          await rows(
            sql,
            `SELECT * FROM events VIEW events_by_time
             WHERE user_id >= $from_user AND user_id <= $to_user AND occurred_at >= $since AND occurred_at < $until
             ORDER BY user_id, occurred_at, event_id`,
            { ...userRange(range), $since: yv.time(range.since), $until: yv.time(range.until) },
          )
        ).map(toEvent);
      },
      async deleteByUser(userId) {
        await rows(sql, 'DELETE FROM events WHERE user_id = $user_id', { $user_id: yv.int64(userId) });
      },
    },
    notifications: {
      async claim(notification) {
        const key = notificationKey(notification);
        return insertIfAbsent(
          sql,
          {
            text: 'SELECT slot FROM notifications WHERE user_id = $user_id AND day = $day AND slot = $slot',
            params: key,
          },
          {
            text: `UPSERT INTO notifications (user_id, day, slot, kind, campaign, \`variant\`, text, status, created_at, updated_at)
                   VALUES ($user_id, $day, $slot, $kind, $campaign, $variant, $text, $status, $created_at, $updated_at)`,
            params: {
              ...key,
              $kind: yv.text(notification.kind),
              $campaign: yv.optText(notification.campaign),
              $variant: yv.optText(notification.variant),
              $text: yv.text(notification.text),
              $status: yv.text(notification.status),
              $created_at: yv.time(notification.createdAt),
              $updated_at: yv.time(notification.updatedAt),
            },
          },
        );
      },
      async setStatus(key, status, updatedAt) {
        await rows(
          sql,
          `UPDATE notifications SET status = $status, updated_at = $updated_at
           WHERE user_id = $user_id AND day = $day AND slot = $slot`,
          { ...notificationKey(key), $status: yv.text(status), $updated_at: yv.time(updatedAt) },
        );
      },
      async release(key) {
        await rows(
          sql,
          'DELETE FROM notifications WHERE user_id = $user_id AND day = $day AND slot = $slot',
          notificationKey(key),
        );
      },
      async listByUser(userId, limit) {
        return (
          await rows(
            sql,
            `SELECT * FROM notifications WHERE user_id = $user_id
             ORDER BY user_id DESC, day DESC, slot DESC LIMIT $limit`,
            { $user_id: yv.int64(userId), $limit: yv.int32(limit) },
          )
        ).map(toNotification);
      },
      async listForUsers(range) {
        return (
          await rows(
            sql,
            `SELECT * FROM notifications
             WHERE user_id >= $from_user AND user_id <= $to_user AND day >= $since_day
             ORDER BY user_id, day, slot`,
            { ...userRange(range), $since_day: yv.text(range.sinceDay) },
          )
        ).map(toNotification);
      },
      async deleteByUser(userId) {
        await rows(sql, 'DELETE FROM notifications WHERE user_id = $user_id', { $user_id: yv.int64(userId) });
      },
    },
    deliveries: {
      async plan(delivery) {
        return insertIfAbsent(
          sql,
          {
            text: `SELECT day FROM campaign_deliveries
                   WHERE user_id = $user_id AND campaign = $campaign AND day = $day`,
            params: deliveryKey(delivery),
          },
          { text: upsertDelivery, params: deliveryParams(delivery) },
        );
      },
      async get(key) {
        const row = await first(
          sql,
          'SELECT * FROM campaign_deliveries WHERE user_id = $user_id AND campaign = $campaign AND day = $day',
          deliveryKey(key),
        );
        return row ? toDelivery(row) : null;
      },
      async put(delivery) {
        await rows(sql, upsertDelivery, deliveryParams(delivery));
      },
      async listForUsers(range) {
        return (
          await rows(
            sql,
            `SELECT * FROM campaign_deliveries
             WHERE user_id >= $from_user AND user_id <= $to_user AND day >= $since_day
             ORDER BY user_id, campaign, day`,
            { ...userRange(range), $since_day: yv.text(range.sinceDay) },
          )
        ).map(toDelivery);
      },
      async listByUser(userId, sinceDay) {
        return (
          await rows(
            sql,
            `SELECT * FROM campaign_deliveries WHERE user_id = $user_id AND day >= $since_day
             ORDER BY day, campaign`,
            { $user_id: yv.int64(userId), $since_day: yv.text(sinceDay) },
          )
        ).map(toDelivery);
      },
      async summarize({ fromDay, toDay }) {
        // The covering index keeps this a range read of (day, campaign, variant) without the table.
        return (
          await rows(
            sql,
            `SELECT campaign, \`variant\`, status, COUNT(*) AS count, COUNT(opened_at) AS opened,
                    COUNT(returned_at) AS returned
             FROM campaign_deliveries VIEW campaign_deliveries_by_day
             WHERE day >= $from_day AND day <= $to_day
             GROUP BY campaign, \`variant\`, status ORDER BY campaign, \`variant\`, status`,
            { $from_day: yv.text(fromDay), $to_day: yv.text(toDay) },
          )
        ).map((row) => ({
          campaign: read.text(row.campaign),
          variant: read.text(row.variant),
          status: read.text(row.status) as CampaignDeliveryRecord['status'],
          count: read.num(row.count),
          opened: read.num(row.opened),
          returned: read.num(row.returned),
        }));
      },
      async deleteByUser(userId) {
        await rows(sql, 'DELETE FROM campaign_deliveries WHERE user_id = $user_id', {
          $user_id: yv.int64(userId),
        });
      },
    },
    surveys: {
      async create(survey) {
        return insertIfAbsent(
          sql,
          {
            text: 'SELECT survey_id FROM csat_surveys WHERE survey_id = $survey_id',
            params: { $survey_id: yv.text(survey.surveyId) },
          },
          { text: upsertSurvey, params: surveyParams(survey) },
        );
      },
      async get(surveyId) {
        const row = await first(sql, 'SELECT * FROM csat_surveys WHERE survey_id = $survey_id', {
          $survey_id: yv.text(surveyId),
        });
        return row ? toSurvey(row) : null;
      },
      async update(survey) {
        await rows(sql, upsertSurvey, surveyParams(survey));
      },
      async listByTicket(ticketId) {
        const found = await rows(
          sql,
          'SELECT * FROM csat_surveys VIEW csat_surveys_by_ticket WHERE ticket_id = $ticket_id',
          {
            $ticket_id: yv.text(ticketId),
          },
        );
        return found
          .map(toSurvey)
          .sort((a, b) => a.createdAt - b.createdAt || (a.surveyId < b.surveyId ? -1 : 1));
      },
    },
    claims: {
      async take(claim): Promise<ClaimOutcome> {
        const held = await first(sql, 'SELECT expires_at, owner FROM claims WHERE key = $key', {
          $key: yv.text(claim.key),
        });
        // TTL deletes expired rows only about hourly: an expired claim counts as free.
        if (held && read.time(held.expires_at) > claim.createdAt) {
          return read.optText(held.owner) === owner ? 'mine' : 'held';
        }
        await rows(sql, upsertClaim, claimParams(claim, owner));
        return 'taken';
      },
      async get(key, now) {
        const row = await first(sql, 'SELECT * FROM claims WHERE key = $key AND expires_at > $now', {
          $key: yv.text(key),
          $now: yv.time(now),
        });
        return row ? toClaim(row, owner) : null;
      },
      async put(claim) {
        await rows(sql, upsertClaim, claimParams(claim, owner));
      },
    },
    jobs: {
      async create(job) {
        return insertIfAbsent(
          sql,
          {
            text: 'SELECT job_id FROM deferred_jobs WHERE job_id = $job_id',
            params: { $job_id: yv.text(job.jobId) },
          },
          { text: upsertJob, params: jobParams(job) },
        );
      },
      async get(jobId) {
        const row = await first(sql, 'SELECT * FROM deferred_jobs WHERE job_id = $job_id', {
          $job_id: yv.text(jobId),
        });
        return row ? toJob(row) : null;
      },
      async update(job) {
        await rows(sql, upsertJob, jobParams(job));
      },
      async listPendingDue(dueBefore, { limit, after }) {
        const params = { $due_before: yv.time(dueBefore), $limit: yv.int32(limit) };
        const found = after
          ? await rows(
              sql,
              `SELECT * FROM deferred_jobs VIEW deferred_jobs_due
               WHERE status = 'pending' AND due_at < $due_before
                 AND (due_at > $after_at OR (due_at = $after_at AND job_id > $after_id))
               ORDER BY status, due_at, job_id LIMIT $limit`,
              { ...params, $after_at: yv.time(after.dueAt), $after_id: yv.text(after.jobId) },
            )
          : await rows(
              sql,
              `SELECT * FROM deferred_jobs VIEW deferred_jobs_due WHERE status = 'pending' AND due_at < $due_before
               ORDER BY status, due_at, job_id LIMIT $limit`,
              params,
            );
        return found.map(toJob);
      },
    },
    audit: {
      async append(entry) {
        await rows(
          sql,
          `INSERT INTO audit_log (subject, at, entry_id, actor, role, action, details)
           VALUES ($subject, $at, $entry_id, $actor, $role, $action, $details)`,
          {
            $subject: yv.text(entry.subject),
            $at: yv.time(entry.at),
            $entry_id: yv.text(entry.entryId),
            $actor: yv.text(entry.actor),
            $role: yv.text(entry.role),
            $action: yv.text(entry.action),
            $details: yv.json(entry.details),
          },
        );
      },
      async listBySubject(subject, limit) {
        const found = await rows(
          sql,
          'SELECT * FROM audit_log WHERE subject = $subject ORDER BY subject, at, entry_id LIMIT $limit',
          { $subject: yv.text(subject), $limit: yv.int32(limit) },
        );
        return found.map((row) => ({
          subject: read.text(row.subject),
          at: read.time(row.at),
          entryId: read.text(row.entry_id),
          actor: read.text(row.actor),
          role: read.text(row.role),
          action: read.text(row.action),
          details: read.json(row.details),
        }));
      },
    },
    counters: {
      async next(name) {
        const row = await first(sql, 'SELECT value FROM counters WHERE name = $name', {
          $name: yv.text(name),
        });
        const value = (row ? read.num(row.value) : 0) + 1;
        await rows(sql, 'UPSERT INTO counters (name, value) VALUES ($name, $value)', {
          $name: yv.text(name),
          $value: yv.int64(value),
        });
        return value;
      },
    },
  };
}

/** A join returns columns as `u.user_id`; the mappers read bare names. */
function stripAlias(row: Row): Row {
  const plain: Row = {};
  for (const [key, value] of Object.entries(row)) plain[key.replace(/^\w+\./, '')] = value;
  return plain;
}
