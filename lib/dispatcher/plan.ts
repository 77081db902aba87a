import { type Campaign, CONTROL, type CompiledVariant } from '../campaigns/campaign';
import { factsNeeded } from '../campaigns/segment';
import { type Clock, DAY } from '../clock';
import { utcDay } from '../notifications/daily-cap';
import { sendTimeFor } from '../schedule/timezone';
import type {
  CampaignDeliveryRecord,
  EventRecord,
  NotificationRecord,
  Repositories,
  Store,
  TicketRecord,
  UserRecord,
} from '../storage/port';
import { BatchCollector, type CampaignBatch } from './batch';
import {
  type AudienceSettings,
  type DeliveryChannel,
  decide,
  inPriorityOrder,
  type UserSnapshot,
} from './decide';

/** How far back the last notification text is looked up (VK's "not twice in a row"). */
const NOTIFICATION_HISTORY_DAYS = 30;

export interface PlanReport {
  day: string;
  /** Consenting users looked at. */
  users: number;
  /** Per campaign, per variant (and `control`): users planned today. */
  planned: Record<string, Record<string, number>>;
  /** Users given nothing today, by reason. */
  skipped: Record<string, number>;
  /** Queue messages written (0 on a dry run). */
  batches: number;
  /** The last user id looked at: a resumed run starts after it. */
  cursor: number;
}

export interface PlanOptions {
  campaigns: readonly Campaign[];
  /** Count only: no rows, no queue messages. */
  dryRun: boolean;
  pageSize?: number;
  /** Resume after this user id (a run taken over from one that stopped). */
  afterUserId?: number;
  /** Pages between checkpoints: every open batch is flushed, then `checkpoint` records the cursor. */
  pagesPerCheckpoint?: number;
  /** Returns false to stop (the run lost its lease). */
  checkpoint?: (cursor: number, report: PlanReport) => Promise<boolean>;
  /** Rows of events per read (tests make it small). */
  eventsPerRead?: number;
  /** Plan rows written per transaction (tests make it small). */
  plansPerTransaction?: number;
}

/**
 * Events per read: a page of 1 000 users with a week of events each is many reads, never one
 * unbounded result (YDB streams it, but the memory and the transaction's time are ours).
 */
export const EVENTS_PER_READ = 5000;

/**
 * Plan rows per transaction. Each is a probe and an UPSERT: 100 rows are 200 statements, well inside
 * YDB's limits on a transaction's size and within the store's 5 s budget, retries included. (A page
 * of 1 000 in one transaction was 2 000 round trips.)
 */
export const PLANS_PER_TRANSACTION = 100;

/**
 * Plans today's campaigns over every consenting user, streaming: one page of users at a time by
 * id, each page's events, tickets, notifications and deliveries read with one range read apiece,
 * decisions made in memory, the page's plans written in one transaction, and full batches of 100
 * sent to the notify queue as they fill. Memory is bounded by the page and the open batches, never
 * by the number of users.
 *
 * A plan row is written only if the user has none for this campaign today, and a row still
 * `planned` is queued again: a re-run or a resumed run never plans twice, and a crash between the
 * page's commit and its queue messages loses nothing. The sender's (user, day) claim is what makes
 * the send itself once-only.
 */
