import { randomUUID } from 'node:crypto';
import type { TicketRecord, UserRecord } from '../../lib/storage/port';

/** Records for the storage contract's tests: ids unique per run, so a shared database can hold data already. */
export function contractFixtures() {
  const run = randomUUID().slice(0, 8);
  // VK ids are below 2^31; these are far above any real one and unique per run.
  let nextId = 9_000_000_000 + Math.floor(Math.random() * 1_000_000) * 1000;
  const freshId = () => ++nextId;
  const t0 = Date.UTC(2026, 5, 1, 12, 0, 0);

  const user = (overrides: Partial<UserRecord> = {}): UserRecord => ({
    userId: freshId(),
    language: 'ru',
    messagesAllowed: null,
    notificationsAllowed: false,
    notificationTypes: { ticketUpdates: true, reminders: true, news: false },
    quietHours: null,
    timezone: null,
    firstName: 'Анна',
    createdAt: t0,
    updatedAt: t0,
    ...overrides,
  });

  const ticket = (overrides: Partial<TicketRecord> = {}): TicketRecord => ({
    ticketId: randomUUID(),
    number: `T${run}-${freshId()}`,
    userId: freshId(),
    channel: 'app',
    category: 'bug',
    subject: 'Не открывается экран',
    status: 'new',
    assigneeId: null,
    details: { screen: 'profile', platform: 'android' },
    createdAt: t0,
    updatedAt: t0,
    ...overrides,
  });
  return { run, freshId, t0, user, ticket };
}
