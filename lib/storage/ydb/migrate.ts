import { StatusIds_StatusCode } from '@ydbjs/api/operation';
import type { Logger } from '../../log/logger';
import { type MigrationReport, migrationHistory } from '../migrations';
import { type YdbMigrationStep, ydbMigrations, ydbMigrationsTable } from './migrations';
import type { Params, Statements } from './statement';
import { yv } from './values';

export const selectAppliedMigrations = 'SELECT version FROM schema_migrations ORDER BY version';
export const recordMigration = `UPSERT INTO schema_migrations (version, name, applied_at)
  VALUES ($version, $name, $applied_at)`;
export const recordMigrationParams = (step: { version: number; name: string }, at: number): Params => ({
  $version: yv.int32(step.version),
  $name: yv.text(step.name),
  $applied_at: yv.time(at),
});

/** What the migrator needs of a YDB database: DDL outside transactions, statements inside one. */
export interface YdbSchemaTarget {
  scheme(text: string): Promise<void>;
  statements<T>(work: (sql: Statements) => Promise<T>): Promise<T>;
}

/**
 * YDB's answer to an ALTER that adds what is there already: the ALREADY_EXISTS status, or a scheme
 * error whose issues (nested, and not all in the message) say the path or column exists.
 */
export function alreadyThere(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const { code, issues } = error as { code?: unknown; issues?: unknown };
  if (code === StatusIds_StatusCode.ALREADY_EXISTS) return true;
  const said = `${error.message} ${JSON.stringify(issues ?? [])}`;
  return /already exists|path exist|is already/i.test(said);
}

/**
 * Applies the steps a database has not had, in order, and records each as it completes. Safe to run
 * again and after a crash mid-step: a step's statements find what they made and keep it. A database
 * made before numbering began (no `schema_migrations`) goes through every step.
 */
export async function migrateYdb(
  target: YdbSchemaTarget,
  logger: Logger,
  options: { now?: () => number } = {},
): Promise<MigrationReport> {
  const now = options.now ?? Date.now;
  await target.scheme(ydbMigrationsTable);
  const done = new Set(
    await target.statements(async (sql) =>
      ((await sql.query(selectAppliedMigrations))[0] ?? []).map((row) => Number(row.version)),
    ),
  );
  const steps = new Map<number, YdbMigrationStep>(ydbMigrations.map((step) => [step.version, step]));
  const report: MigrationReport = { applied: [], alreadyApplied: 0, version: 0 };
  for (const { version, name } of migrationHistory) {
    if (done.has(version)) {
      report.alreadyApplied++;
      report.version = version;
      continue;
    }
    const step = steps.get(version);
    if (!step) throw new Error(`YDB migration ${version} (${name}) has no statements`);
    for (const statement of step.statements) {
      try {
        await target.scheme(statement);
      } catch (error) {
        if (!(step.alter && alreadyThere(error))) throw error;
        logger.info('migration statement found its change already made', { version, name });
      }
    }
    await target.statements((sql) =>
      sql.query(recordMigration, recordMigrationParams({ version, name }, now())),
    );
    logger.info('migration applied', { version, name });
    report.applied.push({ version, name });
    report.version = version;
  }
  return report;
}
