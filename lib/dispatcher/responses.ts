import { type Campaign, shippedCampaigns } from '../campaigns/campaign';
import { DAY, HOUR, SECOND } from '../clock';
import { utcDay } from '../notifications/daily-cap';
import type { CampaignDeliveryRecord, EventRecord, Repositories } from '../storage/port';

/** A campaign counts a user as returned if they come back within this long after the plan. */
export const RETURN_WINDOW = 7 * DAY;

/**
 * Events this soon after the notification's open belong to the click, not to a return: the app
 * launch the click causes is reported a moment after the open (or before it: the order in a batch
 * is the client's), and an untagged launch can only be told apart by time.
 */
export const CLICK_LAUNCH_WINDOW = 60 * SECOND;

type ArrivingEvent = Pick<EventRecord, 'name' | 'occurredAt' | 'props'>;

/**
 * Marks the user's recent campaign deliveries (control group included) with their response as
 * events arrive, in the events' transaction, so the results count rows instead of scanning events:
 * - `openedAt`: a `notification_open` carrying the delivery's campaign and variant (the mini app
 *   copies them from the fragment);
 * - `returnedAt`: an event within 7 days after the plan that is not the notification's own click
 *   (see {@link isOwnClick});
 * - `goalAt`: the campaign's goal event within its window after the plan (the control group is
 *   measured from its plan too, so the two are comparable: intention to treat), the own click
 *   excluded likewise (a goal of `app_open` is a launch the user made, not the one the tap made).
 * Only the first of each is kept, so re-sent events change nothing.
 */
export async function recordCampaignResponses(
  repositories: Repositories,
  userId: number,
  events: readonly ArrivingEvent[],
  campaigns: readonly Campaign[] = shippedCampaigns(),
): Promise<void> {
  if (events.length === 0) return;
  const earliest = Math.min(...events.map((event) => event.occurredAt));
  const deliveries = await repositories.deliveries.listByUser(userId, utcDay(earliest - RETURN_WINDOW));
  const goals = new Map(campaigns.map((campaign) => [campaign.id, campaign.goal]));
  for (const delivery of deliveries) {
    const marked = markResponses(delivery, events, goals.get(delivery.campaign));
    if (
      marked.openedAt !== delivery.openedAt ||
      marked.returnedAt !== delivery.returnedAt ||
      marked.goalAt !== delivery.goalAt
    )
      await repositories.deliveries.put({ ...delivery, ...marked });
  }
}

type Responses = Pick<CampaignDeliveryRecord, 'openedAt' | 'returnedAt' | 'goalAt'>;

/** The delivery's first open, return and goal given these events as well (pure). */
export function markResponses(
  delivery: CampaignDeliveryRecord,
  events: readonly ArrivingEvent[],
  goal: Campaign['goal'],
): Responses {
  let { openedAt, returnedAt, goalAt } = delivery;
  const after = (event: ArrivingEvent, window: number) =>
    event.occurredAt > delivery.plannedAt && event.occurredAt <= delivery.plannedAt + window;
  for (const event of events) {
    if (!after(event, RETURN_WINDOW)) continue;
    if (isOpenOf(delivery, event) && (openedAt === null || event.occurredAt < openedAt))
      openedAt = event.occurredAt;
  }
  for (const event of events) {
    if (!after(event, RETURN_WINDOW) || isOwnClick(delivery, event, openedAt)) continue;
    if (returnedAt === null || event.occurredAt < returnedAt) returnedAt = event.occurredAt;
    if (goal && event.name === goal.event && after(event, goal.withinHours * HOUR))
      if (goalAt === null || event.occurredAt < goalAt) goalAt = event.occurredAt;
  }
  return { openedAt, returnedAt, goalAt };
}

function isOpenOf(delivery: CampaignDeliveryRecord, event: ArrivingEvent): boolean {
  return (
    event.name === 'notification_open' &&
    event.props.campaign === delivery.campaign &&
    event.props.variant === delivery.variant
  );
}

/**
 * The notification's own click, which is no return: its `notification_open` (any variant of the
 * campaign), the `app_open` the mini app tags with the campaign from the fragment, and, for a
 * client that doesn't tag it, any event within {@link CLICK_LAUNCH_WINDOW} around the open.
 */
export function isOwnClick(
  delivery: Pick<CampaignDeliveryRecord, 'campaign'>,
  event: ArrivingEvent,
  openedAt: number | null,
): boolean {
  const tagged = event.props.campaign === delivery.campaign;
  if (tagged && (event.name === 'notification_open' || event.name === 'app_open')) return true;
  return openedAt !== null && Math.abs(event.occurredAt - openedAt) <= CLICK_LAUNCH_WINDOW;
}
