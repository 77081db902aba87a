import { DAY, MINUTE } from '../clock';
import { csatReport } from '../csat/report';
import { currentResolution } from '../csat/survey';
import type { BusinessHours } from '../schedule/business-hours';
import type { Repositories, Store, SurveyRecord, TicketRecord } from '../storage/port';
import { type Category, findCategory, type SupportSettings } from '../support/settings';
import { dueBreach, everBreached, type SlaTarget, slaOf } from '../tickets/sla';
import { percentile, ticketTimes } from '../tickets/stats';
import { BusinessTimeline } from './business-timeline';

/**
 * Support KPIs over the tickets created in a range: first response and resolution times in business
 * minutes (average, median, p90) with the share that met the SLA target, overall, by category and by
 * screen; the repeat-contact rate; CSAT. Pure tallies fed page by page from the store, keeping only
 * numbers per ticket (never the records), so 50 000+ tickets stay in bounded memory.
 */

/** Two tickets of a user at most this far apart make a repeat contact. */
export const REPEAT_CONTACT_WINDOW = 30 * DAY;
/** Tickets read per store round trip. */
export const KPI_PAGE_SIZE = 500;

/**
 * How one ticket did against one target: `met`, `missed`, or null while there is no verdict yet
 * (not answered / not resolved and not yet due).
 */
export type TargetVerdict = 'met' | 'missed' | null;

/** What the KPIs need of one ticket: numbers and keys, no personal data. */
export interface TicketKpiFacts {
  category: string;
  /** `details.screen`, or `(none)`, as `/api/ops/stats` groups it. */
  screen: string;
  userId: number | null;
  createdAt: number;
  firstResponse: { businessMs: number | null; verdict: TargetVerdict; targetMinutes: number | null };
  resolution: { businessMs: number | null; verdict: TargetVerdict; targetMinutes: number | null };
}

/**
 * The verdict of one SLA target, on the ticket's own SLA clock (`details.sla`, lib/tickets/sla.ts),
 * so the resolution target moves while the ticket waits for the user exactly as the alerts do:
 * - done (answered / resolved): met when done by the due time and no breach was recorded;
 * - not done: missed once a breach was recorded or the due time has passed while it is still owed;
 *   otherwise no verdict yet (it may still be met).
 * A ticket without a clock (filed before SLAs) is held to its category's target in business minutes.
 */
export function targetVerdict(
  ticket: TicketRecord,
  target: SlaTarget,
  businessMs: number | null,
  category: Category | undefined,
  now: number,
): TargetVerdict {
  const sla = slaOf(ticket);
  const targetMinutes = category ? targetMinutesOf(category, target) : null;
  if (!sla) {
    if (businessMs === null || targetMinutes === null) return null;
    return businessMs <= targetMinutes * MINUTE ? 'met' : 'missed';
  }
  // A breach in any period of the target (a reopen starts a new resolution period) is a miss.
  if (everBreached(sla, target)) return 'missed';
  const doneAt = target === 'firstResponse' ? sla.firstRespondedAt : resolvedAtOf(ticket);
  const dueAt = target === 'firstResponse' ? sla.firstResponseDueAt : sla.resolutionDueAt;
  if (doneAt !== null && businessMs !== null) {
    if (dueAt !== null) return doneAt <= dueAt ? 'met' : 'missed';
    return targetMinutes === null ? null : businessMs <= targetMinutes * MINUTE ? 'met' : 'missed';
  }
  return dueBreach(sla, ticket.status, target, now) ? 'missed' : null;
}

function targetMinutesOf(category: Category, target: SlaTarget): number {
  return target === 'firstResponse' ? category.sla.firstResponseMinutes : category.sla.resolutionMinutes;
}

function resolvedAtOf(ticket: TicketRecord): number | null {
  return typeof ticket.details.resolvedAt === 'number' ? ticket.details.resolvedAt : null;
}

/** The numbers the KPIs take from a ticket. */
export function kpiFactsOf(
  ticket: TicketRecord,
  settings: { support: SupportSettings; hours: Pick<BusinessHours, 'businessTimeBetween'> },
  now: number,
): TicketKpiFacts {
  const category = findCategory(settings.support, ticket.category);
  const times = ticketTimes(ticket, settings.hours);
  const targetOf = (target: SlaTarget) => (category ? targetMinutesOf(category, target) : null);
  return {
    category: ticket.category,
    screen: typeof ticket.details.screen === 'string' ? ticket.details.screen : '(none)',
    userId: ticket.userId,
    createdAt: ticket.createdAt,
    firstResponse: {
      businessMs: times.firstResponse,
      verdict: targetVerdict(ticket, 'firstResponse', times.firstResponse, category, now),
      targetMinutes: targetOf('firstResponse'),
    },
    resolution: {
      businessMs: times.resolution,
      verdict: targetVerdict(ticket, 'resolution', times.resolution, category, now),
      targetMinutes: targetOf('resolution'),
    },
  };
}

