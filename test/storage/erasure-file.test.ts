import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../lib/storage/sqlite/store';
import { eraseUser, newUserRecord } from '../../lib/users/account';

/** Erasure leaves nothing of the user that the SQLite file or its write-ahead log would give back. */

const MARKER = 'ErasureMarkerZq7w4';

function fileBytes(file: string): string {
  const read = (path: string) => {
    try {
      return readFileSync(path).toString('latin1');
    } catch {
      return '';
    }
  };
  return read(file) + read(`${file}-wal`);
}

describe('erasure in the SQLite file', () => {
  it('overwrites the erased rows: neither the file nor its WAL holds them afterwards', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'erasure-'));
    const file = join(dir, 'local.sqlite');
    const store = new SqliteStore(file);
    try {
      const now = Date.now();
      await store.transaction(async (repositories) => {
        await repositories.users.put(newUserRecord(4242, now, { firstName: MARKER, language: 'ru' }));
        await repositories.dialogs.put({
          peerId: 4242,
          userId: 4242,
          state: 'idle',
          data: { query: `${MARKER} in the dialog` },
          operatorSilentUntil: null,
          updatedAt: now,
        });
        await repositories.events.append([
          {
            userId: 4242,
            eventId: 'e1',
            name: 'app_open',
            occurredAt: now,
            screen: null,
            props: { note: MARKER },
          },
        ]);
      });
      // The marker is on disk (in the file or its log) before the erasure.
      expect(fileBytes(file)).toContain(MARKER);
      await store.transaction((repositories) => eraseUser(repositories, 4242, now));
      await store.afterErasure();
      expect(fileBytes(file)).not.toContain(MARKER);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
