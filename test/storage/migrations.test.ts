import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { StatusIds_StatusCode as Code, IssueMessageSchema } from '@ydbjs/api/operation';
import { YDBError } from '@ydbjs/error';
import Database from 'better-sqlite3';
import { createLogger } from '../../lib/log/logger';
import { currentSchemaVersion, migrationHistory } from '../../lib/storage/migrations';
import { migrateSqlite, sqliteMigrations } from '../../lib/storage/sqlite/migrations';
import { SqliteStore } from '../../lib/storage/sqlite/store';
import { alreadyThere, migrateYdb, type YdbSchemaTarget } from '../../lib/storage/ydb/migrate';
import { ydbMigrations } from '../../lib/storage/ydb/migrations';
import type { Params, Row } from '../../lib/storage/ydb/statement';
import { delivery } from './yql-statements';

const logger = createLogger({ level: 'error' });
const t0 = Date.parse('2026-11-21T09:00:00Z');
const versions = migrationHistory.map((step) => step.version);

describe('the numbered schema history', () => {
  it('is the same list of steps for YDB and SQLite', () => {
    expect(ydbMigrations.map((step) => step.version)).toEqual(versions);
    expect(sqliteMigrations.map((step) => step.version)).toEqual(versions);
    expect(versions).toEqual(versions.map((_, index) => index + 1));
  });
});

describe('SQLite migrations', () => {
  let folder: string;
  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'migrations-'));
  });
  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  it('upgrades a file from before numbered migrations to the current schema, keeping its rows', async () => {
    const file = join(folder, 'old.sqlite');
    const old = new Database(file);
    old.exec(readFileSync(join(__dirname, 'fixtures', 'sqlite-before-migrations.sql'), 'utf8'));
    old
      .prepare(
        `INSERT INTO notifications (user_id, day, kind, campaign, variant, text, status, created_at, updated_at)
         VALUES (7, '2026-11-20', 'campaign', 'lapsed-week', 'a', 'Привет', 'sent', ?, ?)`,
      )
      .run(t0, t0);
    old
      .prepare(
        `INSERT INTO csat_surveys (survey_id, ticket_id, user_id, operator_id, status, rating, reason, reminders_sent,
           created_at, updated_at) VALUES ('s-1', 't-1', 7, NULL, 'answered', 5, NULL, 0, ?, ?)`,
      )
      .run(t0, t0);
    old
      .prepare(`INSERT INTO claims (key, value, created_at, expires_at) VALUES ('vk-event:1', '{}', ?, ?)`)
      .run(t0, t0 + 60_000);
    old.close();

    const store = new SqliteStore(file);
    const applied = store.db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all();
    expect(applied).toEqual(migrationHistory.map(({ version, name }) => ({ version, name })));
    // The old rows are there, under the new keys and with the new columns' defaults.
    const [kept] = await store.read((r) => r.notifications.listByUser(7, 10));
    expect(kept).toMatchObject({ day: '2026-11-20', slot: 1, variant: 'a', text: 'Привет' });
    expect(await store.read((r) => r.surveys.get('s-1'))).toMatchObject({
      rating: 5,
      scale: 'five',
      reasonText: null,
    });
    expect(await store.read((r) => r.claims.get('vk-event:1', t0))).toMatchObject({ mine: false });
    // And the current code works on it: a second slot the same day, a claim with its owner, deliveries.
    expect(
      await store.transaction((r) =>
        r.notifications.claim({ ...kept!, slot: 2, status: 'claimed', createdAt: t0 + 1, updatedAt: t0 + 1 }),
      ),
    ).toBe(true);
    expect(
      await store.transaction((r) =>
        r.claims.take({ key: 'k', value: {}, createdAt: t0, expiresAt: t0 + 1000 }),
      ),
    ).toBe('taken');
    expect(
      await store.transaction((r) => r.deliveries.plan({ ...delivery, userId: 7, campaign: 'lapsed-week' })),
    ).toBe(true);
    const indexes = (
      store.db.prepare("SELECT name FROM sqlite_master WHERE type = 'index'").all() as Array<{
        name: string;
      }>
    ).map((row) => row.name);
    expect(indexes).toEqual(expect.arrayContaining(['tickets_by_status', 'tickets_by_created']));
    await store.close();
  });

  it('applies only the steps a numbered file has not had, and nothing on the next open', () => {
    const db = new Database(join(folder, 'v4.sqlite'));
    db.exec(
      'CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)',
    );
    for (const step of sqliteMigrations.filter((s) => s.version <= 4)) {
      step.apply(db);
      db.prepare('INSERT INTO schema_migrations VALUES (?, ?, ?)').run(
        step.version,
        `step ${step.version}`,
        t0,
      );
    }
    const columns = () => (db.pragma('table_info(claims)') as Array<{ name: string }>).map((c) => c.name);
    expect(columns()).not.toContain('owner');

    const report = migrateSqlite(db, () => t0);
    expect(report).toEqual({
      applied: migrationHistory
        .filter((step) => step.version > 4)
        .map(({ version, name }) => ({ version, name })),
      alreadyApplied: 4,
      version: currentSchemaVersion,
    });
    expect(columns()).toContain('owner');
    expect(migrateSqlite(db)).toEqual({
      applied: [],
      alreadyApplied: currentSchemaVersion,
      version: currentSchemaVersion,
    });
    db.close();
  });
});

