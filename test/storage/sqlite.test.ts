import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteStore } from '../../lib/storage/sqlite/store';
import { describeStoreContract } from './contract';
import { describeAnalyticsContract } from './contract-analytics';
import { describeEngagementContract } from './contract-engagement';
import { describeOutreachContract } from './contract-outreach';

describeStoreContract('SQLite (in memory)', async () => new SqliteStore(':memory:'));
describeEngagementContract('SQLite (in memory)', async () => new SqliteStore(':memory:'));
describeOutreachContract('SQLite (in memory)', async () => new SqliteStore(':memory:'));
describeAnalyticsContract('SQLite (in memory)', async () => new SqliteStore(':memory:'));

describe('SQLite store specifics', () => {
  it('refuses a store call nested inside a transaction instead of deadlocking', async () => {
    const store = new SqliteStore(':memory:');
    await expect(store.transaction(() => store.read((r) => r.users.get(1)))).rejects.toThrow(
      /inside a transaction/,
    );
    await store.close();
  });

  it('adds the columns a table gained since an older local file was created, keeping its rows', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'sqlite-upgrade-')), 'old.sqlite');
    const old = new Database(file);
    old.exec(`CREATE TABLE csat_surveys (survey_id TEXT PRIMARY KEY, ticket_id TEXT NOT NULL, user_id INTEGER,
      operator_id INTEGER, status TEXT NOT NULL, rating INTEGER, reason TEXT, reminders_sent INTEGER NOT NULL,
      created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL)`);
    old.exec(`INSERT INTO csat_surveys VALUES ('csat:t:1', 't', 5, 7, 'answered', 4, NULL, 0, 1, 2)`);
    old.close();
    const store = new SqliteStore(file);
    expect(await store.read((r) => r.surveys.get('csat:t:1'))).toMatchObject({
      rating: 4,
      scale: 'five',
      channel: null,
      sentAt: null,
      reasonText: null,
    });
    await store.close();
    // Opening it again changes nothing.
    await new SqliteStore(file).close();
  });

  it('rebuilds a table whose key changed (notifications gained the daily slot), keeping its rows', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'sqlite-rekey-')), 'old.sqlite');
    const old = new Database(file);
    old.exec(`CREATE TABLE notifications (user_id INTEGER NOT NULL, day TEXT NOT NULL, kind TEXT NOT NULL,
      campaign TEXT, variant TEXT, text TEXT NOT NULL, status TEXT NOT NULL, created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL, PRIMARY KEY (user_id, day))`);
    old.exec(
      `INSERT INTO notifications VALUES (5, '2026-06-01', 'ticket_update', NULL, NULL, 'Ответ готов', 'sent', 1, 2)`,
    );
    old.close();
    const store = new SqliteStore(file);
    expect(await store.read((r) => r.notifications.listByUser(5, 5))).toEqual([
      expect.objectContaining({ day: '2026-06-01', slot: 1, status: 'sent', text: 'Ответ готов' }),
    ]);
    // The new key takes a second slot of the same day.
    expect(
      await store.transaction((r) =>
        r.notifications.claim({
          userId: 5,
          day: '2026-06-01',
          slot: 2,
          kind: 'campaign',
          campaign: 'c',
          variant: 'a',
          text: 'x',
          status: 'claimed',
          createdAt: 3,
          updatedAt: 3,
        }),
      ),
    ).toBe(true);
    await store.close();
    await new SqliteStore(file).close();
  });
});
