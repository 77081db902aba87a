import { createLogger } from '../../lib/log/logger';
import type {
  CampaignDeliveryRecord,
  DeferredJobRecord,
  NotificationRecord,
  Repositories,
  SurveyRecord,
  TicketMessageRecord,
  TicketRecord,
  UserRecord,
} from '../../lib/storage/port';
import {
  migrateYdb,
  recordMigration,
  recordMigrationParams,
  selectAppliedMigrations,
} from '../../lib/storage/ydb/migrate';
import { ydbMigrations, ydbMigrationsTable } from '../../lib/storage/ydb/migrations';
import { type Params, type Row, renderStatement, type Statements } from '../../lib/storage/ydb/statement';
import { createRepositories } from '../../lib/storage/ydb/store';

export interface CapturedStatement {
  /** Where it comes from: `tickets.listByUser (cursor)`, `migration 4 #2`. */
  site: string;
  /** Exactly what the adapter sends: DECLAREs, then the text. */
  text: string;
}

const t0 = Date.parse('2026-11-21T09:00:00Z');
const user: UserRecord = {
  userId: 1,
  language: 'ru',
  messagesAllowed: true,
  notificationsAllowed: true,
  notificationTypes: { reminders: true, news: false },
  quietHours: null,
  timezone: null,
  firstName: 'Аня',
  createdAt: t0,
  updatedAt: t0,
} as UserRecord;
const ticket: TicketRecord = {
  ticketId: 't-1',
  number: 'B-1001',
  userId: 1,
  channel: 'chat',
  category: 'payment',
  subject: 'Не проходит оплата',
  status: 'new',
  assigneeId: null,
  details: {},
  createdAt: t0,
  updatedAt: t0,
} as TicketRecord;
const message: TicketMessageRecord = {
  ticketId: 't-1',
  seq: 1,
  author: 'user',
  authorId: 1,
  text: 'hi',
  attachments: [],
  internal: false,
  createdAt: t0,
} as TicketMessageRecord;
const notification: NotificationRecord = {
  userId: 1,
  day: '2026-11-21',
  slot: 1,
  kind: 'campaign',
  campaign: 'quiz-unfinished',
  variant: 'a',
  text: 'Вернитесь',
  status: 'claimed',
  createdAt: t0,
  updatedAt: t0,
} as NotificationRecord;
export const delivery: CampaignDeliveryRecord = {
  userId: 1,
  campaign: 'quiz-unfinished',
  day: '2026-11-21',
  variant: 'a',
  status: 'planned',
  detail: null,
  text: null,
  channel: 'message',
  slot: null,
  sendKey: null,
  plannedAt: t0,
  claimedAt: null,
  openedAt: null,
  returnedAt: null,
  goalAt: null,
  updatedAt: t0,
} as CampaignDeliveryRecord;
const survey: SurveyRecord = {
  surveyId: 's-1',
  ticketId: 't-1',
  userId: 1,
  operatorId: null,
  status: 'scheduled',
  scale: 'five',
  channel: null,
  sentAt: null,
  rating: null,
  answeredAt: null,
  reason: null,
  reasonText: null,
  remindersSent: 0,
  createdAt: t0,
  updatedAt: t0,
} as SurveyRecord;
const job: DeferredJobRecord = {
  jobId: 'csat:t-1:1',
  kind: 'csat',
  payload: {},
  dueAt: t0,
  status: 'pending',
  hop: 0,
  createdAt: t0,
  updatedAt: t0,
};
const claim = { key: 'vk-event:1', value: {}, createdAt: t0, expiresAt: t0 + 1000 };
const cursor = { createdAt: t0, ticketId: 't-0' };

/**
 * Every call of every repository, each branch once (cursor or none). `call` names the method it
 * covers; the capture test checks that no method of `Repositories` is left out.
 */