/**
 * A YDB database as the migrator sees it: the DDL it is sent, the versions it has recorded, and the
 * ALTERs whose change it already has (YDB answers those with "already exists").
 */
class FakeYdb implements YdbSchemaTarget {
  sent: string[] = [];
  recorded = new Set<number>();
  existing: RegExp[] = [];
  async scheme(text: string): Promise<void> {
    this.sent.push(text);
    if (text.startsWith('ALTER') && this.existing.some((pattern) => pattern.test(text))) {
      throw new Error('GENERIC_ERROR, Issues: ERROR(2003): index tickets_by_status already exists');
    }
  }
  statements<T>(
    work: (sql: { query(text: string, params?: Params): Promise<Row[][]> }) => Promise<T>,
  ): Promise<T> {
    return work({
      query: async (text, params = {}) => {
        if (text.startsWith('SELECT version'))
          return [[...this.recorded].sort().map((version) => ({ version }))];
        if (text.startsWith('UPSERT INTO schema_migrations')) {
          this.recorded.add(Number((params.$version as unknown as { value: number }).value));
        }
        return [[]];
      },
    });
  }
}

describe('YDB migrations (npm run db:migrate)', () => {
  it('upgrades a database the first db:migrate made, which stopped after six tables', async () => {
    const ydb = new FakeYdb();
    const report = await migrateYdb(ydb, logger, { now: () => t0 });
    expect(report.applied.map((step) => step.version)).toEqual(versions);
    expect([...ydb.recorded].sort((a, b) => a - b)).toEqual(versions);
    expect(ydb.sent).toEqual(
      expect.arrayContaining([
        expect.stringContaining('CREATE TABLE IF NOT EXISTS schema_migrations'),
        'ALTER TABLE tickets ADD INDEX tickets_by_status GLOBAL SYNC ON (status, created_at, ticket_id)',
        expect.stringContaining('CREATE TABLE IF NOT EXISTS notifications'),
        'ALTER TABLE claims ADD COLUMN owner Utf8',
      ]),
    );
  });

  it('runs only what a database at an older version lacks, and nothing the second time', async () => {
    const ydb = new FakeYdb();
    for (const version of [1, 2, 3]) ydb.recorded.add(version);
    const report = await migrateYdb(ydb, logger);
    expect(report.applied.map((step) => step.version)).toEqual(versions.filter((version) => version > 3));
    expect(report.alreadyApplied).toBe(3);
    ydb.sent = [];
    expect((await migrateYdb(ydb, logger)).applied).toEqual([]);
    expect(ydb.sent).toHaveLength(1); // only the idempotent CREATE of schema_migrations
  });

  it('counts an ALTER whose change is already there as done (a crash between the ALTER and its record)', async () => {
    const ydb = new FakeYdb();
    ydb.recorded.add(1);
    ydb.existing.push(/tickets_by_status/);
    const report = await migrateYdb(ydb, logger);
    expect(report.applied.map((step) => step.version)).toEqual(versions.filter((version) => version > 1));
  });

  it('stops at a statement that fails for another reason, recording nothing for that step', async () => {
    const ydb = new FakeYdb();
    ydb.scheme = async (text) => {
      if (text.includes('tickets_by_created')) throw new Error('SCHEME_ERROR: no such table');
    };
    await expect(migrateYdb(ydb, logger)).rejects.toThrow('no such table');
    expect([...ydb.recorded].sort()).toEqual([1, 2]);
  });

  it("recognises YDB's ways of saying the change is already there, and nothing else", () => {
    const nested = create(IssueMessageSchema, {
      message: 'Scheme operation failed',
      issues: [
        create(IssueMessageSchema, {
          message:
            'Check failed: path: /local/tickets/tickets_by_status, error: path exist, request accepts it',
        }),
      ],
    });
    expect(alreadyThere(new YDBError(Code.ALREADY_EXISTS, []))).toBe(true);
    expect(alreadyThere(new YDBError(Code.GENERIC_ERROR, [nested]))).toBe(true);
    expect(
      alreadyThere(
        new YDBError(Code.SCHEME_ERROR, [create(IssueMessageSchema, { message: 'Table not found' })]),
      ),
    ).toBe(false);
    expect(alreadyThere(new Error('connection refused'))).toBe(false);
  });
});