export async function planCampaigns(
  deps: {
    store: Store;
    clock: Clock;
    settings: AudienceSettings;
    enqueue?: (batches: CampaignBatch[]) => Promise<void>;
  },
  options: PlanOptions,
): Promise<PlanReport> {
  const { store, settings } = deps;
  const now = deps.clock.now();
  const day = utcDay(now);
  const byPriority = inPriorityOrder(options.campaigns);
  const needs = factsNeeded(byPriority);
  const longestCooldown = Math.max(1, ...byPriority.map((campaign) => campaign.cooldownDays));
  const pageSize = options.pageSize ?? 1000;
  // A campaign that may write reaches users who allowed messages but not notifications: every user
  // is looked at then (a key range by id, a page at a time), else only those who allow notifications.
  const writes = byPriority.some((campaign) => campaign.channel !== 'notification');
  const subscriptionKeys = [
    ...new Set(
      byPriority.flatMap((campaign) => (campaign.subscriptionKey ? [campaign.subscriptionKey] : [])),
    ),
  ];
  const report: PlanReport = {
    day,
    users: 0,
    planned: Object.fromEntries(byPriority.map((campaign) => [campaign.id, {}])),
    skipped: {},
    batches: 0,
    cursor: options.afterUserId ?? 0,
  };
  const enqueue = deps.enqueue;
  if (!options.dryRun && !enqueue) throw new Error('planCampaigns needs enqueue unless it is a dry run');
  const collector = new BatchCollector(async (batches) => {
    report.batches += batches.length;
    await enqueue?.(batches);
  });
  const count = (record: Record<string, number>, key: string) => {
    record[key] = (record[key] ?? 0) + 1;
  };

  let pages = 0;
  for (;;) {
    const users = await store.read((r) =>
      writes
        ? r.users.listPage({ afterUserId: report.cursor, limit: pageSize })
        : r.users.listNotifiable({ afterUserId: report.cursor, limit: pageSize }),
    );
    if (users.length === 0) break;
    const snapshots = await store.read((r) =>
      loadSnapshots(
        r,
        users,
        now,
        { eventDays: needs.eventDays, ticketDays: needs.ticketDays, deliveryDays: longestCooldown },
        { eventsPerRead: options.eventsPerRead ?? EVENTS_PER_READ, pageSize },
        subscriptionKeys,
      ),
    );
    const plans: CampaignDeliveryRecord[] = [];
    const requeue: Array<{
      plan: CampaignDeliveryRecord;
      variant: CompiledVariant;
      channel: DeliveryChannel;
    }> = [];
    // A variant with a local send time goes at that time in each user's own zone.
    const timezones = new Map(snapshots.map((s) => [s.user.userId, s.user.timezone ?? settings.timezone]));
    const batchFor = (plan: CampaignDeliveryRecord, variant: CompiledVariant, channel: DeliveryChannel) => {
      const notBefore = variant.sendAt
        ? sendTimeFor(variant.sendAt, now, timezones.get(plan.userId) ?? settings.timezone)
        : now;
      return { ...batchOf(plan, variant.fragment), channel, ...(notBefore > now ? { notBefore } : {}) };
    };
    for (const snapshot of snapshots) {
      report.users++;
      const today = snapshot.deliveries.find((d) => d.day === day && d.status === 'planned');
      if (today) {
        // Planned by an earlier run that stopped before queueing it.
        const campaign = byPriority.find((candidate) => candidate.id === today.campaign);
        const variant = campaign?.variants.find((candidate) => candidate.id === today.variant);
        if (campaign && variant && today.text)
          requeue.push({ plan: today, variant, channel: today.channel ?? 'notification' });
        count(report.planned[today.campaign] ?? {}, today.variant);
        continue;
      }
      const decision = decide(snapshot, byPriority, now, settings);
      if (decision.kind === 'skip') {
        count(report.skipped, decision.reason);
        continue;
      }
      const variant = decision.kind === 'send' ? decision.variant.id : CONTROL;
      count(report.planned[decision.campaign.id]!, variant);
      plans.push({
        userId: snapshot.user.userId,
        campaign: decision.campaign.id,
        day,
        variant,
        status: decision.kind === 'send' ? 'planned' : 'control',
        detail: null,
        text: decision.kind === 'send' ? decision.text : null,
        channel: decision.channel,
        slot: null,
        sendKey: null,
        plannedAt: now,
        claimedAt: null,
        openedAt: null,
        returnedAt: null,
        goalAt: null,
        updatedAt: now,
      });
    }
    if (!options.dryRun) {
      const written: CampaignDeliveryRecord[] = [];
      const perTransaction = options.plansPerTransaction ?? PLANS_PER_TRANSACTION;
      for (let start = 0; start < plans.length; start += perTransaction) {
        const chunk = plans.slice(start, start + perTransaction);
        const fresh = await store.transaction(async (r) => {
          const planned: CampaignDeliveryRecord[] = [];
          for (const plan of chunk) if (await r.deliveries.plan(plan)) planned.push(plan);
          return planned;
        });
        written.push(...fresh);
      }
      for (const plan of written) {
        if (plan.status !== 'planned' || !plan.text) continue;
        const campaign = byPriority.find((candidate) => candidate.id === plan.campaign)!;
        const variant = campaign.variants.find((candidate) => candidate.id === plan.variant)!;
        await collector.add(batchFor(plan, variant, plan.channel ?? 'notification'), plan.userId);
      }
      for (const { plan, variant, channel } of requeue)
        await collector.add(batchFor(plan, variant, channel), plan.userId);
    }
    report.cursor = users[users.length - 1]!.userId;
    if (++pages % (options.pagesPerCheckpoint ?? 10) === 0 && options.checkpoint) {
      await collector.flushAll();
      if (!(await options.checkpoint(report.cursor, report))) return report;
    }
    if (users.length < pageSize) break;
  }
  await collector.flushAll();
  return report;
}

function batchOf(plan: CampaignDeliveryRecord, fragment: string): Omit<CampaignBatch, 'userIds' | 'kind'> {
  return { day: plan.day, campaign: plan.campaign, variant: plan.variant, text: plan.text ?? '', fragment };
}

/**
 * The page's users with their facts: one range read per table over the page's id range (ordered by
 * user), split by user in one pass. Surveys are read only for resolved tickets in the window.
 */
