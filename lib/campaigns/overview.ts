import { shippedJourneys } from '../journeys/definition';
import { type Campaign, shippedCampaigns } from './campaign';

/** How a campaign reaches people: a mini app notification, a community message, or either (`auto`). */
export type CampaignChannel = 'notification' | 'message' | 'auto' | 'mixed';

/** One campaign or journey as ops see it in the list (`GET /api/ops/campaigns`, `npm run notify:report`). */
export interface CampaignOverview {
  id: string;
  /** `daily` (the daily run's segment campaigns), `journey` (event-triggered), or a kind added later. */
  kind: string;
  description: string;
  channel: CampaignChannel;
  /** `active` when enabled in content/campaigns.json, else `disabled`. */
  state: 'active' | 'disabled';
  /** The goal its results count conversions of, if any. */
  goal: { event: string; withinHours: number } | null;
}

/** Every shipped campaign and journey, campaigns first, each in file order. */
export function campaignOverview(
  campaigns: readonly Campaign[] = shippedCampaigns(),
  journeys: ReadonlyArray<{
    id: string;
    kind?: string;
    description: string;
    enabled: boolean;
    variants: ReadonlyArray<{ steps: ReadonlyArray<{ channel: 'auto' | 'message' | 'notification' }> }>;
    goal?: { event: string; withinHours: number };
  }> = shippedJourneys(),
): CampaignOverview[] {
  const state = (enabled: boolean): CampaignOverview['state'] => (enabled ? 'active' : 'disabled');
  return [
    ...campaigns.map((campaign) => ({
      id: campaign.id,
      // The daily campaigns carry no kind in the file; a kind added to them later is read as is.
      kind: 'kind' in campaign && typeof campaign.kind === 'string' ? campaign.kind : 'daily',
      description: campaign.description,
      channel: campaign.channel,
      state: state(campaign.enabled),
      goal: campaign.goal ?? null,
    })),
    ...journeys.map((journey) => {
      const channels = new Set(
        journey.variants.flatMap((variant) => variant.steps.map((step) => step.channel)),
      );
      const [only] = channels;
      return {
        id: journey.id,
        kind: journey.kind ?? 'journey',
        description: journey.description,
        channel: channels.size === 1 && only ? only : ('mixed' as const),
        state: state(journey.enabled),
        goal: journey.goal ?? null,
      };
    }),
  ];
}
