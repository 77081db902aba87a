import { DAY, HOUR, MINUTE } from '../clock';
import { csatReport } from '../csat/report';
import { type BusinessHours, localParts, zonedTime } from '../schedule/business-hours';
import type { Repositories, SurveyRecord, TicketRecord } from '../storage/port';
import { everBreached, slaOf } from './sla';

/** Midnight of a local date (`YYYY-MM-DD`) in the community's timezone. */
export function localMidnight(date: string, timezone: string): number {
  const [year, month, day] = date.split('-').map(Number);
  return zonedTime({ year: year ?? 1970, month: month ?? 1, day: day ?? 1 }, 0, timezone);
}

/**
 * The instants `[since, until)` of a report over local dates, both ends included; by default the
 * 30 days up to the end of today. Null when the range is empty or longer than 366 days.
 */
export function statsRange(
  dates: { from?: string | undefined; to?: string | undefined },
  now: number,
  timezone: string,
): { since: number; until: number } | null {
  const until = dates.to
    ? localMidnight(dates.to, timezone) + DAY
    : zonedTime(localParts(now, timezone), 24 * 60, timezone);
  const since = dates.from ? localMidnight(dates.from, timezone) : until - 30 * DAY;
  // At most 366 local days (an hour more where a DST change falls in them).
  if (until <= since || until - since > 366 * DAY + HOUR) return null;
  return { since, until };
}

/** Scanning stops here; the answer says so (`truncated`) rather than hold an unbounded range. */
const MAX_TICKETS = 20_000;

export function percentile(sorted: ArrayLike<number>, p: number): number | null {
  if (sorted.length === 0) return null;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? null;
}

function summary(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  const round = (value: number | null) => (value === null ? null : Math.round(value / MINUTE));
  return {
    count: sorted.length,
    medianMinutes: round(percentile(sorted, 50)),
    p90Minutes: round(percentile(sorted, 90)),
  };
}

/**
 * A ticket's first response and resolution times in business ms, null while it has none: first
 * response from its SLA clock, resolution to its last `resolvedAt`. What the stats and the support
 * KPIs (lib/analytics/support-kpis.ts) both measure.
 */
export function ticketTimes(
  ticket: TicketRecord,
  hours: Pick<BusinessHours, 'businessTimeBetween'>,
): { firstResponse: number | null; resolution: number | null } {
  const respondedAt = slaOf(ticket)?.firstRespondedAt;
  const resolvedAt = ticket.details.resolvedAt;
  return {
    firstResponse: respondedAt ? hours.businessTimeBetween(ticket.createdAt, respondedAt) : null,
    resolution:
      typeof resolvedAt === 'number' ? hours.businessTimeBetween(ticket.createdAt, resolvedAt) : null,
  };
}

const increment = (counts: Record<string, number>, key: string) => {
  counts[key] = (counts[key] ?? 0) + 1;
};

/**
 * Figures for tickets created in `[since, until)`: counts by category, screen and status; first
 * response and resolution times in business minutes (median, p90); SLA breaches; CSAT of their
 * surveys (lib/csat/report.ts).
 */
export async function computeStats(
  repositories: Repositories,
  range: { since: number; until: number; hours: BusinessHours },
) {
  const byCategory: Record<string, number> = {};
  const byScreen: Record<string, number> = {};
  const byStatus: Record<string, number> = {};
  const firstResponse: number[] = [];
  const resolution: number[] = [];
  const breaches = { firstResponse: 0, resolution: 0 };
  let scanned = 0;
  let after: { createdAt: number; ticketId: string } | undefined;
  const tickets: TicketRecord[] = [];
  while (scanned < MAX_TICKETS) {
    const page = await repositories.tickets.listCreatedBetween({
      since: range.since,
      until: range.until,
      limit: 500,
      ...(after ? { after } : {}),
    });
    tickets.push(...page);
    scanned += page.length;
    const last = page[page.length - 1];
    if (!last || page.length < 500) break;
    after = { createdAt: last.createdAt, ticketId: last.ticketId };
  }
  const surveys: Array<{ ticket: TicketRecord; surveys: SurveyRecord[] }> = [];
  // The tickets' surveys 500 ids a read, not a round trip per ticket.
  const surveysByTicket = new Map<string, SurveyRecord[]>();
  for (let start = 0; start < tickets.length; start += 500) {
    const ids = tickets.slice(start, start + 500).map((ticket) => ticket.ticketId);
    for (const survey of await repositories.surveys.listByTickets(ids))
      surveysByTicket.set(survey.ticketId, [...(surveysByTicket.get(survey.ticketId) ?? []), survey]);
  }
  for (const ticket of tickets) {
    increment(byCategory, ticket.category);
    increment(byStatus, ticket.status);
    increment(byScreen, typeof ticket.details.screen === 'string' ? ticket.details.screen : '(none)');
    const sla = slaOf(ticket);
    const times = ticketTimes(ticket, range.hours);
    if (times.firstResponse !== null) firstResponse.push(times.firstResponse);
    if (times.resolution !== null) resolution.push(times.resolution);
    // A ticket counts once per target, whichever of its periods breached it.
    if (sla && everBreached(sla, 'firstResponse')) breaches.firstResponse++;
    if (sla && everBreached(sla, 'resolution')) breaches.resolution++;
    surveys.push({ ticket, surveys: surveysByTicket.get(ticket.ticketId) ?? [] });
  }
  return {
    range: { from: new Date(range.since).toISOString(), until: new Date(range.until).toISOString() },
    tickets: tickets.length,
    truncated: scanned >= MAX_TICKETS,
    byCategory,
    byScreen,
    byStatus,
    firstResponse: summary(firstResponse),
    resolution: summary(resolution),
    slaBreaches: breaches,
    csat: csatReport(surveys, range.hours.timezone),
  };
}
