import type Database from 'better-sqlite3';
import { type MigrationReport, type MigrationVersion, migrationHistory } from '../migrations';

/**
 * A step of the embedded schema: the same tables, keys and indexes as YDB's step of the same number
 * (lib/storage/ydb/migrations.ts), in SQLite's dialect, where expiry is a column the queries filter
 * on. Each step runs in a transaction with its record in `schema_migrations`, and finds what an older
 * local file already has (files from before numbering began go through every step).
 */
export interface SqliteMigrationStep {
  version: MigrationVersion;
  apply(db: Database.Database): void;
}

export const sqliteMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at INTEGER NOT NULL
)`;

const hasColumn = (db: Database.Database, table: string, column: string) =>
  (db.pragma(`table_info(${table})`) as Array<{ name: string }>).some((existing) => existing.name === column);

const addColumn = (db: Database.Database, table: string, column: string, definition: string) => {
  if (!hasColumn(db, table, column)) db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${definition}`);
};

const notificationsTable = `
CREATE TABLE IF NOT EXISTS notifications (
  user_id INTEGER NOT NULL,
  day TEXT NOT NULL,
  kind TEXT NOT NULL,
  campaign TEXT,
  variant TEXT,
  text TEXT NOT NULL,
  slot INTEGER NOT NULL DEFAULT 1,
  status TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (user_id, day, slot)
);`;

