/**
 * The outreach aggregates of the storage port (re-exported from port.ts): the mini app notifications
 * sent (VK's daily and hourly allowance is counted from them), the daily campaigns' deliveries, and
 * the CSAT surveys. Shaped like the rest of the port for YDB: point reads by key, bounded ranges.
 */

export type NotificationStatus =
  | 'claimed'
  | 'sent'
  | 'notifications_off'
  | 'hourly_limit'
  | 'daily_limit'
  | 'app_not_installed'
  | 'failed';

export interface NotificationRecord {
  userId: number;
  /** The UTC day the send was claimed for, `YYYY-MM-DD`. */
  day: string;
  /**
   * 1..daily cap: the user's n-th notification that day. (user, day, slot) is the send key
   * `notify:<user>:<day>` claimed before the call, so the cap holds whatever retries do.
   */
  slot: number;
  kind: 'campaign' | 'ticket_update';
  campaign: string | null;
  variant: string | null;
  text: string;
  status: NotificationStatus;
  createdAt: number;
  updatedAt: number;
}

export interface NotificationRepository {
  /** Claims the send key (user, day, slot) before the VK call; false if already claimed. */
  claim(notification: NotificationRecord): Promise<boolean>;
  setStatus(
    key: { userId: number; day: string; slot: number },
    status: NotificationStatus,
    updatedAt: number,
  ): Promise<void>;
  /** Gives a claimed slot back: only when VK certainly did not send (error 9, or 6 after retries). */
  release(key: { userId: number; day: string; slot: number }): Promise<void>;
  /** A user's latest notifications, newest first (for "never the same text twice in a row"). */
  listByUser(userId: number, limit: number): Promise<NotificationRecord[]>;
  /** Notifications of the users with ids in `[fromUserId, toUserId]` since `sinceDay`, by user, day, slot. */
  listForUsers(range: {
    fromUserId: number;
    toUserId: number;
    sinceDay: string;
  }): Promise<NotificationRecord[]>;
  deleteByUser(userId: number): Promise<void>;
}

/**
 * A campaign's decision about one user on one day, from planning to VK's answer: `planned` (queued
 * for sending), `control` (held out, gets nothing: the baseline), `claimed` (send key taken, VK call
 * under way), then VK's result; `capped` when the user's daily cap was taken by the time of sending,
 * `skipped` when something changed before sending (see `detail`). It is also the A/B ledger:
 * opens and returns are marked on it as the user's events arrive.
 */
export type DeliveryStatus =
  | 'planned'
  | 'control'
  | 'claimed'
  | 'capped'
  | 'skipped'
  /** A community message VK refused: the user took the permission back (901) or is blacklisted (902). */
  | 'not_allowed'
  | Exclude<NotificationStatus, 'claimed'>;

/** How a campaign's delivery goes: a mini app notification or a community message. */
export type DeliveryChannel = 'notification' | 'message';

export interface CampaignDeliveryRecord {
  userId: number;
  campaign: string;
  /** The UTC day of the plan, `YYYY-MM-DD`. */
  day: string;
  /** The A/B variant, or `control`. */
  variant: string;
  status: DeliveryStatus;
  /** Why `skipped` (`quiet_hours`, `consent`, `exited`, …) or what failed. */
  detail: string | null;
  /** The rendered text (null for the control group). */
  text: string | null;
  /** The channel chosen at planning; absent: a notification (rows from before migration 14). */
  channel?: DeliveryChannel;
  /**
   * The slot claimed for the send (a notification's of the day, or a message's of the marketing
   * cap), and the key of the VK call it went in.
   */
  slot: number | null;
  sendKey: string | null;
  plannedAt: number;
  claimedAt: number | null;
  /** First `notification_open` of this campaign and variant after the plan. */
  openedAt: number | null;
  /**
   * First event within 7 days after the plan that is not the notification's own click: not a
   * `notification_open` of this campaign, not an event tagged with it (the launch the click causes)
   * and not within a minute after the open (see lib/dispatcher/responses.ts).
   */
  returnedAt: number | null;
  /** First goal event of the campaign (`goal.event`) within `goal.withinHours` after the plan. */
  goalAt: number | null;
  updatedAt: number;
}

export interface DeliverySummaryRow {
  campaign: string;
  variant: string;
  status: DeliveryStatus;
  count: number;
  opened: number;
  returned: number;
  /** Rows with `goalAt`: users who reached the campaign's goal in its window. */
  goals: number;
}

export interface CampaignDeliveryRepository {
  /** Records a plan; false (nothing written) if this user has one for this campaign and day. */
  plan(delivery: CampaignDeliveryRecord): Promise<boolean>;
  get(key: { userId: number; campaign: string; day: string }): Promise<CampaignDeliveryRecord | null>;
  put(delivery: CampaignDeliveryRecord): Promise<void>;
  /** Deliveries of the users with ids in `[fromUserId, toUserId]` since `sinceDay` (cooldowns). */
  listForUsers(range: {
    fromUserId: number;
    toUserId: number;
    sinceDay: string;
  }): Promise<CampaignDeliveryRecord[]>;
  /** One user's deliveries since `sinceDay`, oldest first. */
  listByUser(userId: number, sinceDay: string): Promise<CampaignDeliveryRecord[]>;
  /** Counts by campaign, variant and status for plans in `[fromDay, toDay]`, computed in the database. */
  summarize(range: { fromDay: string; toDay: string }): Promise<DeliverySummaryRow[]>;
  deleteByUser(userId: number): Promise<void>;
}

/**
 * `scheduled` → `sent` → `answered`; `cancelled` when the ticket reopened or the user erased their
 * data; `unreachable` when neither a message nor a notification could be sent (the mini app can
 * still rate the ticket).
 */
export type SurveyStatus = 'scheduled' | 'sent' | 'answered' | 'cancelled' | 'unreachable';
export type SurveyScale = 'five' | 'thumbs';
export type SurveyChannel = 'message' | 'notification' | 'mini_app';

export interface SurveyRecord {
  /** `csat:<ticketId>:<resolution number>`: one survey per resolution. */
  surveyId: string;
  ticketId: string;
  userId: number | null;
  /** The operator credited, fixed when the survey is scheduled. */
  operatorId: number | null;
  status: SurveyStatus;
  /** The scale the survey was asked on; 👍/👎 are stored as 5 and 1. */
  scale: SurveyScale;
  /** How the survey reached the user (or, for `mini_app`, how the answer came without one). */
  channel: SurveyChannel | null;
  sentAt: number | null;
  /** 1..5. */
  rating: number | null;
  answeredAt: number | null;
  /** Why a low rating: `slow`, `not_solved`, `impolite`, `other`. */
  reason: string | null;
  /** The user's own words for `other` (personal: erased with the user). */
  reasonText: string | null;
  remindersSent: number;
  createdAt: number;
  updatedAt: number;
}

export interface SurveyRepository {
  /** Creates the survey; false if one with this id exists. */
  create(survey: SurveyRecord): Promise<boolean>;
  get(surveyId: string): Promise<SurveyRecord | null>;
  update(survey: SurveyRecord): Promise<void>;
  listByTicket(ticketId: string): Promise<SurveyRecord[]>;
  /**
   * The surveys of several tickets in one read (a report's page: up to 500 ids), each ticket's
   * oldest first, tickets in no particular order.
   */
  listByTickets(ticketIds: readonly string[]): Promise<SurveyRecord[]>;
}
