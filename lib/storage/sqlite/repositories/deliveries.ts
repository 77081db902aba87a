import type { CampaignDeliveryRecord, CampaignDeliveryRepository, DeliveryChannel } from '../../port';
import { num, type Row, type SqliteStatements, str } from '../sql';

const toDelivery = (row: Row): CampaignDeliveryRecord => ({
  userId: Number(row.user_id),
  campaign: String(row.campaign),
  day: String(row.day),
  variant: String(row.variant),
  status: String(row.status) as CampaignDeliveryRecord['status'],
  detail: str(row.detail),
  text: str(row.text),
  ...(row.channel ? { channel: String(row.channel) as DeliveryChannel } : {}),
  slot: num(row.slot),
  sendKey: str(row.send_key),
  plannedAt: Number(row.planned_at),
  claimedAt: num(row.claimed_at),
  openedAt: num(row.opened_at),
  returnedAt: num(row.returned_at),
  goalAt: num(row.goal_at),
  updatedAt: Number(row.updated_at),
});
const deliveryColumns = `(user_id, campaign, day, variant, status, detail, text, channel, slot, send_key,
  planned_at, claimed_at, opened_at, returned_at, goal_at, updated_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
const deliveryValues = (delivery: CampaignDeliveryRecord) => [
  delivery.userId,
  delivery.campaign,
  delivery.day,
  delivery.variant,
  delivery.status,
  delivery.detail,
  delivery.text,
  delivery.channel ?? null,
  delivery.slot,
  delivery.sendKey,
  delivery.plannedAt,
  delivery.claimedAt,
  delivery.openedAt,
  delivery.returnedAt,
  delivery.goalAt,
  delivery.updatedAt,
];

export function sqliteDeliveries(sql: SqliteStatements): CampaignDeliveryRepository {
  const { one, all, run } = sql;
  return {
    async plan(delivery) {
      return (
        run(`INSERT OR IGNORE INTO campaign_deliveries ${deliveryColumns}`, ...deliveryValues(delivery))
          .changes === 1
      );
    },
    async get({ userId, campaign, day }) {
      const row = one(
        'SELECT * FROM campaign_deliveries WHERE user_id = ? AND campaign = ? AND day = ?',
        userId,
        campaign,
        day,
      );
      return row ? toDelivery(row) : null;
    },
    async put(delivery) {
      run(`INSERT OR REPLACE INTO campaign_deliveries ${deliveryColumns}`, ...deliveryValues(delivery));
    },
    async listForUsers({ fromUserId, toUserId, sinceDay }) {
      return all(
        `SELECT * FROM campaign_deliveries WHERE user_id >= ? AND user_id <= ? AND day >= ?
         ORDER BY user_id, campaign, day`,
        fromUserId,
        toUserId,
        sinceDay,
      ).map(toDelivery);
    },
    async listByUser(userId, sinceDay) {
      return all(
        'SELECT * FROM campaign_deliveries WHERE user_id = ? AND day >= ? ORDER BY day, campaign',
        userId,
        sinceDay,
      ).map(toDelivery);
    },
    async summarize({ fromDay, toDay }) {
      return all(
        `SELECT campaign, variant, status, COUNT(*) AS count, COUNT(opened_at) AS opened,
                COUNT(returned_at) AS returned, COUNT(goal_at) AS goals
         FROM campaign_deliveries WHERE day >= ? AND day <= ?
         GROUP BY campaign, variant, status ORDER BY campaign, variant, status`,
        fromDay,
        toDay,
      ).map((row) => ({
        campaign: String(row.campaign),
        variant: String(row.variant),
        status: String(row.status) as CampaignDeliveryRecord['status'],
        count: Number(row.count),
        opened: Number(row.opened),
        returned: Number(row.returned),
        goals: Number(row.goals),
      }));
    },
    async deleteByUser(userId) {
      run('DELETE FROM campaign_deliveries WHERE user_id = ?', userId);
    },
  };
}
