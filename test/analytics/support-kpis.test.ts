import {
  DurationTally,
  forEachTicketPage,
  KPI_PAGE_SIZE,
  REPEAT_CONTACT_WINDOW,
  RepeatContacts,
  supportKpis,
} from '../../lib/analytics/support-kpis';
import { MINUTE } from '../../lib/clock';
import { SqliteStore } from '../../lib/storage/sqlite/store';
import { supportSettings } from '../../lib/support/settings';
import { statsRange } from '../../lib/tickets/stats';
import type { LocalStack } from '../../scripts/local/stack';
import { ADMIN_TOKEN, OPERATOR_TOKEN } from '../support/bot-harness';
import { hours, MONDAY_10, NOW, RANGE, seedTickets, stackWithSeededTickets } from './support-fixture';

const durations = (
  count: number,
  average: number | null,
  median: number | null,
  p90: number | null,
  withinTargetPercent: number | null,
  targetMinutes: number | null,
) => ({ count, average, median, p90, withinTargetPercent, targetMinutes });

/** What the fixture's tickets give (test/analytics/support-fixture.ts spells out each one). */
const expected = {
  tickets: 9,
  // 10 20 30 40 90 (questions) 100 130 (bugs): met Q1–Q4 and B1; missed Q5, B2 and B3 (unanswered, overdue).
  firstResponse: durations(7, 60, 40, 130, 62.5, null),
  // 60 100 120 200 500: met Q1–Q4 (Q4's 500 > 480, but it waited 60 min for the user); missed B1
  // (a breach recorded) and Q5 (unresolved past its due time).
  resolution: durations(5, 196, 120, 500, 66.7, null),
  byCategory: {
    bug: {
      tickets: 3,
      firstResponse: durations(2, 115, 100, 130, 33.3, 120),
      resolution: durations(1, 100, 100, 100, 0, 1440),
    },
    question: {
      tickets: 6,
      firstResponse: durations(5, 38, 30, 90, 80, 60),
      resolution: durations(4, 220, 120, 500, 80, 480),
    },
  },
  byScreen: {
    '(none)': {
      tickets: 4,
      firstResponse: durations(2, 65, 40, 90, 33.3, null),
      resolution: durations(1, 500, 500, 500, 50, null),
    },
    profile: {
      tickets: 3,
      firstResponse: durations(3, 20, 20, 30, 100, 60),
      resolution: durations(3, 126.7, 120, 200, 100, 480),
    },
    settings: {
      tickets: 2,
      firstResponse: durations(2, 115, 100, 130, 50, 120),
      resolution: durations(1, 100, 100, 100, 0, 1440),
    },
  },
  // Users 1–7 filed in the range; 1 and 2 twice in it, 3 twenty days before it (4's, 40 days before, is too old).
  repeatContactRate: 0.429,
  repeatContacts: { users: 7, repeatUsers: 3 },
};

const expectedCsat = {
  sent: 3,
  answered: 2,
  responseRate: 0.667,
  average: 3.5,
  satisfied: 0.5,
  distribution: { 2: 1, 5: 1 },
  lowRatings: 1,
  worstReasons: [{ reason: 'slow', count: 1, share: 1 }],
};

describe('the support KPIs', () => {
  it('averages, medians (nearest rank), p90 and target attainment of known tickets, overall, by category and screen', async () => {
    const store = new SqliteStore(':memory:');
    await seedTickets(store);
    const range = statsRange(RANGE, NOW, hours.timezone);
    if (!range) throw new Error('no range');
    const kpis = await supportKpis(store, range, { support: supportSettings, hours }, NOW);
    expect(kpis).toMatchObject(expected);
    expect(kpis.csat).toMatchObject(expectedCsat);
    await store.close();
  });

  it('reads every ticket once, page by page, however many share a creation time', async () => {
    const store = new SqliteStore(':memory:');
    const count = KPI_PAGE_SIZE * 2 + 1;
    await seedTickets(
      store,
      Array.from({ length: count }, (_, index) => ({
        number: `Q-${10_000 + index}`,
        category: 'question',
        userId: index,
        status: 'new' as const,
        createdAt: MONDAY_10,
      })),
    );
    const seen: string[] = [];
    await forEachTicketPage(store, { since: MONDAY_10, until: MONDAY_10 + 1 }, (tickets) => {
      seen.push(...tickets.map((ticket) => ticket.number));
    });
    expect(seen).toHaveLength(count);
    expect(new Set(seen).size).toBe(count);
    await store.close();
  });

  it('counts a repeat within 30 days of the previous ticket, the 30th day included', () => {
    const repeat = new RepeatContacts();
    const start = Date.UTC(2026, 0, 1);
    repeat.observe(1, start, false);
    repeat.observe(1, start + REPEAT_CONTACT_WINDOW, true); // exactly 30 days: a repeat
    repeat.observe(2, start, true);
    repeat.observe(2, start + REPEAT_CONTACT_WINDOW + 1, true); // a millisecond more: not one
    repeat.observe(null, start, true); // an erased user's ticket: nobody's
    repeat.observe(null, start + 1, true);
    repeat.observe(3, start, false); // before the range only: not a user of the range
    expect(repeat.figures()).toEqual({ users: 2, repeatUsers: 1, rate: 0.5 });
  });

  it('gives nulls, not zeros, where there is nothing to measure', () => {
    expect(new DurationTally().figures()).toEqual(durations(0, null, null, null, null, null));
    const tally = new DurationTally();
    tally.add({ businessMs: 1.26 * MINUTE, verdict: null, targetMinutes: 60 });
    expect(tally.figures()).toEqual(durations(1, 1.3, 1.3, 1.3, null, 60));
  });
});

describe('GET /api/ops/metrics/support', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await stackWithSeededTickets();
  });
  afterAll(() => stack.close());

  const get = async (query: string, token?: string) => {
    const response = await fetch(`${stack.url}/api/ops/metrics/support${query}`, {
      headers: token ? { 'x-operator-token': token } : {},
    });
    return {
      status: response.status,
      type: response.headers.get('content-type'),
      body: await response.json(),
    };
  };

  it('answers an operator and an admin with the known figures of the range', async () => {
    for (const token of [OPERATOR_TOKEN, ADMIN_TOKEN]) {
      const answer = await get(`?from=${RANGE.from}&to=${RANGE.to}`, token);
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ from: RANGE.from, to: RANGE.to, ...expected });
      expect(answer.body.csat).toMatchObject(expectedCsat);
    }
  });

  it('covers the last 30 days by default, as /api/ops/stats', async () => {
    const answer = await get('', OPERATOR_TOKEN);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ from: '2025-12-15', to: '2026-01-13', tickets: 10 });
  });

  it('refuses a bad range with a 400 problem and a missing token with a 401', async () => {
    for (const query of [
      '?from=2026-01-13&to=2026-01-12',
      '?from=2024-01-01&to=2026-01-12',
      '?from=12.01.2026',
    ]) {
      const answer = await get(query, OPERATOR_TOKEN);
      expect({ query, status: answer.status, type: answer.type }).toEqual({
        query,
        status: 400,
        type: 'application/problem+json',
      });
    }
    expect((await get(`?from=${RANGE.from}`)).status).toBe(401);
  });
});
