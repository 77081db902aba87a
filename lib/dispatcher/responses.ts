import { DAY } from '../clock';
import { utcDay } from '../notifications/daily-cap';
import type { EventRecord, Repositories } from '../storage/port';

/** A campaign counts a user as returned if they do anything within this long after the plan. */
export const RETURN_WINDOW = 7 * DAY;

/**
 * Marks the user's recent campaign deliveries (control group included) with their response as
 * events arrive, in the events' transaction: `openedAt` for a `notification_open` carrying the
 * delivery's campaign and variant (the mini app copies them from the fragment), `returnedAt` for
 * any event within 7 days after the plan. Only the first of each is kept, so re-sent events change
 * nothing.
 */
export async function recordCampaignResponses(
  repositories: Repositories,
  userId: number,
  events: readonly Pick<EventRecord, 'name' | 'occurredAt' | 'props'>[],
): Promise<void> {
  if (events.length === 0) return;
  const earliest = Math.min(...events.map((event) => event.occurredAt));
  const deliveries = await repositories.deliveries.listByUser(userId, utcDay(earliest - RETURN_WINDOW));
  for (const delivery of deliveries) {
    let { openedAt, returnedAt } = delivery;
    for (const event of events) {
      if (event.occurredAt <= delivery.plannedAt || event.occurredAt > delivery.plannedAt + RETURN_WINDOW)
        continue;
      if (returnedAt === null || event.occurredAt < returnedAt) returnedAt = event.occurredAt;
      const opened =
        event.name === 'notification_open' &&
        event.props.campaign === delivery.campaign &&
        event.props.variant === delivery.variant;
      if (opened && (openedAt === null || event.occurredAt < openedAt)) openedAt = event.occurredAt;
    }
    if (openedAt !== delivery.openedAt || returnedAt !== delivery.returnedAt)
      await repositories.deliveries.put({ ...delivery, openedAt, returnedAt });
  }
}
