import { CONTROL } from '../campaigns/campaign';
import type { DeliveryStatus, DeliverySummaryRow, Repositories } from '../storage/port';

/** Statuses of users a notification was actually tried for (a VK call went out with them). */
const ATTEMPTED: ReadonlySet<DeliveryStatus> = new Set<DeliveryStatus>([
  'claimed',
  'sent',
  'notifications_off',
  'hourly_limit',
  'daily_limit',
  'app_not_installed',
  'failed',
]);

export interface VariantResult {
  variant: string;
  /** Users the plan put in this variant (the control group: held out). */
  assigned: number;
  /** Users a VK call went out for. */
  sent: number;
  /** VK accepted the notification for them. */
  delivered: number;
  /** Reported `notification_open` of this campaign and variant. */
  opened: number;
  /** opened ÷ delivered. */
  ctr: number | null;
  /** Users with any event within 7 days after the plan. */
  returned: number;
  /** returned ÷ assigned: intention to treat, so comparable with the control group. */
  returnRate: number | null;
  /** returnRate − the control group's, in percentage points; null without a control group. */
  upliftPoints: number | null;
  /** Per status, for the detail (capped, skipped, app not installed, …). */
  statuses: Partial<Record<DeliveryStatus, number>>;
}

export interface CampaignResults {
  fromDay: string;
  toDay: string;
  campaigns: Array<{ campaign: string; variants: VariantResult[] }>;
}

/** Per campaign and variant: sent, delivered, opened (CTR) and returned within 7 days, against control. */
export async function campaignResults(
  repositories: Repositories,
  range: { fromDay: string; toDay: string },
): Promise<CampaignResults> {
  return { ...range, campaigns: resultsFrom(await repositories.deliveries.summarize(range)) };
}

export function resultsFrom(rows: readonly DeliverySummaryRow[]): CampaignResults['campaigns'] {
  const byCampaign = new Map<string, Map<string, VariantResult>>();
  for (const row of rows) {
    const variants = byCampaign.get(row.campaign) ?? new Map<string, VariantResult>();
    byCampaign.set(row.campaign, variants);
    const result = variants.get(row.variant) ?? emptyResult(row.variant);
    variants.set(row.variant, result);
    result.assigned += row.count;
    if (ATTEMPTED.has(row.status)) result.sent += row.count;
    if (row.status === 'sent') result.delivered += row.count;
    result.opened += row.opened;
    result.returned += row.returned;
    result.statuses[row.status] = (result.statuses[row.status] ?? 0) + row.count;
  }
  return [...byCampaign].map(([campaign, variants]) => {
    const list = [...variants.values()].sort((a, b) => a.variant.localeCompare(b.variant));
    for (const result of list) {
      result.ctr = result.delivered > 0 ? result.opened / result.delivered : null;
      result.returnRate = result.assigned > 0 ? result.returned / result.assigned : null;
    }
    const control = variants.get(CONTROL)?.returnRate ?? null;
    for (const result of list) {
      if (result.variant !== CONTROL && control !== null && result.returnRate !== null)
        result.upliftPoints = Math.round((result.returnRate - control) * 1000) / 10;
    }
    return { campaign, variants: list };
  });
}

function emptyResult(variant: string): VariantResult {
  return {
    variant,
    assigned: 0,
    sent: 0,
    delivered: 0,
    opened: 0,
    ctr: null,
    returned: 0,
    returnRate: null,
    upliftPoints: null,
    statuses: {},
  };
}