/** One target's figures for a group of tickets. Minutes to 1 decimal, percent to 1 decimal. */
export interface DurationFigures {
  /** Tickets with a time (answered / resolved). */
  count: number;
  average: number | null;
  median: number | null;
  p90: number | null;
  /** Met ÷ (met + missed), in percent: tickets still within their time are not counted yet. */
  withinTargetPercent: number | null;
  /** The group's target in business minutes; null when its tickets have different targets. */
  targetMinutes: number | null;
}

const round1 = (value: number) => Math.round(value * 10) / 10;

/** Business durations of a group and how many met or missed the target. */
export class DurationTally {
  readonly #values: number[] = [];
  #met = 0;
  #judged = 0;
  readonly #targets = new Set<number>();

  add(figure: TicketKpiFacts['firstResponse']): void {
    if (figure.businessMs !== null) this.#values.push(figure.businessMs);
    if (figure.verdict !== null) {
      this.#judged++;
      if (figure.verdict === 'met') this.#met++;
    }
    if (figure.targetMinutes !== null) this.#targets.add(figure.targetMinutes);
  }

  figures(): DurationFigures {
    const sorted = Float64Array.from(this.#values).sort(); // numeric, and faster than an array's sort
    const minutes = (ms: number | null) => (ms === null ? null : round1(ms / MINUTE));
    const total = sorted.reduce((sum, value) => sum + value, 0);
    const [onlyTarget] = this.#targets;
    return {
      count: sorted.length,
      average: sorted.length ? minutes(total / sorted.length) : null,
      // Nearest rank, as /api/ops/stats: a median is always a time some ticket took.
      median: minutes(percentile(sorted, 50)),
      p90: minutes(percentile(sorted, 90)),
      withinTargetPercent: this.#judged ? round1((this.#met / this.#judged) * 100) : null,
      targetMinutes: this.#targets.size === 1 && onlyTarget !== undefined ? onlyTarget : null,
    };
  }
}

class GroupTally {
  tickets = 0;
  readonly firstResponse = new DurationTally();
  readonly resolution = new DurationTally();

  add(facts: TicketKpiFacts): void {
    this.tickets++;
    this.firstResponse.add(facts.firstResponse);
    this.resolution.add(facts.resolution);
  }

  figures() {
    return {
      tickets: this.tickets,
      firstResponse: this.firstResponse.figures(),
      resolution: this.resolution.figures(),
    };
  }
}

/**
 * Repeat contacts: of the users who filed a ticket in the range, those who filed one in the range
 * within 30 days (`REPEAT_CONTACT_WINDOW`) after another of theirs — that other one in the range or
 * in the 30 days before it. Tickets must come oldest first; erased users' tickets (no user) are left
 * out. Keeps one number per user.
 */
export class RepeatContacts {
  readonly #lastFiledAt = new Map<number, number>();
  readonly #users = new Set<number>();
  readonly #repeatUsers = new Set<number>();

  observe(userId: number | null, createdAt: number, inRange: boolean): void {
    if (userId === null) return;
    const previous = this.#lastFiledAt.get(userId);
    this.#lastFiledAt.set(userId, createdAt);
    if (!inRange) return;
    this.#users.add(userId);
    if (previous !== undefined && createdAt - previous <= REPEAT_CONTACT_WINDOW)
      this.#repeatUsers.add(userId);
  }

  figures(): { users: number; repeatUsers: number; rate: number | null } {
    const users = this.#users.size;
    const repeatUsers = this.#repeatUsers.size;
    return { users, repeatUsers, rate: users ? Math.round((repeatUsers / users) * 1000) / 1000 : null };
  }
}

/** Everything but CSAT, fed one ticket at a time. */
export class SupportKpiTally {
  readonly #overall = new GroupTally();
  readonly #byCategory = new Map<string, GroupTally>();
  readonly #byScreen = new Map<string, GroupTally>();
  readonly repeatContacts = new RepeatContacts();