const calls: Array<{ method: string; branch?: string; run: (r: Repositories) => Promise<unknown> }> = [
  { method: 'users.get', run: (r) => r.users.get(1) },
  { method: 'users.put', run: (r) => r.users.put(user) },
  { method: 'users.delete', run: (r) => r.users.delete(1) },
  { method: 'users.listNotifiable', run: (r) => r.users.listNotifiable({ afterUserId: 0, limit: 1000 }) },
  { method: 'users.listPage', run: (r) => r.users.listPage({ afterUserId: 0, limit: 100 }) },
  { method: 'dialogs.get', run: (r) => r.dialogs.get(1) },
  {
    method: 'dialogs.put',
    run: (r) =>
      r.dialogs.put({
        peerId: 1,
        userId: 1,
        state: 'menu',
        data: {},
        operatorSilentUntil: null,
        updatedAt: t0,
      }),
  },
  { method: 'dialogs.delete', run: (r) => r.dialogs.delete(1) },
  { method: 'tickets.create', run: (r) => r.tickets.create(ticket) },
  { method: 'tickets.get', run: (r) => r.tickets.get('t-1') },
  { method: 'tickets.getByNumber', run: (r) => r.tickets.getByNumber('B-1001') },
  { method: 'tickets.update', run: (r) => r.tickets.update(ticket) },
  { method: 'tickets.listByUser', run: (r) => r.tickets.listByUser(1, { limit: 20 }) },
  {
    method: 'tickets.listByUser',
    branch: 'cursor',
    run: (r) => r.tickets.listByUser(1, { limit: 20, before: cursor }),
  },
  { method: 'tickets.listByStatus', run: (r) => r.tickets.listByStatus('new', { limit: 20 }) },
  {
    method: 'tickets.listByStatus',
    branch: 'cursor',
    run: (r) => r.tickets.listByStatus('new', { limit: 20, before: cursor }),
  },
  {
    method: 'tickets.listCreatedBetween',
    run: (r) => r.tickets.listCreatedBetween({ since: t0, until: t0 + 1, limit: 100 }),
  },
  {
    method: 'tickets.listCreatedBetween',
    branch: 'cursor',
    run: (r) => r.tickets.listCreatedBetween({ since: t0, until: t0 + 1, limit: 100, after: cursor }),
  },
  {
    method: 'tickets.listForUsers',
    run: (r) => r.tickets.listForUsers({ fromUserId: 1, toUserId: 1000, updatedSince: t0 }),
  },
  { method: 'tickets.addMessage', run: (r) => r.tickets.addMessage(message) },
  { method: 'tickets.updateMessage', run: (r) => r.tickets.updateMessage(message) },
  { method: 'tickets.listMessages', run: (r) => r.tickets.listMessages('t-1') },
  {
    method: 'tickets.addStatusChange',
    run: (r) =>
      r.tickets.addStatusChange({
        ticketId: 't-1',
        seq: 1,
        from: null,
        to: 'new',
        changedBy: 'user:1',
        changedAt: t0,
      }),
  },
  { method: 'tickets.listStatusChanges', run: (r) => r.tickets.listStatusChanges('t-1') },
  {
    method: 'events.append',
    run: (r) =>
      r.events.append([
        { userId: 1, eventId: 'e-1', name: 'quiz_start', occurredAt: t0, screen: null, props: {} },
        {
          userId: 1,
          eventId: 'e-2',
          name: 'quiz_finish',
          occurredAt: t0,
          screen: 'quiz',
          props: { score: 3 },
        },
      ]),
  },
  {
    method: 'events.listByUser',
    run: (r) => r.events.listByUser(1, { since: t0, until: t0 + 1, limit: 500 }),
  },
  {
    method: 'events.listForUsers',
    run: (r) =>
      r.events.listForUsers({ fromUserId: 1, toUserId: 1000, since: t0, until: t0 + 1, limit: 5000 }),
  },
  {
    method: 'events.listForUsers',
    branch: 'cursor',
    run: (r) =>
      r.events.listForUsers({
        fromUserId: 1,
        toUserId: 1000,
        since: t0,
        until: t0 + 1,
        limit: 5000,
        after: { userId: 5, occurredAt: t0, eventId: 'e' },
      }),
  },
  { method: 'events.deleteByUser', run: (r) => r.events.deleteByUser(1) },
  { method: 'notifications.claim', run: (r) => r.notifications.claim(notification) },
  {
    method: 'notifications.setStatus',
    run: (r) => r.notifications.setStatus({ userId: 1, day: '2026-11-21', slot: 1 }, 'sent', t0),
  },
  {
    method: 'notifications.release',
    run: (r) => r.notifications.release({ userId: 1, day: '2026-11-21', slot: 1 }),
  },
  { method: 'notifications.listByUser', run: (r) => r.notifications.listByUser(1, 10) },
  {
    method: 'notifications.listForUsers',
    run: (r) => r.notifications.listForUsers({ fromUserId: 1, toUserId: 1000, sinceDay: '2026-11-01' }),
  },
  { method: 'notifications.deleteByUser', run: (r) => r.notifications.deleteByUser(1) },
  { method: 'deliveries.plan', run: (r) => r.deliveries.plan(delivery) },
  {
    method: 'deliveries.get',
    run: (r) => r.deliveries.get({ userId: 1, campaign: 'quiz-unfinished', day: '2026-11-21' }),
  },
  { method: 'deliveries.put', run: (r) => r.deliveries.put(delivery) },
  {
    method: 'deliveries.listForUsers',
    run: (r) => r.deliveries.listForUsers({ fromUserId: 1, toUserId: 1000, sinceDay: '2026-11-01' }),
  },
  { method: 'deliveries.listByUser', run: (r) => r.deliveries.listByUser(1, '2026-11-01') },
  {
    method: 'deliveries.summarize',
    run: (r) => r.deliveries.summarize({ fromDay: '2026-11-01', toDay: '2026-11-30' }),
  },
  { method: 'deliveries.deleteByUser', run: (r) => r.deliveries.deleteByUser(1) },
  { method: 'surveys.create', run: (r) => r.surveys.create(survey) },
  { method: 'surveys.get', run: (r) => r.surveys.get('s-1') },
  { method: 'surveys.update', run: (r) => r.surveys.update(survey) },
  { method: 'surveys.listByTicket', run: (r) => r.surveys.listByTicket('t-1') },
  { method: 'surveys.listByTickets', run: (r) => r.surveys.listByTickets(['t-1', 't-2']) },
  { method: 'claims.take', run: (r) => r.claims.take(claim) },
  { method: 'claims.get', run: (r) => r.claims.get('vk-event:1', t0) },
  { method: 'claims.put', run: (r) => r.claims.put(claim) },
  { method: 'jobs.create', run: (r) => r.jobs.create(job) },
  { method: 'jobs.get', run: (r) => r.jobs.get('csat:t-1:1') },
  { method: 'jobs.update', run: (r) => r.jobs.update(job) },
  { method: 'jobs.update', branch: 'done', run: (r) => r.jobs.update({ ...job, status: 'done' }) },
  { method: 'jobs.listPendingStale', run: (r) => r.jobs.listPendingStale(t0, { limit: 100 }) },
  {
    method: 'jobs.listPendingStale',
    branch: 'cursor',
    run: (r) => r.jobs.listPendingStale(t0, { limit: 100, after: { updatedAt: t0, jobId: 'j' } }),
  },
  { method: 'jobs.listUnclaimedDue', run: (r) => r.jobs.listUnclaimedDue('vk-message', t0, 25) },
  { method: 'counters.next', run: (r) => r.counters.next('ticket-number') },
  {
    method: 'audit.append',
    run: (r) =>
      r.audit.append({
        subject: 'ticket:t-1',
        at: t0,
        entryId: 'a-1',
        actor: 'operator:1',
        role: 'operator',
        action: 'ticket.assign',
        details: {},
      }),
  },
  { method: 'audit.listBySubject', run: (r) => r.audit.listBySubject('ticket:t-1', 100) },
  { method: 'audit.listBetween', run: (r) => r.audit.listBetween({ since: 0, until: t0, limit: 50 }) },
  {
    method: 'audit.listBetween',
    branch: 'cursor',
    run: (r) =>
      r.audit.listBetween({
        since: 0,
        until: t0,
        before: { at: t0 - 1, subject: 'user:abc', entryId: 'a-1' },
        limit: 50,
      }),
  },
  {
    method: 'ticketSearch.add',
    run: (r) =>
      r.ticketSearch.add([
        { term: 'name:а', createdAt: t0, ticketId: 't-1' },
        { term: 'contact:+79001234567', createdAt: t0, ticketId: 't-1' },
      ]),
  },
  {
    method: 'ticketSearch.remove',
    run: (r) => r.ticketSearch.remove([{ term: 'name:а', createdAt: t0, ticketId: 't-1' }]),
  },
  { method: 'ticketSearch.listByTicket', run: (r) => r.ticketSearch.listByTicket('t-1') },
  { method: 'ticketSearch.listTickets', run: (r) => r.ticketSearch.listTickets('name:ан', { limit: 50 }) },
  {
    method: 'ticketSearch.listTickets',
    branch: 'cursor',
    run: (r) => r.ticketSearch.listTickets('name:ан', { limit: 50, before: cursor }),
  },
  { method: 'shifts.get', run: (r) => r.shifts.get(2_000_000_002, 7) },
  {
    method: 'shifts.put',
    run: (r) =>
      r.shifts.put({
        chatPeerId: 2_000_000_002,
        operatorId: 7,
        name: 'Ира',
        onSince: t0,
        lastAssignedAt: null,
      }),
  },
  { method: 'shifts.delete', run: (r) => r.shifts.delete(2_000_000_002, 7) },
  { method: 'shifts.listByChat', run: (r) => r.shifts.listByChat(2_000_000_002, 50) },
  { method: 'journeys.get', run: (r) => r.journeys.get(42, 'quiz-dropout', 'e-1') },
  {
    method: 'journeys.put',
    run: (r) =>
      r.journeys.put({
        userId: 42,
        journey: 'quiz-dropout',
        runId: 'e-1',
        startedAt: t0,
        variant: 'a',
        goalAt: null,
        step: 0,
        status: 'active',
        nextAt: t0 + 3_600_000,
        outcomes: [],
        sending: { step: 0, channel: 'message', key: 'journey:k', text: 'Привет', slot: null, claimedAt: t0 },
        updatedAt: t0,
      }),
  },
  { method: 'journeys.findActive', run: (r) => r.journeys.findActive(42, 'quiz-dropout') },
  {
    method: 'journeys.listByUser',
    run: (r) => r.journeys.listByUser(42, 'quiz-dropout', { since: t0, limit: 50 }),
  },
  {
    method: 'journeys.listByJourney',
    run: (r) => r.journeys.listByJourney('quiz-dropout', { since: t0, until: t0 + 86_400_000, limit: 100 }),
  },
  {
    method: 'journeys.listByJourney',
    branch: 'after',
    run: (r) =>
      r.journeys.listByJourney('quiz-dropout', {
        since: t0,
        until: t0 + 86_400_000,
        limit: 100,
        after: { startedAt: t0, userId: 42, runId: 'e-1' },
      }),
  },
  { method: 'journeys.deleteByUser', run: (r) => r.journeys.deleteByUser(42) },
  {
    method: 'broadcasts.create',
    run: (r) =>
      r.broadcasts.create({
        broadcastId: 'b-1',
        text: 'Оплата временно не работает',
        audience: 'all',
        channel: 'auto',
        status: 'sending',
        counts: {},
        createdBy: 'operator:1',
        createdAt: t0,
        updatedAt: t0,
      }),
  },
  { method: 'broadcasts.get', run: (r) => r.broadcasts.get('b-1') },
  {
    method: 'broadcasts.update',
    run: (r) =>
      r.broadcasts.update({
        broadcastId: 'b-1',
        text: 'Оплата временно не работает',
        audience: { key: 'promo' },
        channel: 'message',
        status: 'done',
        counts: { sent: 1 },
        createdBy: 'operator:1',
        createdAt: t0,
        updatedAt: t0,
      }),
  },
  {
    method: 'messageSubscriptions.put',
    run: (r) => r.messageSubscriptions.put({ key: 'promo', userId: 42, at: t0 }),
  },
  {
    method: 'messageSubscriptions.listByKey',
    run: (r) => r.messageSubscriptions.listByKey('promo', { afterUserId: 0, limit: 100 }),
  },
  { method: 'messageSubscriptions.deleteByUser', run: (r) => r.messageSubscriptions.deleteByUser(42) },
  { method: 'activity.get', run: (r) => r.activity.get(42) },
  {
    method: 'activity.put',
    run: (r) =>
      r.activity.put({ userId: 42, firstDay: 20_400, lastDay: 20_407, activeDays: 'gQ==', updatedAt: t0 }),
  },
  { method: 'activity.listActiveSince', run: (r) => r.activity.listActiveSince(20_400, { limit: 2000 }) },
  {
    method: 'activity.listActiveSince (after)',
    run: (r) => r.activity.listActiveSince(20_400, { after: { lastDay: 20_401, userId: 42 }, limit: 2000 }),
  },
  { method: 'activity.deleteByUser', run: (r) => r.activity.deleteByUser(42) },
  {
    method: 'nps.put',
    run: (r) => r.nps.put({ userId: 42, respondedAt: t0, score: 9, comment: 'Удобно', source: 'app' }),
  },
  { method: 'nps.latestByUser', run: (r) => r.nps.latestByUser(42) },
  { method: 'nps.listByUser', run: (r) => r.nps.listByUser(42, 1000) },
  { method: 'nps.delete', run: (r) => r.nps.delete(42, t0) },
  { method: 'nps.listBetween', run: (r) => r.nps.listBetween({ since: t0, until: t0 + 1, limit: 1000 }) },
  {
    method: 'nps.listBetween (after)',
    run: (r) =>
      r.nps.listBetween({ since: t0, until: t0 + 1, after: { respondedAt: t0, userId: 42 }, limit: 1000 }),
  },
  { method: 'nps.askedAt', run: (r) => r.nps.askedAt(42) },
  { method: 'nps.markAsked', run: (r) => r.nps.markAsked(42, t0) },
  { method: 'nps.deleteByUser', run: (r) => r.nps.deleteByUser(42) },
];

