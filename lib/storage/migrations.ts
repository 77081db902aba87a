/**
 * The numbered history of the schema, one list for both adapters: YDB (lib/storage/ydb/migrations.ts)
 * and SQLite (lib/storage/sqlite/migrations.ts) each give every step in their dialect, and a test
 * holds them to this list. A step is never edited after it ships: a change is a new step.
 *
 * Steps 1–4 are the schema as it grew before numbering began; a database made then (YDB: the first
 * `db:migrate` stopped at `notifications`, after the first six tables; SQLite: any older `.data/`
 * file) is brought up by the same steps, each of which finds what is already there and keeps it.
 */
export const migrationHistory = [
  { version: 1, name: 'users_dialogs_tickets_events' },
  { version: 2, name: 'tickets_by_status_index' },
  { version: 3, name: 'tickets_by_created_index' },
  { version: 4, name: 'notifications_campaigns_csat_claims_jobs_audit_counters' },
  { version: 5, name: 'claims_owner' },
  { version: 6, name: 'deferred_jobs_stale_index' },
  { version: 7, name: 'deferred_jobs_unclaimed_index' },
  { version: 8, name: 'operator_shifts' },
  { version: 9, name: 'ticket_search' },
  { version: 10, name: 'journey_runs' },
  { version: 11, name: 'broadcasts_message_subscriptions' },
  { version: 12, name: 'user_timezone_delivery_goals' },
  { version: 13, name: 'journey_runs_variant_goal' },
  { version: 14, name: 'campaign_deliveries_channel' },
  { version: 15, name: 'user_activity_nps' },
  { version: 16, name: 'audit_log_by_time_index' },
] as const;

export type MigrationVersion = (typeof migrationHistory)[number]['version'];

/** The version a fully migrated database is at. */
export const currentSchemaVersion: number = Math.max(...migrationHistory.map((step) => step.version));

/** What a migration run did, step by step, for the script to print. */
export interface MigrationReport {
  applied: Array<{ version: number; name: string }>;
  alreadyApplied: number;
  version: number;
}