  add(facts: TicketKpiFacts): void {
    this.#overall.add(facts);
    groupOf(this.#byCategory, facts.category).add(facts);
    groupOf(this.#byScreen, facts.screen).add(facts);
    this.repeatContacts.observe(facts.userId, facts.createdAt, true);
  }

  figures() {
    const overall = this.#overall.figures();
    const repeat = this.repeatContacts.figures();
    return {
      tickets: overall.tickets,
      firstResponse: overall.firstResponse,
      resolution: overall.resolution,
      byCategory: figuresByKey(this.#byCategory),
      byScreen: figuresByKey(this.#byScreen),
      repeatContactRate: repeat.rate,
      repeatContacts: { users: repeat.users, repeatUsers: repeat.repeatUsers },
    };
  }
}

function groupOf(groups: Map<string, GroupTally>, key: string): GroupTally {
  const found = groups.get(key) ?? new GroupTally();
  groups.set(key, found);
  return found;
}

function figuresByKey(groups: Map<string, GroupTally>) {
  return Object.fromEntries(
    [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([key, group]) => [key, group.figures()]),
  );
}

/**
 * Every ticket created in `[since, until)`, oldest first, a page per read transaction: short reads
 * (no snapshot held across 100 pages, nothing kept between them) and no cap on the count. `page`
 * gets the repositories of the page's own read, for reads that go with it (its surveys), and may
 * answer `false` to stop there.
 */
export async function forEachTicketPage(
  store: Pick<Store, 'read'>,
  range: { since: number; until: number },
  page: (tickets: TicketRecord[], repositories: Repositories) => unknown,
): Promise<void> {
  let after: { createdAt: number; ticketId: string } | undefined;
  for (;;) {
    const done = await store.read(async (repositories) => {
      const tickets = await repositories.tickets.listCreatedBetween({
        since: range.since,
        until: range.until,
        limit: KPI_PAGE_SIZE,
        ...(after ? { after } : {}),
      });
      const more = (await page(tickets, repositories)) !== false;
      const last = tickets[tickets.length - 1];
      if (last) after = { createdAt: last.createdAt, ticketId: last.ticketId };
      return !more || !last || tickets.length < KPI_PAGE_SIZE;
    });
    if (done) return;
  }
}

/** Business time by lookup over what a range's tickets can span: created in it, done by now. */
export function timelineFor(
  hours: BusinessHours,
  range: { since: number; until: number },
  now: number,
): BusinessTimeline {
  return new BusinessTimeline(hours, range.since, Math.max(range.until, now) + 1);
}

/**
 * The CSAT surveys of a page of tickets, by ticket, in one read: only a resolution schedules one
 * (lib/csat/survey.ts), so tickets never resolved are not asked about.
 */
export async function surveysOfPage(
  repositories: Repositories,
  tickets: readonly TicketRecord[],
): Promise<Map<string, SurveyRecord[]>> {
  const resolved = tickets
    .filter((ticket) => currentResolution(ticket) >= 1)
    .map((ticket) => ticket.ticketId);
  const byTicket = new Map<string, SurveyRecord[]>();
  for (const survey of await repositories.surveys.listByTickets(resolved)) {
    const list = byTicket.get(survey.ticketId) ?? [];
    list.push(survey);
    byTicket.set(survey.ticketId, list);
  }
  return byTicket;
}

/**
 * The support KPIs of the tickets created in `[since, until)` (see `SupportKpiTally`), with CSAT
 * of their surveys as lib/csat/report.ts computes it. The 30 days before `since` are read too, for
 * repeat contacts only.
 */
export async function supportKpis(
  store: Pick<Store, 'read'>,
  range: { since: number; until: number },
  settings: { support: SupportSettings; hours: BusinessHours },
  now: number,
) {
  const tally = new SupportKpiTally();
  const measure = { support: settings.support, hours: timelineFor(settings.hours, range, now) };
  await forEachTicketPage(
    store,
    { since: range.since - REPEAT_CONTACT_WINDOW, until: range.since },
    (tickets) => {
      for (const ticket of tickets) tally.repeatContacts.observe(ticket.userId, ticket.createdAt, false);
    },
  );
  // CSAT keeps each rated ticket's category and its surveys: bounded by the resolved tickets.
  const rated: Array<{ ticket: Pick<TicketRecord, 'category'>; surveys: SurveyRecord[] }> = [];
  await forEachTicketPage(store, range, async (tickets, repositories) => {
    const surveys = await surveysOfPage(repositories, tickets);
    for (const ticket of tickets) {
      tally.add(kpiFactsOf(ticket, measure, now));
      const own = surveys.get(ticket.ticketId);
      if (own) rated.push({ ticket: { category: ticket.category }, surveys: own });
    }
  });
  return { ...tally.figures(), csat: csatReport(rated, settings.hours.timezone) };
}
