import { AsyncLocalStorage } from 'node:async_hooks';
import Database from 'better-sqlite3';
import { AppError } from '../../errors';
import type {
  CampaignDeliveryRecord,
  ClaimOutcome,
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
  TicketRecord,
  TransactionOptions,
  UserRecord,
} from '../port';
import { newTransactionOwner } from '../port';
import { migrateSqlite } from './migrations';

type Row = Record<string, unknown>;

/**
 * The embedded store: a real SQLite file (or `:memory:` in tests) behind the same port as YDB.
 *
 * better-sqlite3 is synchronous and this process has one connection, so transactions are serialized
 * by an async mutex: while one is open (awaiting between statements) no other work may touch the
 * connection, or it would see uncommitted rows. Reads go through the same mutex.
 */
export class SqliteStore implements Store {
  readonly db: Database.Database;
  readonly #repositories: Repositories;
  #tail: Promise<unknown> = Promise.resolve();
  /** The owner claims are recorded with: the running transaction call's. */
  #owner = '';
  readonly #inTransaction = new AsyncLocalStorage<true>();

  constructor(filename = ':memory:') {
    this.db = new Database(filename);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    migrateSqlite(this.db);
    this.#repositories = createRepositories(this.db, () => this.#owner);
  }

  /** SQLite commits locally or not at all, so no attempt is ever re-run: `idempotent` changes nothing. */
  transaction<T>(
    work: (repositories: Repositories) => Promise<T>,
    _options?: TransactionOptions,
  ): Promise<T> {
    return this.attempt(work, newTransactionOwner());
  }

  /**
   * One attempt of a transaction under a given owner. `transaction` uses a fresh owner per call;
   * tests that replay what YDB does after an unknown commit run the same work twice under one owner.
   */
  attempt<T>(work: (repositories: Repositories) => Promise<T>, owner: string): Promise<T> {
    return this.#exclusive(async () => {
      this.#owner = owner;
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const result = await work(this.#repositories);
        this.db.exec('COMMIT');
        return result;
      } catch (error) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw error;
      }
    });
  }

  read<T>(work: (repositories: Repositories) => Promise<T>): Promise<T> {
    return this.transaction(work);
  }

  async ping(): Promise<void> {
    await this.#exclusive(async () => this.db.prepare('SELECT 1').get());
  }

  async close(): Promise<void> {
    await this.#exclusive(async () => this.db.close());
  }

  #exclusive<T>(work: () => Promise<T>): Promise<T> {
    if (this.#inTransaction.getStore()) {
      // A nested call would wait for itself forever; fail loudly instead.
      return Promise.reject(
        new AppError('nested_transaction', 'a store call inside a transaction: use its repositories'),
      );
    }
    const run = this.#tail.then(() => this.#inTransaction.run(true, work));
    this.#tail = run.catch(() => {});
    return run;
  }
}

const json = (value: unknown) => JSON.stringify(value);
const parse = <T>(value: unknown): T => JSON.parse(String(value)) as T;
const bool = (value: unknown): boolean | null => (value === null || value === undefined ? null : value === 1);
const num = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));
const str = (value: unknown): string | null => (value === null || value === undefined ? null : String(value));

