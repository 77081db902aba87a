import { activeDaysOf, dateOfDay } from '../analytics/activity';
import type { LaunchIdentity } from '../api/launch-params';
import type { Repositories, TicketRecord, UserRecord } from '../storage/port';
import { anonymiseTicket } from '../tickets/anonymise';
import { userUpdatesKey } from '../tickets/update-digest';

export function newUserRecord(userId: number, now: number, overrides: Partial<UserRecord> = {}): UserRecord {
  return {
    userId,
    language: null,
    messagesAllowed: null,
    notificationsAllowed: false,
    notificationTypes: { ticketUpdates: true, reminders: true, news: false },
    quietHours: null,
    timezone: null,
    firstName: null,
    createdAt: now,
    updatedAt: now,
    ...overrides,
  };
}

/** VK refused a message to this user (900–902): the community may not write until they allow it again. */
export async function recordNotAllowed(
  repositories: Repositories,
  userId: number,
  now: number,
): Promise<void> {
  if (userId <= 0 || userId >= 2_000_000_000) return; // a chat, not a user
  const user = await repositories.users.get(userId);
  if (user && user.messagesAllowed !== false)
    await repositories.users.put({ ...user, messagesAllowed: false, updatedAt: now });
}

/**
 * The user behind verified launch params, created on first sight. `vk_are_notifications_enabled`
 * is VK's word on consent at launch, so a stored value that disagrees follows it when the params
 * are newer than the record.
 */
export async function ensureAppUser(
  repositories: Repositories,
  identity: LaunchIdentity,
  now: number,
): Promise<UserRecord> {
  const existing = await repositories.users.get(identity.userId);
  if (!existing) {
    const created = newUserRecord(identity.userId, now, {
      language: identity.language,
      notificationsAllowed: identity.notificationsEnabled,
    });
    await repositories.users.put(created);
    return created;
  }
  // Launch params are signed when the app opens: only params signed after the record last changed
  // are newer news (a consent withdrawn since must not be undone by the app's old params).
  const consentIsNewer = identity.signedAt > existing.updatedAt;
  const consentChanged = consentIsNewer && existing.notificationsAllowed !== identity.notificationsEnabled;
  if (consentChanged || existing.language === null) {
    const updated = {
      ...existing,
      notificationsAllowed: consentChanged ? identity.notificationsEnabled : existing.notificationsAllowed,
      language: existing.language ?? identity.language,
      updatedAt: now,
    };
    await repositories.users.put(updated);
    return updated;
  }
  return existing;
}

/** Every ticket of a user, newest first (a user has few; pages keep each read bounded). */
export async function allTicketsOf(repositories: Repositories, userId: number): Promise<TicketRecord[]> {
  const tickets: TicketRecord[] = [];
  let before: { createdAt: number; ticketId: string } | undefined;
  for (;;) {
    const page = await repositories.tickets.listByUser(userId, { limit: 100, ...(before ? { before } : {}) });
    tickets.push(...page.tickets);
    if (!page.nextCursor) return tickets;
    before = page.nextCursor;
  }
}

/** Everything held about a user, as the export endpoint returns it. */
export async function exportUserData(repositories: Repositories, userId: number, now: number) {
  const [user, dialog, tickets, events, notifications, campaignDeliveries, activity, npsResponses] =
    await Promise.all([
      repositories.users.get(userId),
      repositories.dialogs.get(userId),
      allTicketsOf(repositories, userId),
      repositories.events.listByUser(userId, { since: 0, until: now + 1, limit: 100_000 }),
      repositories.notifications.listByUser(userId, 10_000),
      repositories.deliveries.listByUser(userId, '0000-00-00'),
      repositories.activity.get(userId),
      repositories.nps.listByUser(userId, 1000),
    ]);
  const ticketData = await Promise.all(
    tickets.map(async (ticket) => ({
      ...ticket,
      messages: (await repositories.tickets.listMessages(ticket.ticketId)).filter((m) => !m.internal),
      statusChanges: await repositories.tickets.listStatusChanges(ticket.ticketId),
      surveys: await repositories.surveys.listByTicket(ticket.ticketId),
    })),
  );
  return {
    exportedAt: new Date(now).toISOString(),
    user,
    dialog,
    tickets: ticketData,
    events,
    notifications,
    campaignDeliveries,
    activity: activity && {
      firstDay: dateOfDay(activity.firstDay),
      activeDays: activeDaysOf(activity).map(dateOfDay),
    },
    npsResponses,
  };
}

/**
 * Erases a user in the caller's transaction: the user, their dialog, events and notification log
 * are deleted; their tickets stay for statistics, anonymised (`anonymiseTicket`: the owner, subject,
 * texts, attachments, contact and the survey reasons in their own words removed, surveys not yet
 * answered cancelled); other pending work for those tickets finds no owner.
 */
export async function eraseUser(
  repositories: Repositories,
  userId: number,
  now: number,
): Promise<{ tickets: number }> {
  const tickets = await allTicketsOf(repositories, userId);
  for (const ticket of tickets) await anonymiseTicket(repositories, ticket, now);
  await repositories.users.delete(userId);
  await repositories.dialogs.delete(userId);
  await repositories.events.deleteByUser(userId);
  await repositories.notifications.deleteByUser(userId);
  await repositories.deliveries.deleteByUser(userId);
  await repositories.messageSubscriptions.deleteByUser(userId);
  await repositories.journeys.deleteByUser(userId);
  await repositories.activity.deleteByUser(userId);
  await repositories.nps.deleteByUser(userId);
  // Ticket updates still waiting for them: nobody to tell now (a claim can't be deleted, only emptied).
  await repositories.claims.put({ key: userUpdatesKey(userId), value: {}, createdAt: now, expiresAt: now });
  return { tickets: tickets.length };
}
