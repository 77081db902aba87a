import type { ActivityRecord, Store } from '../../lib/storage/port';
import { contractFixtures } from './contract-fixtures';

/**
 * The storage port's contract for the analytics aggregates: the users' daily activity records and
 * NPS answers with the survey's asks. Run against every adapter beside the core contract. Days and
 * times are unique per run, so a shared database may hold other rows.
 */
export function describeAnalyticsContract(adapterName: string, openStore: () => Promise<Store>): void {
  describe(`storage contract (activity, NPS): ${adapterName}`, () => {
    let store: Store;
    const { freshId, t0 } = contractFixtures();
    // A stretch of days (and of time) no other run uses: far ahead, random per run.
    const baseDay = 200_000 + Math.floor(Math.random() * 1_000_000) * 10;
    const baseTime = t0 + Math.floor(Math.random() * 1_000_000) * 86_400_000;

    beforeAll(async () => {
      store = await openStore();
    });
    afterAll(async () => {
      await store.close();
    });

    const activity = (lastDay: number, overrides: Partial<ActivityRecord> = {}): ActivityRecord => ({
      userId: freshId(),
      firstDay: lastDay - 3,
      lastDay,
      activeDays: 'CQ==',
      updatedAt: t0,
      ...overrides,
    });

    it('keeps one activity record per user: put replaces, get reads it back, delete removes it', async () => {
      const record = activity(baseDay);
      await store.transaction((r) => r.activity.put(record));
      expect(await store.read((r) => r.activity.get(record.userId))).toEqual(record);
      const moved = { ...record, lastDay: baseDay + 1, activeDays: 'GQ==', updatedAt: t0 + 1 };
      await store.transaction((r) => r.activity.put(moved));
      expect(await store.read((r) => r.activity.get(record.userId))).toEqual(moved);
      await store.transaction((r) => r.activity.deleteByUser(record.userId));
      expect(await store.read((r) => r.activity.get(record.userId))).toBeNull();
    });

    it('lists users last active since a day, by (last day, user), page after page', async () => {
      const since = baseDay + 100;
      const before = activity(since - 1);
      const records = [activity(since + 2), activity(since), activity(since + 1), activity(since)];
      await store.transaction(async (r) => {
        for (const record of [before, ...records]) await r.activity.put(record);
      });
      const expected = [...records].sort((a, b) => a.lastDay - b.lastDay || a.userId - b.userId);
      const first = await store.read((r) => r.activity.listActiveSince(since, { limit: 3 }));
      expect(first.filter((row) => row.lastDay < since + 100)).toEqual(expected.slice(0, 3));
      const last = first[2]!;
      const second = await store.read((r) =>
        r.activity.listActiveSince(since, {
          after: { lastDay: last.lastDay, userId: last.userId },
          limit: 3,
        }),
      );
      expect(second.filter((row) => row.lastDay < since + 100)).toEqual(expected.slice(3));
    });

    it('keeps NPS answers by (user, time): latest, by user, between two times page by page, deleted', async () => {
      const userId = freshId();
      const other = freshId();
      const answers = [
        { userId, respondedAt: baseTime, score: 3, comment: null, source: 'app' as const },
        {
          userId,
          respondedAt: baseTime + 2000,
          score: 9,
          comment: 'Удобно, "быстро"',
          source: 'bot' as const,
        },
        { userId: other, respondedAt: baseTime + 1000, score: 7, comment: null, source: 'app' as const },
      ];
      await store.transaction(async (r) => {
        for (const answer of answers) await r.nps.put(answer);
      });
      expect(await store.read((r) => r.nps.latestByUser(userId))).toEqual(answers[1]);
      expect(await store.read((r) => r.nps.listByUser(userId, 10))).toEqual([answers[0], answers[1]]);
      const range = { since: baseTime, until: baseTime + 2000 };
      const page = await store.read((r) => r.nps.listBetween({ ...range, limit: 1 }));
      expect(page).toEqual([answers[0]]);
      const next = await store.read((r) =>
        r.nps.listBetween({ ...range, after: { respondedAt: baseTime, userId }, limit: 10 }),
      );
      expect(next).toEqual([answers[2]]); // the one at `until` is outside
      await store.transaction((r) => r.nps.delete(userId, baseTime + 2000));
      expect(await store.read((r) => r.nps.latestByUser(userId))).toEqual(answers[0]);
    });

    it('records when the survey asked a user, and erases their answers and asks', async () => {
      const userId = freshId();
      expect(await store.read((r) => r.nps.askedAt(userId))).toBeNull();
      await store.transaction(async (r) => {
        await r.nps.markAsked(userId, baseTime);
        await r.nps.markAsked(userId, baseTime + 5);
        await r.nps.put({ userId, respondedAt: baseTime, score: 10, comment: null, source: 'bot' });
      });
      expect(await store.read((r) => r.nps.askedAt(userId))).toBe(baseTime + 5);
      await store.transaction((r) => r.nps.deleteByUser(userId));
      expect(await store.read((r) => r.nps.askedAt(userId))).toBeNull();
      expect(await store.read((r) => r.nps.latestByUser(userId))).toBeNull();
    });
  });
}
