import { type Campaign, CONTROL, type CompiledVariant, renderCampaignText } from '../campaigns/campaign';
import { assignVariant, matches, type UserFacts } from '../campaigns/segment';
import { DAY } from '../clock';
import { NOTIFICATION_LIMIT } from '../notifications/app-notification';
import { capVerdict, utcDay } from '../notifications/daily-cap';
import { quietHoursEnd } from '../schedule/quiet-hours';
import type {
  CampaignDeliveryRecord,
  DeliveryChannel,
  NotificationRecord,
  QuietHours,
  UserRecord,
} from '../storage/port';

export type { DeliveryChannel };

export interface AudienceSettings {
  /** Campaign notifications a user may get a day (NOTIFY_DAILY_CAP), within VK's 3 of every kind. */
  dailyCap: number;
  timezone: string;
  /** Quiet hours of users who set none (DEFAULT_QUIET_HOURS). */
  defaultQuietHours: QuietHours | null;
  /**
   * Marketing community messages a user may get a UTC day, journeys' and campaigns' together
   * (MARKETING_MESSAGES_DAILY_CAP); 1 when left out, as the config's default.
   */
  messagesDailyCap?: number;
  /** Users the daily run asks the NPS question (NPS_SURVEY_DAILY_LIMIT, lib/nps/survey.ts); 0 or left out: none. */
  npsSurveyDailyLimit?: number;
}

/** Everything the decision needs about one user, loaded a page of users at a time. */
export interface UserSnapshot {
  user: UserRecord;
  facts: UserFacts;
  /** Recent notifications of every kind (the daily cap, the hourly limit, the last text). */
  notifications: readonly NotificationRecord[];
  /** Recent campaign deliveries, control group included (cooldowns). */
  deliveries: readonly CampaignDeliveryRecord[];
  /** The `message_allow` keys the user subscribed with, among those the campaigns name. */
  subscriptionKeys?: ReadonlySet<string>;
}

export type SkipReason =
  | 'consent'
  | 'quiet_hours'
  | 'daily_cap'
  | 'hourly_limit'
  | 'no_campaign'
  | 'cooldown'
  | 'type_off'
  | 'exited'
  | 'repeat_text'
  | 'not_subscribed';

export type Decision =
  | { kind: 'send'; campaign: Campaign; variant: CompiledVariant; text: string; channel: DeliveryChannel }
  | { kind: 'control'; campaign: Campaign; channel: DeliveryChannel }
  | { kind: 'skip'; reason: SkipReason };

/** Why a user can't be notified right now at all, whatever the campaign. */
export function audienceProblem(
  user: UserRecord,
  notifications: readonly NotificationRecord[],
  now: number,
  settings: AudienceSettings,
): SkipReason | null {
  if (!user.notificationsAllowed) return 'consent';
  // Quiet hours are the user's local times: in the zone their app reported, else the app's.
  const quiet = user.quietHours ?? settings.defaultQuietHours;
  if (quietHoursEnd(quiet, now, user.timezone ?? settings.timezone) !== null) return 'quiet_hours';
  const verdict = capVerdict(notifications, now, { kind: 'campaign', campaignCap: settings.dailyCap });
  return 'refused' in verdict ? verdict.refused : null;
}

/**
 * Why a user can't get a marketing community message right now: no permission, or quiet hours (the
 * same local hours as notifications). The daily cap is the claim's, at sending.
 */
export function messageAudienceProblem(
  user: UserRecord,
  now: number,
  settings: AudienceSettings,
): SkipReason | null {
  if (user.messagesAllowed !== true) return 'consent';
  const quiet = user.quietHours ?? settings.defaultQuietHours;
  if (quietHoursEnd(quiet, now, user.timezone ?? settings.timezone) !== null) return 'quiet_hours';
  return null;
}

/**
 * The channel a campaign would use for this user: a `message` campaign writes, a `notification` one
 * notifies, `auto` writes to users who allowed messages and notifies the others.
 */