function createRepositories(db: Database.Database, owner: () => string): Repositories {
  const statement = (() => {
    const cache = new Map<string, Database.Statement>();
    return (sql: string) => {
      let prepared = cache.get(sql);
      if (!prepared) {
        prepared = db.prepare(sql);
        cache.set(sql, prepared);
      }
      return prepared;
    };
  })();
  const one = (sql: string, ...params: unknown[]) => statement(sql).get(...params) as Row | undefined;
  const all = (sql: string, ...params: unknown[]) => statement(sql).all(...params) as Row[];
  const run = (sql: string, ...params: unknown[]) => {
    try {
      return statement(sql).run(...params);
    } catch (error) {
      // better-sqlite3's native addon keeps the SqliteError class of the first context that loaded
      // it, so under Jest (one realm per test file) its errors may not be `instanceof Error` here.
      // A typed error of ours also tells callers what happened without knowing the adapter.
      const code = (error as { code?: unknown }).code;
      if (typeof code === 'string' && code.startsWith('SQLITE_CONSTRAINT')) {
        throw new AppError('storage_conflict', `a row with this key exists (${code})`, { cause: error });
      }
      throw error;
    }
  };

  const toUser = (row: Row): UserRecord => ({
    userId: Number(row.user_id),
    language: str(row.language) as UserRecord['language'],
    messagesAllowed: bool(row.messages_allowed),
    notificationsAllowed: row.notifications_allowed === 1,
    notificationTypes: parse(row.notification_types),
    quietHours: row.quiet_hours === null ? null : parse(row.quiet_hours),
    firstName: str(row.first_name),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  });
  const toDialog = (row: Row): DialogRecord => ({
    peerId: Number(row.peer_id),
    userId: Number(row.user_id),
    state: String(row.state),
    data: parse(row.data),
    operatorSilentUntil: num(row.operator_silent_until),
    updatedAt: Number(row.updated_at),
  });
  /** One page of tickets with `column = value`, newest first, by the (created_at, ticket_id) cursor. */
  const pageNewestFirst = (
    column: 'user_id' | 'status',
    value: unknown,
    { limit, before }: { limit: number; before?: { createdAt: number; ticketId: string } },
  ) => {
    const rows = before
      ? all(
          `SELECT * FROM tickets WHERE ${column} = ? AND (created_at < ? OR (created_at = ? AND ticket_id < ?))
           ORDER BY created_at DESC, ticket_id DESC LIMIT ?`,
          value,
          before.createdAt,
          before.createdAt,
          before.ticketId,
          limit + 1,
        )
      : all(
          `SELECT * FROM tickets WHERE ${column} = ? ORDER BY created_at DESC, ticket_id DESC LIMIT ?`,
          value,
          limit + 1,
        );
    const tickets = rows.slice(0, limit).map(toTicket);
    const last = tickets[tickets.length - 1];
    return {
      tickets,
      nextCursor: rows.length > limit && last ? { createdAt: last.createdAt, ticketId: last.ticketId } : null,
    };
  };
  const toTicket = (row: Row): TicketRecord => ({
    ticketId: String(row.ticket_id),
    number: String(row.number),
    userId: num(row.user_id),
    channel: String(row.channel) as TicketRecord['channel'],
    category: String(row.category),
    subject: String(row.subject),
    status: String(row.status) as TicketRecord['status'],
    assigneeId: num(row.assignee_id),
    details: parse(row.details),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  });
  const toMessage = (row: Row): TicketMessageRecord => ({
    ticketId: String(row.ticket_id),
    seq: Number(row.seq),
    author: String(row.author) as TicketMessageRecord['author'],
    authorId: num(row.author_id),
    text: String(row.text),
    attachments: parse(row.attachments),
    internal: row.internal === 1,
    createdAt: Number(row.created_at),
  });
  const toStatusChange = (row: Row): StatusChangeRecord => ({
    ticketId: String(row.ticket_id),
    seq: Number(row.seq),
    from: str(row.from_status) as StatusChangeRecord['from'],
    to: String(row.to_status) as StatusChangeRecord['to'],
    changedBy: String(row.changed_by),
    changedAt: Number(row.changed_at),
  });
  const toEvent = (row: Row): EventRecord => ({
    userId: Number(row.user_id),
    eventId: String(row.event_id),
    name: String(row.name),
    occurredAt: Number(row.occurred_at),
    screen: str(row.screen),
    props: parse(row.props),
  });
  const toNotification = (row: Row): NotificationRecord => ({
    userId: Number(row.user_id),
    day: String(row.day),
    slot: Number(row.slot),
    kind: String(row.kind) as NotificationRecord['kind'],
    campaign: str(row.campaign),
    variant: str(row.variant),
    text: String(row.text),
    status: String(row.status) as NotificationRecord['status'],
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  });
  const toDelivery = (row: Row): CampaignDeliveryRecord => ({
    userId: Number(row.user_id),
    campaign: String(row.campaign),
    day: String(row.day),
    variant: String(row.variant),
    status: String(row.status) as CampaignDeliveryRecord['status'],
    detail: str(row.detail),
    text: str(row.text),
    slot: num(row.slot),
    sendKey: str(row.send_key),
    plannedAt: Number(row.planned_at),
    claimedAt: num(row.claimed_at),
    openedAt: num(row.opened_at),
    returnedAt: num(row.returned_at),
    updatedAt: Number(row.updated_at),
  });
  const deliveryColumns = `(user_id, campaign, day, variant, status, detail, text, slot, send_key, planned_at,
    claimed_at, opened_at, returned_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
  const deliveryValues = (delivery: CampaignDeliveryRecord) => [
    delivery.userId,
    delivery.campaign,
    delivery.day,
    delivery.variant,
    delivery.status,
    delivery.detail,
    delivery.text,
    delivery.slot,
    delivery.sendKey,
    delivery.plannedAt,
    delivery.claimedAt,
    delivery.openedAt,
    delivery.returnedAt,
    delivery.updatedAt,
  ];
  const toSurvey = (row: Row): SurveyRecord => ({
    surveyId: String(row.survey_id),
    ticketId: String(row.ticket_id),
    userId: num(row.user_id),
    operatorId: num(row.operator_id),
    status: String(row.status) as SurveyRecord['status'],
    scale: String(row.scale) as SurveyRecord['scale'],
    channel: str(row.channel) as SurveyRecord['channel'],
    sentAt: num(row.sent_at),
    rating: num(row.rating),
    answeredAt: num(row.answered_at),
    reason: str(row.reason),
    reasonText: str(row.reason_text),
    remindersSent: Number(row.reminders_sent),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  });
  const toClaim = (row: Row, currentOwner: string): HeldClaim => ({
    key: String(row.key),
    value: parse(row.value),
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
    mine: row.owner === currentOwner,
  });
  const toJob = (row: Row): DeferredJobRecord => ({
    jobId: String(row.job_id),
    kind: String(row.kind),
    payload: parse(row.payload),
    dueAt: Number(row.due_at),
    status: String(row.status) as DeferredJobRecord['status'],
    hop: Number(row.hop),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  });
  const flag = (value: boolean | null) => (value === null ? null : value ? 1 : 0);

  return {
    users: {
      async get(userId) {
        const row = one('SELECT * FROM users WHERE user_id = ?', userId);
        return row ? toUser(row) : null;
      },
      async put(user) {
        run(
          `INSERT OR REPLACE INTO users (user_id, language, messages_allowed, notifications_allowed,
             notification_types, quiet_hours, first_name, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          user.userId,
          user.language,
          flag(user.messagesAllowed),
          flag(user.notificationsAllowed),
          json(user.notificationTypes),
          user.quietHours === null ? null : json(user.quietHours),
          user.firstName,
          user.createdAt,
          user.updatedAt,
        );
      },
      async delete(userId) {
        run('DELETE FROM users WHERE user_id = ?', userId);
      },
      async listNotifiable({ afterUserId, limit }) {
        return all(
          'SELECT * FROM users WHERE notifications_allowed = 1 AND user_id > ? ORDER BY user_id LIMIT ?',
          afterUserId,
          limit,
        ).map(toUser);
      },
    },
    dialogs: {
      async get(peerId) {
        const row = one('SELECT * FROM dialogs WHERE peer_id = ?', peerId);
        return row ? toDialog(row) : null;
      },
      async put(dialog) {
        run(
          `INSERT OR REPLACE INTO dialogs (peer_id, user_id, state, data, operator_silent_until, updated_at)
           VALUES (?, ?, ?, ?, ?, ?)`,
          dialog.peerId,
          dialog.userId,
          dialog.state,
          json(dialog.data),
          dialog.operatorSilentUntil,
          dialog.updatedAt,
        );
      },
      async delete(peerId) {
        run('DELETE FROM dialogs WHERE peer_id = ?', peerId);
      },
    },
    tickets: {
      async create(ticket) {
        const result = run(
          `INSERT OR IGNORE INTO tickets (ticket_id, number, user_id, channel, category, subject, status,
             assignee_id, details, created_at, updated_at)
           SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?
           WHERE NOT EXISTS (SELECT 1 FROM tickets WHERE ticket_id = ? OR number = ?)`,
          ticket.ticketId,
          ticket.number,
          ticket.userId,
          ticket.channel,
          ticket.category,
          ticket.subject,
          ticket.status,
          ticket.assigneeId,
          json(ticket.details),
          ticket.createdAt,
          ticket.updatedAt,
          ticket.ticketId,
          ticket.number,
        );
        return result.changes === 1;
      },
      async get(ticketId) {
        const row = one('SELECT * FROM tickets WHERE ticket_id = ?', ticketId);
        return row ? toTicket(row) : null;
      },
      async getByNumber(number) {
        const row = one('SELECT * FROM tickets WHERE number = ?', number);
        return row ? toTicket(row) : null;
      },
      async update(ticket) {
        run(
          `UPDATE tickets SET user_id = ?, channel = ?, category = ?, subject = ?, status = ?, assignee_id = ?,
             details = ?, updated_at = ? WHERE ticket_id = ?`,
          ticket.userId,
          ticket.channel,
          ticket.category,
          ticket.subject,
          ticket.status,
          ticket.assigneeId,
          json(ticket.details),
          ticket.updatedAt,
          ticket.ticketId,
        );
      },
      async listByUser(userId, page) {
        return pageNewestFirst('user_id', userId, page);
      },
      async listByStatus(status, page) {
        return pageNewestFirst('status', status, page);
      },
      async listCreatedBetween({ since, until, limit, after }) {
        const rows = after
          ? all(
              `SELECT * FROM tickets WHERE created_at < ?
                 AND (created_at > ? OR (created_at = ? AND ticket_id > ?))
               ORDER BY created_at, ticket_id LIMIT ?`,
              until,
              after.createdAt,
              after.createdAt,
              after.ticketId,
              limit,
            )
          : all(
              'SELECT * FROM tickets WHERE created_at >= ? AND created_at < ? ORDER BY created_at, ticket_id LIMIT ?',
              since,
              until,
              limit,
            );
        return rows.filter((row) => Number(row.created_at) >= since).map(toTicket);
      },
      async listForUsers({ fromUserId, toUserId, updatedSince }) {
        return all(
          `SELECT * FROM tickets WHERE user_id >= ? AND user_id <= ? AND updated_at >= ?
           ORDER BY user_id, created_at, ticket_id`,
          fromUserId,
          toUserId,
          updatedSince,
        ).map(toTicket);
      },
      async addMessage(message) {
        run(
          `INSERT INTO ticket_messages (ticket_id, seq, author, author_id, text, attachments, internal, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
          message.ticketId,
          message.seq,
          message.author,
          message.authorId,
          message.text,
          json(message.attachments),
          message.internal ? 1 : 0,
          message.createdAt,
        );
      },
      async updateMessage(message) {
        run(
          `UPDATE ticket_messages SET author = ?, author_id = ?, text = ?, attachments = ?, internal = ?
           WHERE ticket_id = ? AND seq = ?`,
          message.author,
          message.authorId,
          message.text,
          json(message.attachments),
          message.internal ? 1 : 0,
          message.ticketId,
          message.seq,
        );
      },
      async listMessages(ticketId) {
        return all('SELECT * FROM ticket_messages WHERE ticket_id = ? ORDER BY seq', ticketId).map(toMessage);
      },
      async addStatusChange(change) {
        run(
          `INSERT INTO ticket_status_changes (ticket_id, seq, from_status, to_status, changed_by, changed_at)
           VALUES (?, ?, ?, ?, ?, ?)`,
          change.ticketId,
          change.seq,
          change.from,
          change.to,
          change.changedBy,
          change.changedAt,
        );
      },
      async listStatusChanges(ticketId) {
        return all('SELECT * FROM ticket_status_changes WHERE ticket_id = ? ORDER BY seq', ticketId).map(
          toStatusChange,
        );
      },
    },
    events: {
      async append(events) {
        let stored = 0;
        for (const event of events) {
          stored += run(
            `INSERT OR IGNORE INTO events (user_id, occurred_at, event_id, name, screen, props) VALUES (?, ?, ?, ?, ?, ?)`,
            event.userId,
            event.occurredAt,
            event.eventId,
            event.name,
            event.screen,
            json(event.props),
          ).changes;
        }
        return stored;
      },
      async listByUser(userId, { since, until, limit }) {
        return all(
          `SELECT * FROM events WHERE user_id = ? AND occurred_at >= ? AND occurred_at < ?
           ORDER BY occurred_at, event_id LIMIT ?`,
          userId,
          since,
          until,
          limit,
        ).map(toEvent);
      },
      async listForUsers({ fromUserId, toUserId, since, until }) {
        return all(
          `SELECT * FROM events WHERE user_id >= ? AND user_id <= ? AND occurred_at >= ? AND occurred_at < ?
           ORDER BY user_id, occurred_at, event_id`,
          fromUserId,
          toUserId,
          since,
          until,
        ).map(toEvent);
      },
      async deleteByUser(userId) {
        run('DELETE FROM events WHERE user_id = ?', userId);
      },
    },
    notifications: {
      async claim(notification) {
        return (
          run(
            `INSERT OR IGNORE INTO notifications (user_id, day, slot, kind, campaign, variant, text, status, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
            notification.userId,
            notification.day,
            notification.slot,
            notification.kind,
            notification.campaign,
            notification.variant,
            notification.text,
            notification.status,
            notification.createdAt,
            notification.updatedAt,
          ).changes === 1
        );
      },
      async setStatus({ userId, day, slot }, status, updatedAt) {
        run(
          'UPDATE notifications SET status = ?, updated_at = ? WHERE user_id = ? AND day = ? AND slot = ?',
          status,
          updatedAt,
          userId,
          day,
          slot,
        );
      },
      async release({ userId, day, slot }) {
        run('DELETE FROM notifications WHERE user_id = ? AND day = ? AND slot = ?', userId, day, slot);
      },
      async listByUser(userId, limit) {
        return all(
          'SELECT * FROM notifications WHERE user_id = ? ORDER BY day DESC, slot DESC LIMIT ?',
          userId,
          limit,
        ).map(toNotification);
      },
      async listForUsers({ fromUserId, toUserId, sinceDay }) {
        return all(
          `SELECT * FROM notifications WHERE user_id >= ? AND user_id <= ? AND day >= ?
           ORDER BY user_id, day, slot`,
          fromUserId,
          toUserId,
          sinceDay,
        ).map(toNotification);
      },
      async deleteByUser(userId) {
        run('DELETE FROM notifications WHERE user_id = ?', userId);
      },
    },
    deliveries: {
      async plan(delivery) {
        return (
          run(`INSERT OR IGNORE INTO campaign_deliveries ${deliveryColumns}`, ...deliveryValues(delivery))
            .changes === 1
        );
      },
      async get({ userId, campaign, day }) {
        const row = one(
          'SELECT * FROM campaign_deliveries WHERE user_id = ? AND campaign = ? AND day = ?',
          userId,
          campaign,
          day,
        );
        return row ? toDelivery(row) : null;
      },
      async put(delivery) {
        run(`INSERT OR REPLACE INTO campaign_deliveries ${deliveryColumns}`, ...deliveryValues(delivery));
      },
      async listForUsers({ fromUserId, toUserId, sinceDay }) {
        return all(
          `SELECT * FROM campaign_deliveries WHERE user_id >= ? AND user_id <= ? AND day >= ?
           ORDER BY user_id, campaign, day`,
          fromUserId,
          toUserId,
          sinceDay,
        ).map(toDelivery);
      },
      async listByUser(userId, sinceDay) {
        return all(
          'SELECT * FROM campaign_deliveries WHERE user_id = ? AND day >= ? ORDER BY day, campaign',
          userId,
          sinceDay,
        ).map(toDelivery);
      },
      async summarize({ fromDay, toDay }) {
        return all(
          `SELECT campaign, variant, status, COUNT(*) AS count, COUNT(opened_at) AS opened,
                  COUNT(returned_at) AS returned
           FROM campaign_deliveries WHERE day >= ? AND day <= ?
           GROUP BY campaign, variant, status ORDER BY campaign, variant, status`,
          fromDay,
          toDay,
        ).map((row) => ({
          campaign: String(row.campaign),
          variant: String(row.variant),
          status: String(row.status) as CampaignDeliveryRecord['status'],
          count: Number(row.count),
          opened: Number(row.opened),
          returned: Number(row.returned),
        }));
      },
      async deleteByUser(userId) {
        run('DELETE FROM campaign_deliveries WHERE user_id = ?', userId);
      },
    },
    surveys: {
      async create(survey) {
        return (
          run(
            `INSERT OR IGNORE INTO csat_surveys (survey_id, ticket_id, user_id, operator_id, status, scale, channel,
               sent_at, rating, answered_at, reason, reason_text, reminders_sent, created_at, updated_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
            survey.surveyId,
            survey.ticketId,
            survey.userId,
            survey.operatorId,
            survey.status,
            survey.scale,
            survey.channel,
            survey.sentAt,
            survey.rating,
            survey.answeredAt,
            survey.reason,
            survey.reasonText,
            survey.remindersSent,
            survey.createdAt,
            survey.updatedAt,
          ).changes === 1
        );
      },
      async get(surveyId) {
        const row = one('SELECT * FROM csat_surveys WHERE survey_id = ?', surveyId);
        return row ? toSurvey(row) : null;
      },
      async update(survey) {
        run(
          `UPDATE csat_surveys SET user_id = ?, operator_id = ?, status = ?, scale = ?, channel = ?, sent_at = ?,
             rating = ?, answered_at = ?, reason = ?, reason_text = ?, reminders_sent = ?, updated_at = ?
             WHERE survey_id = ?`,
          survey.userId,
          survey.operatorId,
          survey.status,
          survey.scale,
          survey.channel,
          survey.sentAt,
          survey.rating,
          survey.answeredAt,
          survey.reason,
          survey.reasonText,
          survey.remindersSent,
          survey.updatedAt,
          survey.surveyId,
        );
      },
      async listByTicket(ticketId) {
        return all(
          'SELECT * FROM csat_surveys WHERE ticket_id = ? ORDER BY created_at, survey_id',
          ticketId,
        ).map(toSurvey);
      },
    },
    claims: {
      async take(claim): Promise<ClaimOutcome> {
        // An expired claim is forgotten: the key may be taken again.
        run('DELETE FROM claims WHERE key = ? AND expires_at <= ?', claim.key, claim.createdAt);
        const inserted = run(
          'INSERT OR IGNORE INTO claims (key, value, owner, created_at, expires_at) VALUES (?, ?, ?, ?, ?)',
          claim.key,
          json(claim.value),
          owner(),
          claim.createdAt,
          claim.expiresAt,
        ).changes;
        if (inserted === 1) return 'taken';
        return one('SELECT owner FROM claims WHERE key = ?', claim.key)?.owner === owner() ? 'mine' : 'held';
      },
      async get(key, now) {
        const row = one('SELECT * FROM claims WHERE key = ? AND expires_at > ?', key, now);
        return row ? toClaim(row, owner()) : null;
      },
      async put(claim) {
        run(
          'INSERT OR REPLACE INTO claims (key, value, owner, created_at, expires_at) VALUES (?, ?, ?, ?, ?)',
          claim.key,
          json(claim.value),
          owner(),
          claim.createdAt,
          claim.expiresAt,
        );
      },
    },
    jobs: {
      async create(job) {
        return (
          run(
            `INSERT OR IGNORE INTO deferred_jobs (job_id, kind, payload, due_at, status, hop, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
            job.jobId,
            job.kind,
            json(job.payload),
            job.dueAt,
            job.status,
            job.hop,
            job.createdAt,
            job.updatedAt,
          ).changes === 1
        );
      },
      async get(jobId) {
        const row = one('SELECT * FROM deferred_jobs WHERE job_id = ?', jobId);
        return row ? toJob(row) : null;
      },
      async update(job) {
        run(
          'UPDATE deferred_jobs SET payload = ?, due_at = ?, status = ?, hop = ?, updated_at = ? WHERE job_id = ?',
          json(job.payload),
          job.dueAt,
          job.status,
          job.hop,
          job.updatedAt,
          job.jobId,
        );
      },
      async listPendingDue(dueBefore, { limit, after }) {
        const rows = after
          ? all(
              `SELECT * FROM deferred_jobs WHERE status = 'pending' AND due_at < ?
                 AND (due_at > ? OR (due_at = ? AND job_id > ?)) ORDER BY due_at, job_id LIMIT ?`,
              dueBefore,
              after.dueAt,
              after.dueAt,
              after.jobId,
              limit,
            )
          : all(
              `SELECT * FROM deferred_jobs WHERE status = 'pending' AND due_at < ? ORDER BY due_at, job_id LIMIT ?`,
              dueBefore,
              limit,
            );
        return rows.map(toJob);
      },
    },
    audit: {
      async append(entry) {
        run(
          `INSERT INTO audit_log (subject, at, entry_id, actor, role, action, details) VALUES (?, ?, ?, ?, ?, ?, ?)`,
          entry.subject,
          entry.at,
          entry.entryId,
          entry.actor,
          entry.role,
          entry.action,
          json(entry.details),
        );
      },
      async listBySubject(subject, limit) {
        return all(
          'SELECT * FROM audit_log WHERE subject = ? ORDER BY at, entry_id LIMIT ?',
          subject,
          limit,
        ).map((row) => ({
          subject: String(row.subject),
          at: Number(row.at),
          entryId: String(row.entry_id),
          actor: String(row.actor),
          role: String(row.role),
          action: String(row.action),
          details: parse(row.details),
        }));
      },
    },
    counters: {
      async next(name) {
        const row = one(
          'INSERT INTO counters (name, value) VALUES (?, 1) ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value',
          name,
        );
        return Number(row?.value);
      },
    },
  };
}
