/**
 * The embedded schema: the same tables, keys and indexes as the YDB schema
 * (lib/storage/ydb/schema.ts), in SQLite's dialect. Expiry is a column the queries filter on.
 */
export const sqliteSchema = `
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
CREATE INDEX IF NOT EXISTS tickets_by_status ON tickets (status, created_at DESC, ticket_id DESC);
CREATE INDEX IF NOT EXISTS tickets_by_created ON tickets (created_at, ticket_id);

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
);

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
`;

/**
 * Columns added to a table after it first shipped. `CREATE TABLE IF NOT EXISTS` leaves an existing
 * local file as it was, so the store adds what is missing when it opens one (`npm start` on an
 * older `.data/`).
 */
export const sqliteAddedColumns: ReadonlyArray<readonly [table: string, column: string, definition: string]> =
  [
    ['csat_surveys', 'scale', "TEXT NOT NULL DEFAULT 'five'"],
    ['csat_surveys', 'channel', 'TEXT'],
    ['csat_surveys', 'sent_at', 'INTEGER'],
    ['csat_surveys', 'answered_at', 'INTEGER'],
    ['csat_surveys', 'reason_text', 'TEXT'],
  ];

/**
 * Tables whose primary key changed after they first shipped: an older local file has the table
 * without `column`, so the store rebuilds it under the new key, keeping its rows.
 */
export const sqliteRekeyedTables: ReadonlyArray<{ table: string; column: string; copy: string }> = [
  {
    // The daily cap became configurable: the key gained the slot (a day's n-th notification).
    table: 'notifications',
    column: 'slot',
    copy: `INSERT INTO notifications (user_id, day, slot, kind, campaign, variant, text, status, created_at, updated_at)
           SELECT user_id, day, 1, kind, campaign, variant, text, status, created_at, updated_at FROM old_notifications`,
  },
];
