import { DAY, ManualClock, MINUTE } from '../../lib/clock';
import { BusinessHours } from '../../lib/schedule/business-hours';
import type { Repositories, Store, SurveyRecord, TicketRecord, TicketStatus } from '../../lib/storage/port';
import { findCategory, supportSettings } from '../../lib/support/settings';
import { startSla } from '../../lib/tickets/sla';
import { type LocalStack, startLocalStack } from '../../scripts/local/stack';

/**
 * Tickets with known business times for the support KPIs and the CSV export, in Moscow's business
 * hours (content/support.json: Mon–Fri 9–13 and 14–19). Monday 12 and Tuesday 13 January 2026;
 * "now" is Tuesday 12:00. Targets: question 60 min first response / 480 resolution, bug 120 / 1440.
 */
export const hours = new BusinessHours({ timezone: 'Europe/Moscow', ...supportSettings.businessHours });
/** Monday 2026-01-12 10:00 in Moscow. */
export const MONDAY_10 = Date.UTC(2026, 0, 12, 7, 0);
/** Tuesday 2026-01-13 12:00 in Moscow: the fixture's now. */
export const NOW = Date.UTC(2026, 0, 13, 9, 0);
export const RANGE = { from: '2026-01-12', to: '2026-01-13' };

interface Seed {
  number: string;
  category: string;
  screen?: string;
  userId: number | null;
  createdAt?: number;
  status: TicketStatus;
  /** Business minutes to the first operator reply; none: unanswered. */
  firstResponse?: number;
  /** Business minutes to resolution. */
  resolution?: number;
  /** Business minutes the ticket waited for the user (moves the resolution due time). */
  waited?: number;
  resolutionBreachRecorded?: boolean;
  assigneeId?: number;
  rating?: { rating: number; reason?: string } | 'unanswered';
}

export const seeds: Seed[] = [
  {
    number: 'Q-1001',
    category: 'question',
    screen: 'profile',
    userId: 1,
    status: 'resolved',
    firstResponse: 10,
    resolution: 60,
    assigneeId: 2,
    rating: { rating: 5 },
  },
  {
    number: 'Q-1002',
    category: 'question',
    screen: 'profile',
    userId: 2,
    status: 'resolved',
    firstResponse: 20,
    resolution: 120,
    assigneeId: 2,
    rating: 'unanswered',
  },
  {
    number: 'Q-1003',
    category: 'question',
    screen: 'profile',
    userId: 3,
    status: 'resolved',
    firstResponse: 30,
    resolution: 200,
    assigneeId: 1,
  },
  // 500 minutes against 480, but it waited 60 minutes for the user: met.
  {
    number: 'Q-1004',
    category: 'question',
    userId: 4,
    status: 'closed',
    firstResponse: 40,
    resolution: 500,
    waited: 60,
    assigneeId: 1,
  },
  {
    number: 'Q-1005',
    category: 'question',
    userId: 5,
    status: 'in_progress',
    firstResponse: 90,
    assigneeId: 2,
  },
  {
    number: 'B-1001',
    category: 'bug',
    screen: 'settings',
    userId: 1,
    status: 'resolved',
    firstResponse: 100,
    resolution: 100,
    resolutionBreachRecorded: true,
    assigneeId: 2,
    rating: { rating: 2, reason: 'slow' },
  },
  {
    number: 'B-1002',
    category: 'bug',
    screen: 'settings',
    userId: 6,
    status: 'in_progress',
    firstResponse: 130,
    assigneeId: 1,
  },
  // Unanswered, due Monday 12:00: missed by now.
  { number: 'B-1003', category: 'bug', userId: 7, status: 'new' },
  // Unanswered, due Tuesday 12:30: no verdict yet.
  {
    number: 'Q-1006',
    category: 'question',
    userId: 2,
    status: 'new',
    createdAt: Date.UTC(2026, 0, 13, 8, 30),
  },
  // Before the range: user 3 filed 20 days earlier (a repeat), user 4 40 days earlier (outside 30 days).
  { number: 'Q-0901', category: 'question', userId: 3, status: 'closed', createdAt: MONDAY_10 - 20 * DAY },
  { number: 'Q-0801', category: 'question', userId: 4, status: 'closed', createdAt: MONDAY_10 - 40 * DAY },
];

export function ticketOf(seed: Seed, index: number): TicketRecord {
  const category = findCategory(supportSettings, seed.category);
  const createdAt = seed.createdAt ?? MONDAY_10 + index * 1000;
  const at = (minutes: number | undefined) =>
    minutes === undefined ? null : (hours.addBusinessTime(createdAt, minutes * MINUTE) as number);
  const sla = category ? startSla(hours, category, createdAt) : null;
  if (sla) {
    sla.firstRespondedAt = at(seed.firstResponse);
    if (seed.waited && sla.resolutionDueAt !== null)
      sla.resolutionDueAt = hours.addBusinessTime(sla.resolutionDueAt, seed.waited * MINUTE);
    if (seed.resolutionBreachRecorded) sla.breachedAt.resolution = createdAt;
  }
  const resolvedAt = at(seed.resolution);
  return {
    ticketId: `t-${seed.number}`,
    number: seed.number,
    userId: seed.userId,
    channel: 'app',
    category: seed.category,
    subject: 'Не работает',
    status: seed.status,
    assigneeId: seed.assigneeId ?? null,
    details: {
      ...(sla ? { sla } : {}),
      ...(seed.screen !== undefined ? { screen: seed.screen } : {}),
      ...(resolvedAt !== null ? { resolvedAt, resolution: 1 } : {}),
    },
    createdAt,
    updatedAt: createdAt,
  };
}

function surveyOf(ticket: TicketRecord, seed: Seed): SurveyRecord | null {
  if (!seed.rating) return null;
  const resolvedAt = ticket.details.resolvedAt as number;
  const answered = seed.rating !== 'unanswered' ? seed.rating : null;
  return {
    surveyId: `csat:${ticket.ticketId}:1`,
    ticketId: ticket.ticketId,
    userId: ticket.userId,
    operatorId: ticket.assigneeId,
    status: answered ? 'answered' : 'sent',
    scale: 'five',
    channel: 'message',
    sentAt: resolvedAt + MINUTE,
    rating: answered?.rating ?? null,
    answeredAt: answered ? resolvedAt + 2 * MINUTE : null,
    reason: answered?.reason ?? null,
    reasonText: null,
    remindersSent: 0,
    createdAt: resolvedAt,
    updatedAt: resolvedAt,
  };
}

/** Writes the tickets (and their surveys) through the store's repositories. */
export async function seedTickets(
  store: Pick<Store, 'transaction'>,
  list: readonly Seed[] = seeds,
  extra: (repositories: Repositories) => Promise<void> = async () => {},
): Promise<TicketRecord[]> {
  const tickets = list.map(ticketOf);
  await store.transaction(async (repositories) => {
    for (const [index, ticket] of tickets.entries()) {
      await repositories.tickets.create(ticket);
      const survey = surveyOf(ticket, list[index] as Seed);
      if (survey) await repositories.surveys.create(survey);
    }
    await extra(repositories);
  });
  return tickets;
}

/** The local stack at `NOW` with the seeded tickets, for the endpoints' tests. */
export async function stackWithSeededTickets(): Promise<LocalStack> {
  const stack = await startLocalStack(
    { LOG_LEVEL: 'error' },
    { inMemory: true, pollMs: 10, sink: () => {}, clock: new ManualClock(NOW) },
  );
  await seedTickets(stack.store);
  return stack;
}
