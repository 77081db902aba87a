import type { Value } from '@ydbjs/value';
import type { CampaignDeliveryRecord, CampaignDeliveryRepository, DeliveryChannel } from '../../port';
import { first, insertIfAbsent, rows, type Sql, userRange } from '../sql';
import type { Row } from '../statement';
import { read, yv } from '../values';

const toDelivery = (row: Row): CampaignDeliveryRecord => ({
  userId: read.num(row.user_id),
  campaign: read.text(row.campaign),
  day: read.text(row.day),
  variant: read.text(row.variant),
  status: read.text(row.status) as CampaignDeliveryRecord['status'],
  detail: read.optText(row.detail),
  text: read.optText(row.text),
  ...(read.optText(row.channel) ? { channel: read.optText(row.channel) as DeliveryChannel } : {}),
  slot: read.optNum(row.slot),
  sendKey: read.optText(row.send_key),
  plannedAt: read.time(row.planned_at),
  claimedAt: read.optTime(row.claimed_at),
  openedAt: read.optTime(row.opened_at),
  returnedAt: read.optTime(row.returned_at),
  goalAt: read.optTime(row.goal_at),
  updatedAt: read.time(row.updated_at),
});

const deliveryKey = (key: { userId: number; campaign: string; day: string }) => ({
  $user_id: yv.int64(key.userId),
  $campaign: yv.text(key.campaign),
  $day: yv.text(key.day),
});

const upsertDelivery = `UPSERT INTO campaign_deliveries (user_id, campaign, day, \`variant\`, status, detail, text,
    channel, slot, send_key, planned_at, claimed_at, opened_at, returned_at, goal_at, updated_at)
  VALUES ($user_id, $campaign, $day, $variant, $status, $detail, $text, $channel, $slot, $send_key, $planned_at,
    $claimed_at, $opened_at, $returned_at, $goal_at, $updated_at)`;
const deliveryParams = (delivery: CampaignDeliveryRecord): Record<string, Value> => ({
  ...deliveryKey(delivery),
  $variant: yv.text(delivery.variant),
  $status: yv.text(delivery.status),
  $detail: yv.optText(delivery.detail),
  $text: yv.optText(delivery.text),
  $channel: yv.optText(delivery.channel ?? null),
  $slot: yv.optInt32(delivery.slot),
  $send_key: yv.optText(delivery.sendKey),
  $planned_at: yv.time(delivery.plannedAt),
  $claimed_at: yv.optTime(delivery.claimedAt),
  $opened_at: yv.optTime(delivery.openedAt),
  $returned_at: yv.optTime(delivery.returnedAt),
  $goal_at: yv.optTime(delivery.goalAt),
  $updated_at: yv.time(delivery.updatedAt),
});

export function ydbDeliveries(sql: Sql): CampaignDeliveryRepository {
  return {
    async plan(delivery) {
      return insertIfAbsent(
        sql,
        {
          text: `SELECT day FROM campaign_deliveries
                   WHERE user_id = $user_id AND campaign = $campaign AND day = $day`,
          params: deliveryKey(delivery),
        },
        { text: upsertDelivery, params: deliveryParams(delivery) },
      );
    },
    async get(key) {
      const row = await first(
        sql,
        'SELECT * FROM campaign_deliveries WHERE user_id = $user_id AND campaign = $campaign AND day = $day',
        deliveryKey(key),
      );
      return row ? toDelivery(row) : null;
    },
    async put(delivery) {
      await rows(sql, upsertDelivery, deliveryParams(delivery));
    },
    async listForUsers(range) {
      return (
        await rows(
          sql,
          `SELECT * FROM campaign_deliveries
             WHERE user_id >= $from_user AND user_id <= $to_user AND day >= $since_day
             ORDER BY user_id, campaign, day`,
          { ...userRange(range), $since_day: yv.text(range.sinceDay) },
        )
      ).map(toDelivery);
    },
    async listByUser(userId, sinceDay) {
      return (
        await rows(
          sql,
          `SELECT * FROM campaign_deliveries WHERE user_id = $user_id AND day >= $since_day
             ORDER BY day, campaign`,
          { $user_id: yv.int64(userId), $since_day: yv.text(sinceDay) },
        )
      ).map(toDelivery);
    },
    async summarize({ fromDay, toDay }) {
      // The covering index keeps this a range read of (day, campaign, variant) without the table
      // (`campaign_deliveries_results`, migration 12: it covers `goal_at` too).
      return (
        await rows(
          sql,
          `SELECT campaign, \`variant\`, status, COUNT(*) AS count, COUNT(opened_at) AS opened,
                    COUNT(returned_at) AS returned, COUNT(goal_at) AS goals
             FROM campaign_deliveries VIEW campaign_deliveries_results
             WHERE day >= $from_day AND day <= $to_day
             GROUP BY campaign, \`variant\`, status ORDER BY campaign, \`variant\`, status`,
          { $from_day: yv.text(fromDay), $to_day: yv.text(toDay) },
        )
      ).map((row) => ({
        campaign: read.text(row.campaign),
        variant: read.text(row.variant),
        status: read.text(row.status) as CampaignDeliveryRecord['status'],
        count: read.num(row.count),
        opened: read.num(row.opened),
        returned: read.num(row.returned),
        goals: read.num(row.goals),
      }));
    },
    async deleteByUser(userId) {
      await rows(sql, 'DELETE FROM campaign_deliveries WHERE user_id = $user_id', {
        $user_id: yv.int64(userId),
      });
    },
  };
}
