import type { MigrationVersion } from '../migrations';

/**
 * A step of the YDB schema. `statements` are DDL, run outside transactions and each safe to run
 * again: `CREATE TABLE IF NOT EXISTS`, or an `ALTER TABLE … ADD` whose "already exists" answer
 * counts as done (`alter: true`), since YQL has no `IF NOT EXISTS` for columns and indexes.
 *
 * Keys are chosen for point reads; secondary indexes are `GLOBAL SYNC` so a read in the same
 * transaction sees the write. TTL bounds what need not be kept; YDB deletes expired rows about
 * hourly, so queries also filter on expiry where it matters (claims). \`variant\` is a type keyword
 * in YQL's grammar, so it is always quoted.
 */
export interface YdbMigrationStep {
  version: MigrationVersion;
  statements: readonly string[];
  alter?: true;
}

/** The table that records which steps a database has had. */
export const ydbMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
    version Int32 NOT NULL,
    name Utf8 NOT NULL,
    applied_at Timestamp NOT NULL,
    PRIMARY KEY (version)
  )`;

export const ydbMigrations: readonly YdbMigrationStep[] = [
  {
    version: 1,
    statements: [
      `CREATE TABLE IF NOT EXISTS users (
        user_id Int64 NOT NULL,
        language Utf8,
        messages_allowed Bool,
        notifications_allowed Bool NOT NULL,
        notification_types Json NOT NULL,
        quiet_hours Json,
        first_name Utf8,
        created_at Timestamp NOT NULL,
        updated_at Timestamp NOT NULL,
        PRIMARY KEY (user_id),
        INDEX users_notifiable GLOBAL SYNC ON (notifications_allowed, user_id)
      )`,
      `CREATE TABLE IF NOT EXISTS dialogs (
        peer_id Int64 NOT NULL,
        user_id Int64 NOT NULL,
        state Utf8 NOT NULL,
        data Json NOT NULL,
        operator_silent_until Timestamp,
        updated_at Timestamp NOT NULL,
        PRIMARY KEY (peer_id)
      ) WITH (TTL = Interval("P180D") ON updated_at)`,
      `CREATE TABLE IF NOT EXISTS tickets (
        ticket_id Utf8 NOT NULL,
        number Utf8 NOT NULL,
        user_id Int64,
        channel Utf8 NOT NULL,
        category Utf8 NOT NULL,
        subject Utf8 NOT NULL,
        status Utf8 NOT NULL,
        assignee_id Int64,
        details Json NOT NULL,
        created_at Timestamp NOT NULL,
        updated_at Timestamp NOT NULL,
        PRIMARY KEY (ticket_id),
        INDEX tickets_by_number GLOBAL SYNC ON (number),
        INDEX tickets_by_user GLOBAL SYNC ON (user_id, created_at, ticket_id)
      )`,
      `CREATE TABLE IF NOT EXISTS ticket_messages (
        ticket_id Utf8 NOT NULL,
        seq Int32 NOT NULL,
        author Utf8 NOT NULL,
        author_id Int64,
        text Utf8 NOT NULL,
        attachments Json NOT NULL,
        internal Bool NOT NULL,
        created_at Timestamp NOT NULL,
        PRIMARY KEY (ticket_id, seq)
      )`,
      `CREATE TABLE IF NOT EXISTS ticket_status_changes (
        ticket_id Utf8 NOT NULL,
        seq Int32 NOT NULL,
        from_status Utf8,
        to_status Utf8 NOT NULL,
        changed_by Utf8 NOT NULL,
        changed_at Timestamp NOT NULL,
        PRIMARY KEY (ticket_id, seq)
      )`,
      `CREATE TABLE IF NOT EXISTS events (
        user_id Int64 NOT NULL,
        event_id Utf8 NOT NULL,
        occurred_at Timestamp NOT NULL,
        name Utf8 NOT NULL,
        screen Utf8,
        props Json NOT NULL,
        PRIMARY KEY (user_id, event_id),
        INDEX events_by_time GLOBAL SYNC ON (user_id, occurred_at, event_id)
      ) WITH (TTL = Interval("P180D") ON occurred_at)`,
    ],
  },
  {
    version: 2,
    alter: true,
    statements: [
      'ALTER TABLE tickets ADD INDEX tickets_by_status GLOBAL SYNC ON (status, created_at, ticket_id)',
    ],
  },
  {
    version: 3,
    alter: true,
    statements: ['ALTER TABLE tickets ADD INDEX tickets_by_created GLOBAL SYNC ON (created_at, ticket_id)'],
  },
  {
    version: 4,
    statements: [
      `CREATE TABLE IF NOT EXISTS notifications (
        user_id Int64 NOT NULL,
        day Utf8 NOT NULL,
        kind Utf8 NOT NULL,
        campaign Utf8,
        \`variant\` Utf8,
        slot Int32 NOT NULL,
        text Utf8 NOT NULL,
        status Utf8 NOT NULL,
        created_at Timestamp NOT NULL,
        updated_at Timestamp NOT NULL,
        PRIMARY KEY (user_id, day, slot)
      ) WITH (TTL = Interval("P400D") ON created_at)`,
      `CREATE TABLE IF NOT EXISTS campaign_deliveries (
        user_id Int64 NOT NULL,
        campaign Utf8 NOT NULL,
        day Utf8 NOT NULL,
        \`variant\` Utf8 NOT NULL,
        status Utf8 NOT NULL,
        detail Utf8,
        text Utf8,
        slot Int32,
        send_key Utf8,
        planned_at Timestamp NOT NULL,
        claimed_at Timestamp,
        opened_at Timestamp,
        returned_at Timestamp,
        updated_at Timestamp NOT NULL,
        PRIMARY KEY (user_id, campaign, day),
        INDEX campaign_deliveries_by_day GLOBAL SYNC ON (day, campaign, \`variant\`)
          COVER (status, opened_at, returned_at)
      ) WITH (TTL = Interval("P400D") ON planned_at)`,
      `CREATE TABLE IF NOT EXISTS csat_surveys (
        survey_id Utf8 NOT NULL,
        ticket_id Utf8 NOT NULL,
        user_id Int64,
        operator_id Int64,
        status Utf8 NOT NULL,
        scale Utf8 NOT NULL,
        channel Utf8,
        sent_at Timestamp,
        rating Int32,
        answered_at Timestamp,
        reason Utf8,
        reason_text Utf8,
        reminders_sent Int32 NOT NULL,
        created_at Timestamp NOT NULL,
        updated_at Timestamp NOT NULL,
        PRIMARY KEY (survey_id),
        INDEX csat_surveys_by_ticket GLOBAL SYNC ON (ticket_id)
      )`,
      `CREATE TABLE IF NOT EXISTS claims (
        key Utf8 NOT NULL,
        value Json NOT NULL,
        created_at Timestamp NOT NULL,
        expires_at Timestamp NOT NULL,
        PRIMARY KEY (key)
      ) WITH (TTL = Interval("PT0S") ON expires_at)`,
      `CREATE TABLE IF NOT EXISTS deferred_jobs (
        job_id Utf8 NOT NULL,
        kind Utf8 NOT NULL,
        payload Json NOT NULL,
        due_at Timestamp NOT NULL,
        status Utf8 NOT NULL,
        hop Int32 NOT NULL,
        created_at Timestamp NOT NULL,
        updated_at Timestamp NOT NULL,
        expires_at Timestamp,
        PRIMARY KEY (job_id),
        INDEX deferred_jobs_due GLOBAL SYNC ON (status, due_at, job_id)
      ) WITH (TTL = Interval("P30D") ON expires_at)`,
      `CREATE TABLE IF NOT EXISTS audit_log (
        subject Utf8 NOT NULL,
        at Timestamp NOT NULL,
        entry_id Utf8 NOT NULL,
        actor Utf8 NOT NULL,
        role Utf8 NOT NULL,
        action Utf8 NOT NULL,
        details Json NOT NULL,
        PRIMARY KEY (subject, at, entry_id)
      )`,
      `CREATE TABLE IF NOT EXISTS counters (
        name Utf8 NOT NULL,
        value Int64 NOT NULL,
        PRIMARY KEY (name)
      )`,
    ],
  },
  {
    version: 5,
    alter: true,
    // The owner of a claim: a transaction re-run after an unknown commit recognises its own claims.
    statements: ['ALTER TABLE claims ADD COLUMN owner Utf8'],
  },
  {
    version: 6,
    alter: true,
    // The rescue finds jobs whose hop message was lost by when they were last touched, due or not.
    statements: [
      'ALTER TABLE deferred_jobs ADD INDEX deferred_jobs_stale GLOBAL SYNC ON (status, updated_at, job_id)',
    ],
  },
  {
    version: 7,
    alter: true,
    // The outbox worker takes due replies nobody has claimed yet along with its own, 25 a request.
    statements: [
      'ALTER TABLE deferred_jobs ADD INDEX deferred_jobs_unclaimed GLOBAL SYNC ON (kind, status, hop, due_at, job_id)',
    ],
  },
  {
    version: 8,
    // Who is on shift in which operators' chat, and when the rotation last gave each a ticket.
    statements: [
      `CREATE TABLE IF NOT EXISTS operator_shifts (
        chat_peer_id Int64 NOT NULL,
        operator_id Int64 NOT NULL,
        name Utf8,
        on_since Timestamp NOT NULL,
        last_assigned_at Timestamp,
        PRIMARY KEY (chat_peer_id, operator_id)
      )`,
    ],
  },
  {
    version: 9,
    // The operators' ticket search: a term's tickets newest first by the key, a ticket's terms by
    // the index (erasure and a newly known name replace them). Tickets filed before this step are
    // indexed by `npm run db:backfill-search`.
    statements: [
      `CREATE TABLE IF NOT EXISTS ticket_search (
        term Utf8 NOT NULL,
        created_at Timestamp NOT NULL,
        ticket_id Utf8 NOT NULL,
        PRIMARY KEY (term, created_at, ticket_id),
        INDEX ticket_search_by_ticket GLOBAL SYNC ON (ticket_id)
      )`,
    ],
  },
  {
    version: 10,
    // Journeys: one row per (user, journey, run); a journey's runs by start time for its results.
    statements: [
      `CREATE TABLE IF NOT EXISTS journey_runs (
        user_id Int64 NOT NULL,
        journey Utf8 NOT NULL,
        run_id Utf8 NOT NULL,
        started_at Timestamp NOT NULL,
        step Int32 NOT NULL,
        status Utf8 NOT NULL,
        next_at Timestamp,
        outcomes Json NOT NULL,
        sending Json,
        updated_at Timestamp NOT NULL,
        PRIMARY KEY (user_id, journey, run_id),
        INDEX journey_runs_by_journey GLOBAL SYNC ON (journey, started_at, user_id, run_id)
      )`,
    ],
  },
  {
    version: 11,
    // Admins' incident broadcasts, and who allowed messages through which `message_allow` key.
    statements: [
      `CREATE TABLE IF NOT EXISTS broadcasts (
        broadcast_id Utf8 NOT NULL,
        text Utf8 NOT NULL,
        audience Json NOT NULL,
        channel Utf8 NOT NULL,
        status Utf8 NOT NULL,
        counts Json NOT NULL,
        created_by Utf8 NOT NULL,
        created_at Timestamp NOT NULL,
        updated_at Timestamp NOT NULL,
        PRIMARY KEY (broadcast_id)
      )`,
      `CREATE TABLE IF NOT EXISTS message_subscriptions (
        \`key\` Utf8 NOT NULL,
        user_id Int64 NOT NULL,
        at Timestamp NOT NULL,
        PRIMARY KEY (\`key\`, user_id),
        INDEX message_subscriptions_by_user GLOBAL SYNC ON (user_id)
      )`,
    ],
  },
  {
    version: 12,
    alter: true,
    // The user's own timezone for quiet hours, and when a campaign's goal was reached. The results
    // read a new covering index with `goal_at`: YDB can't add a column to an index's cover. The old
    // `campaign_deliveries_by_day` stays until every instance runs this code; a later step drops it.
    statements: [
      'ALTER TABLE users ADD COLUMN timezone Utf8',
      'ALTER TABLE campaign_deliveries ADD COLUMN goal_at Timestamp',
      'ALTER TABLE campaign_deliveries ADD INDEX campaign_deliveries_results GLOBAL SYNC ON (day, campaign, `variant`) COVER (status, opened_at, returned_at, goal_at)',
    ],
  },
  {
    version: 13,
    alter: true,
    // A journey run's variant (`control` or the treated one) and when its goal was reached. YDB adds
    // columns as nullable: runs from before read as the treated variant `a`.
    statements: [
      'ALTER TABLE journey_runs ADD COLUMN `variant` Utf8',
      'ALTER TABLE journey_runs ADD COLUMN goal_at Timestamp',
    ],
  },
  {
    version: 14,
    alter: true,
    // A campaign delivery's channel (notification or message); rows from before read as notifications.
    statements: ['ALTER TABLE campaign_deliveries ADD COLUMN channel Utf8'],
  },
  {
    version: 15,
    // Each user's daily activity record (retention, DAU/WAU/MAU), NPS answers and the survey's asks.
    statements: [
      `CREATE TABLE IF NOT EXISTS user_activity (
        user_id Int64 NOT NULL,
        first_day Int32 NOT NULL,
        last_day Int32 NOT NULL,
        active_days Utf8 NOT NULL,
        updated_at Timestamp NOT NULL,
        PRIMARY KEY (user_id),
        INDEX user_activity_by_last_day GLOBAL SYNC ON (last_day, user_id)
          COVER (first_day, active_days, updated_at)
      )`,
      `CREATE TABLE IF NOT EXISTS nps_responses (
        user_id Int64 NOT NULL,
        responded_at Timestamp NOT NULL,
        score Int32 NOT NULL,
        comment Utf8,
        source Utf8 NOT NULL,
        PRIMARY KEY (user_id, responded_at),
        INDEX nps_responses_by_time GLOBAL SYNC ON (responded_at, user_id) COVER (score, comment, source)
      )`,
      `CREATE TABLE IF NOT EXISTS nps_surveys (
        user_id Int64 NOT NULL,
        asked_at Timestamp NOT NULL,
        PRIMARY KEY (user_id)
      )`,
    ],
  },
  {
    version: 16,
    alter: true,
    // The admins' audit feed reads every subject's entries by time, newest first; the index covers
    // the entry, so a page is one range read.
    statements: [
      'ALTER TABLE audit_log ADD INDEX audit_log_by_time GLOBAL SYNC ON (at, subject, entry_id) COVER (actor, role, action, details)',
    ],
  },
];