export const sqliteMigrations: readonly SqliteMigrationStep[] = [
  {
    version: 1,
    apply: (db) =>
      db.exec(`
CREATE TABLE IF NOT EXISTS users (
  user_id INTEGER PRIMARY KEY,
  language TEXT,
  messages_allowed INTEGER,
  notifications_allowed INTEGER NOT NULL,
  notification_types TEXT NOT NULL,
  quiet_hours TEXT,
  first_name TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS users_notifiable ON users (notifications_allowed, user_id);

CREATE TABLE IF NOT EXISTS dialogs (
  peer_id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL,
  state TEXT NOT NULL,
  data TEXT NOT NULL,
  operator_silent_until INTEGER,
  updated_at INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS tickets (
  ticket_id TEXT PRIMARY KEY,
  number TEXT NOT NULL UNIQUE,
  user_id INTEGER,
  channel TEXT NOT NULL,
  category TEXT NOT NULL,
  subject TEXT NOT NULL,
  status TEXT NOT NULL,
  assignee_id INTEGER,
  details TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS tickets_by_user ON tickets (user_id, created_at DESC, ticket_id DESC);

CREATE TABLE IF NOT EXISTS ticket_messages (
  ticket_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  author TEXT NOT NULL,
  author_id INTEGER,
  text TEXT NOT NULL,
  attachments TEXT NOT NULL,
  internal INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (ticket_id, seq)
);

CREATE TABLE IF NOT EXISTS ticket_status_changes (
  ticket_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  from_status TEXT,
  to_status TEXT NOT NULL,
  changed_by TEXT NOT NULL,
  changed_at INTEGER NOT NULL,
  PRIMARY KEY (ticket_id, seq)
);

CREATE TABLE IF NOT EXISTS events (
  user_id INTEGER NOT NULL,
  occurred_at INTEGER NOT NULL,
  event_id TEXT NOT NULL,
  name TEXT NOT NULL,
  screen TEXT,
  props TEXT NOT NULL,
  PRIMARY KEY (user_id, occurred_at, event_id)
);
CREATE UNIQUE INDEX IF NOT EXISTS events_by_id ON events (user_id, event_id);
`),
  },
  {
    version: 2,
    apply: (db) =>
      db.exec(
        'CREATE INDEX IF NOT EXISTS tickets_by_status ON tickets (status, created_at DESC, ticket_id DESC)',
      ),
  },
  {
    version: 3,
    apply: (db) =>
      db.exec('CREATE INDEX IF NOT EXISTS tickets_by_created ON tickets (created_at, ticket_id)'),
  },
  {
    version: 4,
    apply: (db) => {
      // Files from before the daily cap became configurable key notifications by (user, day): rebuild
      // the table under (user, day, slot), keeping its rows as each day's first slot.
      const oldNotifications = db
        .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'notifications'")
        .get();
      if (oldNotifications && !hasColumn(db, 'notifications', 'slot')) {
        db.exec('ALTER TABLE notifications RENAME TO old_notifications');
        db.exec(notificationsTable);
        db.exec(`INSERT INTO notifications (user_id, day, slot, kind, campaign, variant, text, status, created_at, updated_at)
          SELECT user_id, day, 1, kind, campaign, variant, text, status, created_at, updated_at FROM old_notifications`);
        db.exec('DROP TABLE old_notifications');
      }
      db.exec(`
${notificationsTable}

CREATE TABLE IF NOT EXISTS campaign_deliveries (
  user_id INTEGER NOT NULL,
  campaign TEXT NOT NULL,
  day TEXT NOT NULL,
  variant TEXT NOT NULL,
  status TEXT NOT NULL,
  detail TEXT,
  text TEXT,
  slot INTEGER,
  send_key TEXT,
  planned_at INTEGER NOT NULL,
  claimed_at INTEGER,
  opened_at INTEGER,
  returned_at INTEGER,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (user_id, campaign, day)
);
CREATE INDEX IF NOT EXISTS campaign_deliveries_by_day ON campaign_deliveries (day, campaign, variant);

CREATE TABLE IF NOT EXISTS csat_surveys (
  survey_id TEXT PRIMARY KEY,
  ticket_id TEXT NOT NULL,
  user_id INTEGER,
  operator_id INTEGER,
  status TEXT NOT NULL,
  scale TEXT NOT NULL,
  channel TEXT,
  sent_at INTEGER,
  rating INTEGER,
  answered_at INTEGER,
  reason TEXT,
  reason_text TEXT,
  reminders_sent INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS csat_surveys_by_ticket ON csat_surveys (ticket_id);

CREATE TABLE IF NOT EXISTS claims (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS deferred_jobs (
  job_id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  payload TEXT NOT NULL,
  due_at INTEGER NOT NULL,
  status TEXT NOT NULL,
  hop INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS deferred_jobs_due ON deferred_jobs (status, due_at, job_id);

CREATE TABLE IF NOT EXISTS audit_log (
  subject TEXT NOT NULL,
  at INTEGER NOT NULL,
  entry_id TEXT NOT NULL,
  actor TEXT NOT NULL,
  role TEXT NOT NULL,
  action TEXT NOT NULL,
  details TEXT NOT NULL,
  PRIMARY KEY (subject, at, entry_id)
);

CREATE TABLE IF NOT EXISTS counters (
  name TEXT PRIMARY KEY,
  value INTEGER NOT NULL
);
`);
      // Survey columns added with the CSAT follow-up.
      addColumn(db, 'csat_surveys', 'scale', "TEXT NOT NULL DEFAULT 'five'");
      addColumn(db, 'csat_surveys', 'channel', 'TEXT');
      addColumn(db, 'csat_surveys', 'sent_at', 'INTEGER');
      addColumn(db, 'csat_surveys', 'answered_at', 'INTEGER');
      addColumn(db, 'csat_surveys', 'reason_text', 'TEXT');
    },
  },
  {
    version: 5,
    apply: (db) => addColumn(db, 'claims', 'owner', 'TEXT'),
  },
  {
    version: 6,
    apply: (db) =>
      db.exec('CREATE INDEX IF NOT EXISTS deferred_jobs_stale ON deferred_jobs (status, updated_at, job_id)'),
  },
  {
    version: 7,
    apply: (db) =>
      db.exec(
        'CREATE INDEX IF NOT EXISTS deferred_jobs_unclaimed ON deferred_jobs (kind, status, hop, due_at, job_id)',
      ),
  },
  {
    version: 8,
    apply: (db) =>
      db.exec(`
CREATE TABLE IF NOT EXISTS operator_shifts (
  chat_peer_id INTEGER NOT NULL,
  operator_id INTEGER NOT NULL,
  name TEXT,
  on_since INTEGER NOT NULL,
  last_assigned_at INTEGER,
  PRIMARY KEY (chat_peer_id, operator_id)
);`),
  },
  {
    version: 9,
    // The operators' ticket search: a term's tickets newest first by the key, a ticket's terms by
    // the index (erasure and a newly known name replace them). Tickets filed before this step are
    // indexed by `npm run db:backfill-search`.
    apply: (db) =>
      db.exec(`
CREATE TABLE IF NOT EXISTS ticket_search (
  term TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  ticket_id TEXT NOT NULL,
  PRIMARY KEY (term, created_at, ticket_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS ticket_search_by_ticket ON ticket_search (ticket_id);`),
  },
  {
    version: 10,
    // Journeys: one row per (user, journey, run); a journey's runs by start time for its results.
    apply: (db) =>
      db.exec(`
CREATE TABLE IF NOT EXISTS journey_runs (
  user_id INTEGER NOT NULL,
  journey TEXT NOT NULL,
  run_id TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  step INTEGER NOT NULL,
  status TEXT NOT NULL,
  next_at INTEGER,
  outcomes TEXT NOT NULL,
  sending TEXT,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (user_id, journey, run_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS journey_runs_by_journey ON journey_runs (journey, started_at, user_id, run_id);`),
  },
  {
    version: 11,
    // Admins' incident broadcasts, and who allowed messages through which `message_allow` key.
    apply: (db) =>
      db.exec(`
CREATE TABLE IF NOT EXISTS broadcasts (
  broadcast_id TEXT PRIMARY KEY,
  text TEXT NOT NULL,
  audience TEXT NOT NULL,
  channel TEXT NOT NULL,
  status TEXT NOT NULL,
  counts TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS message_subscriptions (
  key TEXT NOT NULL,
  user_id INTEGER NOT NULL,
  at INTEGER NOT NULL,
  PRIMARY KEY (key, user_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS message_subscriptions_by_user ON message_subscriptions (user_id);`),
  },
  {
    version: 12,
    // The user's own timezone for quiet hours, and when a campaign's goal was reached (results).
    apply: (db) => {
      addColumn(db, 'users', 'timezone', 'TEXT');
      addColumn(db, 'campaign_deliveries', 'goal_at', 'INTEGER');
    },
  },
  {
    version: 13,
    // A journey run's variant (`control` or the treated one) and when its goal was reached (results).
    // Runs from before read as the treated variant `a`.
    apply: (db) => {
      addColumn(db, 'journey_runs', 'variant', "TEXT NOT NULL DEFAULT 'a'");
      addColumn(db, 'journey_runs', 'goal_at', 'INTEGER');
    },
  },
  {
    version: 14,
    // A campaign delivery's channel (notification or message); rows from before read as notifications.
    apply: (db) => addColumn(db, 'campaign_deliveries', 'channel', 'TEXT'),
  },
  {
    version: 15,
    // Each user's daily activity record (retention, DAU/WAU/MAU), NPS answers and the survey's asks.
    apply: (db) =>
      db.exec(`
CREATE TABLE IF NOT EXISTS user_activity (
  user_id INTEGER PRIMARY KEY,
  first_day INTEGER NOT NULL,
  last_day INTEGER NOT NULL,
  active_days TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS user_activity_by_last_day ON user_activity (last_day, user_id);
CREATE TABLE IF NOT EXISTS nps_responses (
  user_id INTEGER NOT NULL,
  responded_at INTEGER NOT NULL,
  score INTEGER NOT NULL,
  comment TEXT,
  source TEXT NOT NULL,
  PRIMARY KEY (user_id, responded_at)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS nps_responses_by_time ON nps_responses (responded_at, user_id);
CREATE TABLE IF NOT EXISTS nps_surveys (
  user_id INTEGER PRIMARY KEY,
  asked_at INTEGER NOT NULL
);`),
  },
  {
    version: 16,
    // The admins' audit feed reads every subject's entries by time, newest first.
    apply: (db) =>
      db.exec('CREATE INDEX IF NOT EXISTS audit_log_by_time ON audit_log (at, subject, entry_id)'),
  },
];

/** Applies the steps the file has not had, each in a transaction with its record. */
export function migrateSqlite(db: Database.Database, now: () => number = Date.now): MigrationReport {
  db.exec(sqliteMigrationsTable);
  const done = new Set(
    (db.prepare('SELECT version FROM schema_migrations').all() as Array<{ version: number }>).map(
      (row) => row.version,
    ),
  );
  const steps = new Map<number, SqliteMigrationStep>(sqliteMigrations.map((step) => [step.version, step]));
  const report: MigrationReport = { applied: [], alreadyApplied: 0, version: 0 };
  for (const { version, name } of migrationHistory) {
    if (!done.has(version)) {
      const step = steps.get(version);
      if (!step) throw new Error(`SQLite migration ${version} (${name}) has no step`);
      db.transaction(() => {
        step.apply(db);
        db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
          version,
          name,
          now(),
        );
      })();
      report.applied.push({ version, name });
    } else report.alreadyApplied++;
    report.version = version;
  }
  return report;
}
