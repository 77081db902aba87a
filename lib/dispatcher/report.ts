import { type Campaign, CONTROL, shippedCampaigns } from '../campaigns/campaign';
import type { DeliveryStatus, DeliverySummaryRow, Repositories } from '../storage/port';
import { differenceInterval } from './uplift';

/** Statuses of users a notification or message was actually tried for (a VK call went out with them). */
const ATTEMPTED: ReadonlySet<DeliveryStatus> = new Set<DeliveryStatus>([
  'claimed',
  'sent',
  'not_allowed',
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
  /** Users who came back within 7 days after the plan: the notification's own open and launch excluded. */
  returned: number;
  /** returned ÷ assigned: intention to treat, so comparable with the control group. */
  returnRate: number | null;
  /** returnRate − the control group's, in percentage points; null without a control group. */
  upliftPoints: number | null;
  /** Users who did the campaign's goal event within its window after the plan. */
  conversions: number;
  /** conversions ÷ assigned (intention to treat, like returnRate); null without a goal. */
  conversionRate: number | null;
  /**
   * conversionRate − the control group's in percentage points, with Newcombe's 95 % interval
   * (lib/dispatcher/uplift.ts); null for the control group itself, without a goal or a control group.
   */
  uplift: { points: number; low: number; high: number } | null;
  /** Per status, for the detail (capped, skipped, app not installed, …). */
  statuses: Partial<Record<DeliveryStatus, number>>;
}

export interface CampaignResults {
  fromDay: string;
  toDay: string;
  campaigns: Array<{
    campaign: string;
    /** The campaign's goal as shipped now (null: none, or the campaign is gone). */
    goal: { event: string; withinHours: number } | null;
    variants: VariantResult[];
  }>;
}

/**
 * Per campaign and variant, for plans made in `[fromDay, toDay]`: sent, delivered, opened (CTR),
 * returned within 7 days and goal conversions, each against the control group. Counted in the
 * database from the marks on the delivery rows (lib/dispatcher/responses.ts), never from events.
 */
export async function campaignResults(
  repositories: Repositories,
  range: { fromDay: string; toDay: string },
  campaigns: readonly Campaign[] = shippedCampaigns(),
): Promise<CampaignResults> {
  return { ...range, campaigns: resultsFrom(await repositories.deliveries.summarize(range), campaigns) };
}

/** Percentage points, one decimal. */
const points = (fraction: number) => Math.round(fraction * 1000) / 10;

export function resultsFrom(
  rows: readonly DeliverySummaryRow[],
  campaigns: readonly Campaign[] = [],
): CampaignResults['campaigns'] {
  const goals = new Map(campaigns.map((campaign) => [campaign.id, campaign.goal ?? null]));
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
    result.conversions += row.goals;
    result.statuses[row.status] = (result.statuses[row.status] ?? 0) + row.count;
  }
  return [...byCampaign].map(([campaign, variants]) => {
    const goal = goals.get(campaign) ?? null;
    const list = [...variants.values()].sort((a, b) => a.variant.localeCompare(b.variant));
    for (const result of list) {
      result.ctr = result.delivered > 0 ? result.opened / result.delivered : null;
      result.returnRate = result.assigned > 0 ? result.returned / result.assigned : null;
      if (goal) result.conversionRate = result.assigned > 0 ? result.conversions / result.assigned : null;
    }
    const control = variants.get(CONTROL);
    for (const result of list) {
      if (result.variant === CONTROL || !control) continue;
      if (control.returnRate !== null && result.returnRate !== null)
        result.upliftPoints = points(result.returnRate - control.returnRate);
      const interval = goal
        ? differenceInterval(
            { successes: result.conversions, total: result.assigned },
            { successes: control.conversions, total: control.assigned },
          )
        : null;
      if (interval)
        result.uplift = {
          points: points(interval.difference),
          low: points(interval.low),
          high: points(interval.high),
        };
    }
    return {
      campaign,
      goal: goal ? { event: goal.event, withinHours: goal.withinHours } : null,
      variants: list,
    };
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
    conversions: 0,
    conversionRate: null,
    uplift: null,
    statuses: {},
  };
}
