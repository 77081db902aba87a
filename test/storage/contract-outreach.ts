import { randomUUID } from 'node:crypto';
import type { CampaignDeliveryRecord, NotificationRecord, Store, SurveyRecord } from '../../lib/storage/port';
import { contractFixtures } from './contract-fixtures';

/**
 * The storage port's contract for what reaches users outside their dialog (lib/storage/port-outreach.ts):
 * notifications, campaign deliveries and CSAT surveys. Run against every adapter beside
 * `describeStoreContract` (test/storage/contract.ts).
 */
export function describeOutreachContract(adapterName: string, openStore: () => Promise<Store>): void {
  describe(`storage contract (notifications, deliveries, surveys): ${adapterName}`, () => {
    let store: Store;
    const { run, freshId, t0 } = contractFixtures();

    beforeAll(async () => {
      store = await openStore();
    });
    afterAll(async () => {
      await store.close();
    });

    describe('notifications', () => {
      const notification = (userId: number, day: string, slot = 1): NotificationRecord => ({
        userId,
        day,
        slot,
        kind: 'campaign',
        campaign: 'quiz-comeback',
        variant: 'A',
        text: 'Вернитесь к квизу',
        status: 'claimed',
        createdAt: t0,
        updatedAt: t0,
      });

      it('claims a (user, day, slot) once, records the send result and releases a slot', async () => {
        const userId = freshId();
        const key = { userId, day: '2026-06-01', slot: 1 };
        expect(
          await store.transaction((r) => r.notifications.claim(notification(userId, '2026-06-01'))),
        ).toBe(true);
        expect(
          await store.transaction((r) =>
            r.notifications.claim({ ...notification(userId, '2026-06-01'), text: 'other' }),
          ),
        ).toBe(false);
        expect(
          await store.transaction((r) => r.notifications.claim(notification(userId, '2026-06-01', 2))),
        ).toBe(true);
        await store.transaction((r) => r.notifications.setStatus(key, 'sent', t0 + 10));
        const [second, first] = await store.read((r) => r.notifications.listByUser(userId, 5));
        expect(second).toMatchObject({ slot: 2, status: 'claimed' });
        expect(first).toMatchObject({
          slot: 1,
          status: 'sent',
          text: 'Вернитесь к квизу',
          updatedAt: t0 + 10,
        });
        await store.transaction((r) => r.notifications.release({ ...key, slot: 2 }));
        expect(await store.read((r) => r.notifications.listByUser(userId, 5))).toHaveLength(1);
      });

      it('lists the latest notifications first, a range of users by id, and deletes them with the user', async () => {
        const userId = freshId();
        const neighbour = freshId();
        const outsider = freshId();
        await store.transaction(async (r) => {
          for (const day of ['2026-06-01', '2026-06-03', '2026-06-02'])
            await r.notifications.claim(notification(userId, day));
          await r.notifications.claim(notification(neighbour, '2026-06-02'));
          await r.notifications.claim(notification(outsider, '2026-06-03'));
        });
        const latest = await store.read((r) => r.notifications.listByUser(userId, 2));
        expect(latest.map((n) => n.day)).toEqual(['2026-06-03', '2026-06-02']);
        const range = await store.read((r) =>
          r.notifications.listForUsers({ fromUserId: userId, toUserId: neighbour, sinceDay: '2026-06-02' }),
        );
        expect(range.map((n) => [n.userId, n.day])).toEqual([
          [userId, '2026-06-02'],
          [userId, '2026-06-03'],
          [neighbour, '2026-06-02'],
        ]);
        await store.transaction((r) => r.notifications.deleteByUser(userId));
        expect(await store.read((r) => r.notifications.listByUser(userId, 10))).toEqual([]);
      });
    });

    describe('campaign deliveries', () => {
      const delivery = (
        userId: number,
        campaign: string,
        day: string,
        changes: Partial<CampaignDeliveryRecord> = {},
      ): CampaignDeliveryRecord => ({
        userId,
        campaign,
        day,
        variant: 'a',
        status: 'planned',
        detail: null,
        text: 'Квиз ждёт',
        slot: null,
        sendKey: null,
        plannedAt: t0,
        claimedAt: null,
        openedAt: null,
        returnedAt: null,
        goalAt: null,
        updatedAt: t0,
        ...changes,
      });

      it('plans a (user, campaign, day) once, replaces it and lists by user and by a range of users', async () => {
        const userId = freshId();
        const neighbour = freshId();
        const campaign = `c-${run}-plan`;
        expect(
          await store.transaction((r) => r.deliveries.plan(delivery(userId, campaign, '2026-06-01'))),
        ).toBe(true);
        expect(
          await store.transaction((r) =>
            r.deliveries.plan(delivery(userId, campaign, '2026-06-01', { variant: 'b' })),
          ),
        ).toBe(false);
        const claimed = delivery(userId, campaign, '2026-06-01', {
          status: 'claimed',
          slot: 1,
          sendKey: 'k1',
          claimedAt: t0 + 5,
          updatedAt: t0 + 5,
        });
        await store.transaction((r) => r.deliveries.put(claimed));
        expect(await store.read((r) => r.deliveries.get({ userId, campaign, day: '2026-06-01' }))).toEqual(
          claimed,
        );
        // The channel (migration 14) is kept; a row without one reads without one (a notification).
        const written = { ...claimed, channel: 'message' as const, status: 'not_allowed' as const };
        await store.transaction((r) => r.deliveries.put(written));
        const [read] = await store.read((r) =>
          r.deliveries.listForUsers({ fromUserId: userId, toUserId: userId, sinceDay: '2026-06-01' }),
        );
        expect(read).toEqual(written);
        await store.transaction((r) => r.deliveries.put(claimed));
        expect(
          await store.read((r) => r.deliveries.get({ userId, campaign, day: '2026-06-01' })),
        ).not.toHaveProperty('channel');
        await store.transaction(async (r) => {
          await r.deliveries.plan(
            delivery(userId, campaign, '2026-06-05', { variant: 'control', text: null }),
          );
          await r.deliveries.plan(delivery(neighbour, campaign, '2026-06-05'));
        });
        expect(
          (await store.read((r) => r.deliveries.listByUser(userId, '2026-06-02'))).map((d) => d.variant),
        ).toEqual(['control']);
        const range = await store.read((r) =>
          r.deliveries.listForUsers({ fromUserId: userId, toUserId: neighbour, sinceDay: '2026-06-01' }),
        );
        expect(range.map((d) => [d.userId, d.day])).toEqual([
          [userId, '2026-06-01'],
          [userId, '2026-06-05'],
          [neighbour, '2026-06-05'],
        ]);
        await store.transaction((r) => r.deliveries.deleteByUser(userId));
        expect(await store.read((r) => r.deliveries.listByUser(userId, '2026-01-01'))).toEqual([]);
      });

      it('summarizes a range of days by campaign, variant and status in the database', async () => {
        const campaign = `c-${run}-sum`;
        const day = `2031-01-0${String(1 + Math.floor(Math.random() * 8))}`;
        await store.transaction(async (r) => {
          await r.deliveries.plan(
            delivery(freshId(), campaign, day, { status: 'sent', openedAt: t0, returnedAt: t0, goalAt: t0 }),
          );
          await r.deliveries.plan(delivery(freshId(), campaign, day, { status: 'sent', returnedAt: t0 }));
          await r.deliveries.plan(delivery(freshId(), campaign, day, { status: 'capped' }));
          await r.deliveries.plan(
            delivery(freshId(), campaign, day, {
              variant: 'control',
              status: 'control',
              returnedAt: t0,
              goalAt: t0 + 1,
            }),
          );
        });
        const rows = (await store.read((r) => r.deliveries.summarize({ fromDay: day, toDay: day }))).filter(
          (row) => row.campaign === campaign,
        );
        expect(rows).toEqual([
          { campaign, variant: 'a', status: 'capped', count: 1, opened: 0, returned: 0, goals: 0 },
          { campaign, variant: 'a', status: 'sent', count: 2, opened: 1, returned: 2, goals: 1 },
          { campaign, variant: 'control', status: 'control', count: 1, opened: 0, returned: 1, goals: 1 },
        ]);
      });
    });

    describe('csat surveys', () => {
      it('creates one survey per id, updates it and lists by ticket', async () => {
        const ticketId = randomUUID();
        const survey: SurveyRecord = {
          surveyId: `csat:${ticketId}:1`,
          ticketId,
          userId: freshId(),
          operatorId: 42,
          status: 'scheduled',
          scale: 'five',
          channel: null,
          sentAt: null,
          rating: null,
          answeredAt: null,
          reason: null,
          reasonText: null,
          remindersSent: 0,
          createdAt: t0,
          updatedAt: t0,
        };
        expect(await store.transaction((r) => r.surveys.create(survey))).toBe(true);
        expect(await store.transaction((r) => r.surveys.create({ ...survey, operatorId: 7 }))).toBe(false);
        const answered = {
          ...survey,
          status: 'answered' as const,
          channel: 'message' as const,
          sentAt: t0 + 1,
          rating: 2,
          answeredAt: t0 + 1,
          reason: 'other',
          reasonText: 'Ответили не по делу',
          remindersSent: 1,
          updatedAt: t0 + 1,
        };
        await store.transaction((r) => r.surveys.update(answered));
        expect(await store.read((r) => r.surveys.get(survey.surveyId))).toEqual(answered);
        const second = { ...survey, surveyId: `csat:${ticketId}:2`, createdAt: t0 + 2 };
        await store.transaction((r) => r.surveys.create(second));
        expect((await store.read((r) => r.surveys.listByTicket(ticketId))).map((s) => s.surveyId)).toEqual([
          survey.surveyId,
          second.surveyId,
        ]);
        // Several tickets' surveys in one read: each ticket's oldest first, no other ticket's.
        const otherTicket = `${ticketId}-other`;
        const third = { ...survey, surveyId: `csat:${otherTicket}:1`, ticketId: otherTicket };
        await store.transaction((r) => r.surveys.create(third));
        const both = await store.read((r) => r.surveys.listByTickets([otherTicket, ticketId]));
        expect(both.filter((s) => s.ticketId === ticketId).map((s) => s.surveyId)).toEqual([
          survey.surveyId,
          second.surveyId,
        ]);
        expect(both.filter((s) => s.ticketId === otherTicket).map((s) => s.surveyId)).toEqual([
          third.surveyId,
        ]);
        expect(both).toHaveLength(3);
        expect(await store.read((r) => r.surveys.listByTickets([]))).toEqual([]);
      });
    });
  });
}