/** Statements that answer with no rows, recorded as they would be sent. */
class Recorder implements Statements {
  readonly captured: CapturedStatement[] = [];
  site = '';
  async query(text: string, params: Params = {}): Promise<Row[][]> {
    this.captured.push({ site: this.site, text: renderStatement(text, params) });
    return [[]];
  }
}

/** Every statement the YDB adapter can send, and the repository methods the calls covered. */
export async function captureYdbStatements(): Promise<{
  statements: CapturedStatement[];
  covered: Set<string>;
  methods: string[];
}> {
  const recorder = new Recorder();
  const repositories = createRepositories(recorder, 'owner-1');
  const covered = new Set<string>();
  for (const call of calls) {
    recorder.site = call.branch ? `${call.method} (${call.branch})` : call.method;
    await call.run(repositories);
    covered.add(call.method);
  }
  const methods = Object.entries(repositories).flatMap(([name, repository]) =>
    Object.keys(repository).map((method) => `${name}.${method}`),
  );

  // The migrations, as `db:migrate` sends them to a database that has none of them.
  const schema: CapturedStatement[] = [];
  recorder.site = 'migrations';
  await migrateYdb(
    {
      scheme: async (text) => {
        schema.push({ site: 'migrations', text });
      },
      statements: (work) => work(recorder),
    },
    createLogger({ level: 'error' }),
    { now: () => t0 },
  );
  const listed = [
    { site: 'schema_migrations table', text: ydbMigrationsTable },
    { site: 'schema_migrations read', text: renderStatement(selectAppliedMigrations) },
    {
      site: 'schema_migrations record',
      text: renderStatement(recordMigration, recordMigrationParams({ version: 1, name: 'x' }, t0)),
    },
    ...ydbMigrations.flatMap((step) =>
      step.statements.map((text, index) => ({ site: `migration ${step.version} #${index + 1}`, text })),
    ),
  ];
  return { statements: [...listed, ...schema, ...recorder.captured], covered, methods };
}
