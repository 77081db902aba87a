import * as z from 'zod';
import { type Condition, conditionSchema } from '../campaigns/campaign';
import { lookback, matches, type UserFacts } from '../campaigns/segment';
import { DAY } from '../clock';
import type { BroadcastChannel, EventRecord, Repositories, Store, UserRecord } from '../storage/port';

/**
 * Who an incident broadcast reaches, read one page of 100 users at a time: `"all"` (every user who
 * allows messages or notifications), `{segment}` (the campaigns' segment language, evaluated per page
 * as the daily plan does) or `{key}` (users who allowed messages through that `message_allow` key).
 */
export type BroadcastAudience = 'all' | { segment: Condition } | { key: string };

/**
 * A segment rule is checked by the campaigns' own (recursive) schema; the API documents it as an
 * object, since the OpenAPI tooling can't follow a recursive inline schema.
 */
const segmentRule = z
  .record(z.string(), z.unknown())
  .describe('A segment rule in the language of content/campaigns.json')
  .transform((value, context) => {
    const parsed = conditionSchema.safeParse(value);
    if (parsed.success) return parsed.data;
    for (const issue of parsed.error.issues)
      context.addIssue({ code: 'custom', message: issue.message, path: issue.path });
    return z.NEVER;
  });

export const broadcastAudienceSchema: z.ZodType<BroadcastAudience, unknown> = z.union([
  z.literal('all'),
  z.strictObject({ segment: segmentRule }),
  z.strictObject({ key: z.string().min(1).max(100) }),
]);

/** One keyed batch job sends to at most this many users: one VK call per channel. */
export const BROADCAST_PAGE = 100;
/** A dry run counts this many users a read (the daily plan's page). */
const COUNT_PAGE = 1000;
/** A page's events are read this many rows at a time (as the daily plan reads them). */
const EVENTS_PER_READ = 1000;

/** How one user is reached, or null when they allow neither (not in the audience). */
export function channelFor(user: UserRecord, channel: BroadcastChannel): 'message' | 'notification' | null {
  const messages = user.messagesAllowed === true;
  if (channel === 'message') return messages ? 'message' : null;
  if (channel === 'notification') return user.notificationsAllowed ? 'notification' : null;
  return messages ? 'message' : user.notificationsAllowed ? 'notification' : null;
}

export interface AudiencePage {
  /** The page's users in the audience, each with the channel that reaches them, by ascending id. */
  recipients: Array<{ user: UserRecord; via: 'message' | 'notification' }>;
  /** Where the next page starts (pass as `afterUserId`), or null on the last page. */
  nextAfterUserId: number | null;
}

/** The audience among the next `pageSize` users (or key subscribers) after `afterUserId`. */
export async function readAudiencePage(
  r: Repositories,
  audience: BroadcastAudience,
  channel: BroadcastChannel,
  afterUserId: number,
  now: number,
  pageSize = BROADCAST_PAGE,
): Promise<AudiencePage> {
  const page = { afterUserId, limit: pageSize };
  let users: UserRecord[];
  let scanned: number[];
  if (typeof audience === 'object' && 'key' in audience) {
    const subscribers = await r.messageSubscriptions.listByKey(audience.key, page);
    scanned = subscribers.map((subscriber) => subscriber.userId);
    const found = await Promise.all(scanned.map((userId) => r.users.get(userId)));
    // A key is a message subscription: its users are reached by messages only.
    users = found.filter((user): user is UserRecord => user?.messagesAllowed === true);
    channel = 'message';
  } else {
    const listed = await r.users.listPage(page);
    scanned = listed.map((user) => user.userId);
    users = listed;
    if (audience !== 'all' && listed.length > 0) {
      const facts = await loadFacts(r, listed, audience.segment, now);
      users = listed.filter((user) => matches(audience.segment, facts.get(user.userId) ?? noFacts, now));
    }
  }
  const recipients = users.flatMap((user) => {
    const via = channelFor(user, channel);
    return via ? [{ user, via }] : [];
  });
  const last = scanned[scanned.length - 1];
  return {
    recipients,
    nextAfterUserId: scanned.length === pageSize && last !== undefined ? last : null,
  };
}

/**
 * The whole audience, a read of `COUNT_PAGE` users at a time (each its own short read, as the daily
 * plan pages): what `?dryRun=1` answers. Nothing is written.
 */
export async function countAudience(
  store: Store,
  audience: BroadcastAudience,
  channel: BroadcastChannel,
  now: number,
): Promise<{ total: number; messages: number; notifications: number }> {
  const counts = { total: 0, messages: 0, notifications: 0 };
  let after: number | null = 0;
  while (after !== null) {
    const from: number = after;
    const page: AudiencePage = await store.read((r) =>
      readAudiencePage(r, audience, channel, from, now, COUNT_PAGE),
    );
    for (const { via } of page.recipients) {
      counts.total++;
      if (via === 'message') counts.messages++;
      else counts.notifications++;
    }
    after = page.nextAfterUserId;
  }
  return counts;
}

const noFacts: UserFacts = { events: [], resolvedTickets: [] };

/** The page's users' events and resolved tickets over the rule's lookback: one range read per table. */
async function loadFacts(
  r: Repositories,
  users: readonly UserRecord[],
  segment: Condition,
  now: number,
): Promise<Map<number, UserFacts>> {
  const range = { fromUserId: users[0]?.userId ?? 0, toUserId: users[users.length - 1]?.userId ?? 0 };
  const windows = lookback(segment);
  const facts = new Map<
    number,
    { events: EventRecord[]; resolvedTickets: Array<{ resolvedAt: number; rated: boolean }> }
  >();
  const of = (userId: number) => {
    let found = facts.get(userId);
    if (!found) {
      found = { events: [], resolvedTickets: [] };
      facts.set(userId, found);
    }
    return found;
  };
  if (windows.eventDays > 0) {
    let after: { userId: number; occurredAt: number; eventId: string } | undefined;
    for (;;) {
      const events = await r.events.listForUsers({
        ...range,
        since: now - windows.eventDays * DAY,
        until: now + 1,
        limit: EVENTS_PER_READ,
        ...(after ? { after } : {}),
      });
      for (const event of events) of(event.userId).events.push(event);
      const last = events[events.length - 1];
      if (!last || events.length < EVENTS_PER_READ) break;
      after = { userId: last.userId, occurredAt: last.occurredAt, eventId: last.eventId };
    }
  }
  if (windows.ticketDays > 0) {
    const tickets = await r.tickets.listForUsers({ ...range, updatedSince: now - windows.ticketDays * DAY });
    for (const ticket of tickets) {
      if (ticket.userId === null || (ticket.status !== 'resolved' && ticket.status !== 'closed')) continue;
      const resolvedAt =
        typeof ticket.details.resolvedAt === 'number' ? ticket.details.resolvedAt : ticket.updatedAt;
      const surveys = await r.surveys.listByTicket(ticket.ticketId);
      const latest = surveys.reduce<(typeof surveys)[number] | null>(
        (found, survey) => (!found || survey.createdAt > found.createdAt ? survey : found),
        null,
      );
      of(ticket.userId).resolvedTickets.push({
        resolvedAt,
        rated: latest?.status === 'answered',
      });
    }
  }
  return facts;
}