export function channelFor(campaign: Pick<Campaign, 'channel'>, user: UserRecord): DeliveryChannel {
  if (campaign.channel === 'auto') return user.messagesAllowed === true ? 'message' : 'notification';
  return campaign.channel;
}

/** The user's latest notification text: VK refuses the same text twice in a row. */
export function lastTextOf(notifications: readonly NotificationRecord[]): string | null {
  let latest: NotificationRecord | null = null;
  for (const notification of notifications) {
    if (!latest || notification.createdAt > latest.createdAt) latest = notification;
  }
  return latest?.text ?? null;
}

/**
 * The text of a variant for this user: the first alternative that differs from their last
 * notification and fits VK's limit, or null ("vary or skip").
 */
export function textFor(variant: CompiledVariant, user: UserRecord, lastText: string | null): string | null {
  for (const template of variant.templates[user.language ?? 'ru']) {
    const text = renderCampaignText(template, user.firstName);
    if (text !== lastText && text.length <= NOTIFICATION_LIMIT) return text;
  }
  return null;
}

/**
 * Today's campaign for one user, if any: campaigns in priority order, the first one whose segment
 * matches, whose type the user allows, that is out of its cooldown, whose exit doesn't match, and which has a
 * text unlike the user's last one. The variant (or the control group) comes from (user, campaign).
 */
export function decide(
  snapshot: UserSnapshot,
  byPriority: readonly Campaign[],
  now: number,
  settings: AudienceSettings,
): Decision {
  const { user } = snapshot;
  const notificationProblem = audienceProblem(user, snapshot.notifications, now, settings);
  const writes = byPriority.some((campaign) => campaign.channel !== 'notification');
  const messageProblem = writes ? messageAudienceProblem(user, now, settings) : 'consent';
  // Unreachable by either channel: the notification's reason first (as before messages), unless that is only consent.
  if (notificationProblem && messageProblem)
    return {
      kind: 'skip',
      reason: notificationProblem === 'consent' ? messageProblem : notificationProblem,
    };
  const lastText = lastTextOf(snapshot.notifications);
  let blocked: SkipReason | null = null;
  for (const campaign of byPriority) {
    if (!matches(campaign.segment, snapshot.facts, now)) continue;
    if (campaign.subscriptionKey !== undefined && !snapshot.subscriptionKeys?.has(campaign.subscriptionKey)) {
      blocked ??= 'not_subscribed';
      continue;
    }
    const channel = channelFor(campaign, user);
    const problem = channel === 'message' ? messageProblem : notificationProblem;
    if (problem) {
      blocked ??= problem;
      continue;
    }
    if (channel === 'notification' && !user.notificationTypes[campaign.type]) {
      blocked ??= 'type_off';
      continue;
    }
    const cooldownFrom = utcDay(now - (campaign.cooldownDays - 1) * DAY);
    if (snapshot.deliveries.some((d) => d.campaign === campaign.id && d.day >= cooldownFrom)) {
      blocked ??= 'cooldown';
      continue;
    }
    if (campaign.exit && matches(campaign.exit, snapshot.facts, now)) {
      blocked ??= 'exited';
      continue;
    }
    const variantId = assignVariant(campaign, snapshot.user.userId);
    if (variantId === CONTROL) return { kind: 'control', campaign, channel };
    const variant = campaign.variants.find((candidate) => candidate.id === variantId)!;
    // VK's "not the same text twice in a row" is a notification rule: a message takes the first text.
    const text =
      channel === 'message'
        ? renderCampaignText(variant.templates[user.language ?? 'ru'][0]!, user.firstName)
        : textFor(variant, user, lastText);
    if (text === null) {
      blocked ??= 'repeat_text';
      continue;
    }
    return { kind: 'send', campaign, variant, text, channel };
  }
  return { kind: 'skip', reason: blocked ?? 'no_campaign' };
}

/** Enabled campaigns, highest priority first (ties by id, so the order never depends on the file). */
export function inPriorityOrder(list: readonly Campaign[]): Campaign[] {
  return list
    .filter((campaign) => campaign.enabled)
    .sort((a, b) => b.priority - a.priority || a.id.localeCompare(b.id));
}
