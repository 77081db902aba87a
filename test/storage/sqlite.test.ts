import { SqliteStore } from '../../lib/storage/sqlite/store';
import { describeStoreContract } from './contract';

describeStoreContract('SQLite (in memory)', async () => new SqliteStore(':memory:'));

describe('SQLite store specifics', () => {
  it('refuses a store call nested inside a transaction instead of deadlocking', async () => {
    const store = new SqliteStore(':memory:');
    await expect(store.transaction(() => store.read((r) => r.users.get(1)))).rejects.toThrow(
      /inside a transaction/,
    );
    await store.close();
  });
});