async function loadSnapshots(
  r: Repositories,
  users: readonly UserRecord[],
  now: number,
  windows: { eventDays: number; ticketDays: number; deliveryDays: number },
  limits: { eventsPerRead: number; pageSize: number },
  subscriptionKeys: readonly string[],
): Promise<UserSnapshot[]> {
  const range = { fromUserId: users[0]!.userId, toUserId: users[users.length - 1]!.userId };
  const [events, notifications, deliveries, tickets, subscribed] = await Promise.all([
    windows.eventDays > 0
      ? eventsOfUsers(
          r,
          { ...range, since: now - windows.eventDays * DAY, until: now + 1 },
          limits.eventsPerRead,
        )
      : [],
    r.notifications.listForUsers({ ...range, sinceDay: utcDay(now - NOTIFICATION_HISTORY_DAYS * DAY) }),
    r.deliveries.listForUsers({ ...range, sinceDay: utcDay(now - windows.deliveryDays * DAY) }),
    windows.ticketDays > 0
      ? r.tickets.listForUsers({ ...range, updatedSince: now - windows.ticketDays * DAY })
      : ([] as TicketRecord[]),
    subscribersOf(r, subscriptionKeys, range, limits.pageSize),
  ]);
  const resolved = new Map<number, Array<{ resolvedAt: number; rated: boolean }>>();
  for (const ticket of tickets) {
    if (ticket.userId === null || (ticket.status !== 'resolved' && ticket.status !== 'closed')) continue;
    const resolvedAt =
      typeof ticket.details.resolvedAt === 'number' ? ticket.details.resolvedAt : ticket.updatedAt;
    if (resolvedAt < now - windows.ticketDays * DAY) continue;
    const surveys = await r.surveys.listByTicket(ticket.ticketId);
    const latest = surveys.reduce<(typeof surveys)[number] | null>(
      (found, survey) => (!found || survey.createdAt > found.createdAt ? survey : found),
      null,
    );
    const list = resolved.get(ticket.userId) ?? [];
    list.push({ resolvedAt, rated: latest?.status === 'answered' });
    resolved.set(ticket.userId, list);
  }
  const eventsByUser = groupByUser(events);
  const notificationsByUser = groupByUser<NotificationRecord>(notifications);
  const deliveriesByUser = groupByUser<CampaignDeliveryRecord>(deliveries);
  return users.map((user) => ({
    user,
    facts: { events: eventsByUser.get(user.userId) ?? [], resolvedTickets: resolved.get(user.userId) ?? [] },
    notifications: notificationsByUser.get(user.userId) ?? [],
    deliveries: deliveriesByUser.get(user.userId) ?? [],
    subscriptionKeys: subscribed.get(user.userId) ?? NO_KEYS,
  }));
}

const NO_KEYS: ReadonlySet<string> = new Set();

/**
 * Which of the page's users subscribed with each key: the key's subscribers in the page's id range,
 * `perRead` at a time (a key range each), so no read is larger than a page of users.
 */
async function subscribersOf(
  r: Repositories,
  keys: readonly string[],
  range: { fromUserId: number; toUserId: number },
  perRead: number,
): Promise<Map<number, Set<string>>> {
  const byUser = new Map<number, Set<string>>();
  for (const key of keys) {
    let after = range.fromUserId - 1;
    while (after < range.toUserId) {
      const page = await r.messageSubscriptions.listByKey(key, { afterUserId: after, limit: perRead });
      for (const subscription of page) {
        if (subscription.userId > range.toUserId) break;
        const keysOfUser = byUser.get(subscription.userId) ?? new Set<string>();
        keysOfUser.add(key);
        byUser.set(subscription.userId, keysOfUser);
      }
      if (page.length < perRead) break;
      after = page[page.length - 1]!.userId;
    }
  }
  return byUser;
}

/** A page of users' events, read `perRead` rows at a time: no read returns more than that. */
async function eventsOfUsers(
  r: Repositories,
  range: { fromUserId: number; toUserId: number; since: number; until: number },
  perRead: number,
): Promise<EventRecord[]> {
  const events: EventRecord[] = [];
  for (;;) {
    const last = events[events.length - 1];
    const page = await r.events.listForUsers({
      ...range,
      limit: perRead,
      ...(last ? { after: { userId: last.userId, occurredAt: last.occurredAt, eventId: last.eventId } } : {}),
    });
    events.push(...page);
    if (page.length < perRead) return events;
  }
}

function groupByUser<T extends { userId: number }>(rows: readonly T[]): Map<number, T[]> {
  const grouped = new Map<number, T[]>();
  for (const row of rows) {
    const list = grouped.get(row.userId);
    if (list) list.push(row);
    else grouped.set(row.userId, [row]);
  }
  return grouped;
}
