import { createHash } from 'node:crypto';
import { MINUTE } from '../../lib/clock';
import { ADMIN_TOKEN, type BotStack, OPERATOR_TOKEN, startBotStack } from '../support/bot-harness';

/**
 * The admins' audit feed (GET /api/ops/audit): every subject's entries, newest first, paged by an
 * opaque cursor and filtered by time, action, actor and subject; operators get 403.
 */

interface FeedEntry {
  at: string;
  subject: string;
  entryId: string;
  actor: string;
  role: string;
  action: string;
  details: Record<string, unknown>;
}
interface FeedPage {
  entries: FeedEntry[];
  nextCursor: string | null;
}

const USER = 3201;
const BROADCAST_TEXT = 'Сбой оплаты, чиним';
const TICKET_TEXT = 'Не работает вход через VK ID';

let bot: BotStack;
afterEach(async () => {
  await bot?.close();
});

/** A call with its content type, for problem+json answers. */
async function call(path: string, token?: string) {
  const response = await fetch(`${bot.stack.url}${path}`, {
    headers: token ? { 'x-operator-token': token } : {},
  });
  return {
    status: response.status,
    contentType: response.headers.get('content-type') ?? '',
    body: (await response.json()) as Record<string, unknown>,
  };
}

const feed = async (query = ''): Promise<FeedPage> => {
  const answer = await bot.api('GET', `/api/ops/audit${query}`, { operatorToken: ADMIN_TOKEN });
  expect(answer.status).toBe(200);
  return answer.body as FeedPage;
};

/** Follows the cursor to the end; every page no longer than the limit. */
async function everyPage(query: string, limit: number): Promise<{ entries: FeedEntry[]; pages: number }> {
  const entries: FeedEntry[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const separator = query ? '&' : '';
    const page: FeedPage = await feed(
      `?${query}${separator}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    expect(page.entries.length).toBeLessThanOrEqual(limit);
    entries.push(...page.entries);
    cursor = page.nextCursor;
    pages++;
  } while (cursor && pages < 100);
  return { entries, pages };
}

/** A ticket taken by an operator, the user's data exported, a broadcast sent, the user erased: a minute apart. */
async function auditedDay() {
  bot = await startBotStack();
  const { number, card } = await bot.fileTicket(USER, TICKET_TEXT);
  bot.clock.advance(MINUTE);
  await bot.press(1, card, { c: 'op', a: 'take' });
  bot.clock.advance(MINUTE);
  expect((await bot.api('GET', `/api/ops/users/${USER}/export`, { operatorToken: ADMIN_TOKEN })).status).toBe(
    200,
  );
  bot.clock.advance(MINUTE);
  const broadcast = await bot.api('POST', '/api/ops/broadcasts', {
    operatorToken: ADMIN_TOKEN,
    body: { text: BROADCAST_TEXT, audience: 'all' },
  });
  expect(broadcast.status).toBe(202);
  bot.clock.advance(MINUTE);
  expect((await bot.api('DELETE', `/api/ops/users/${USER}`, { operatorToken: ADMIN_TOKEN })).status).toBe(
    200,
  );
  return { number, broadcastId: String(broadcast.body.id) };
}

describe('the audit feed', () => {
  it('shows an admin what was done to tickets, users and broadcasts, newest first, without texts', async () => {
    const { number, broadcastId } = await auditedDay();
    const page = await feed();
    expect(page.nextCursor).toBeNull();
    const times = page.entries.map((entry) => Date.parse(entry.at));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    const byAction = (action: string) => page.entries.filter((entry) => entry.action === action);
    const [erase] = byAction('user.erase');
    expect(erase).toMatchObject({
      subject: expect.stringMatching(/^user:[\w-]{22}$/),
      actor: 'operator:1',
      role: 'admin',
      details: { anonymisedTickets: 1 },
    });
    expect(byAction('user.export')).toEqual([
      expect.objectContaining({ subject: erase?.subject, role: 'admin' }),
    ]);
    expect(byAction('broadcast.send')).toEqual([
      expect.objectContaining({ subject: `broadcast:${broadcastId}`, actor: 'operator:1' }),
    ]);
    expect(byAction('ticket.assign')).toEqual([
      expect.objectContaining({
        subject: expect.stringMatching(/^ticket:/),
        details: expect.objectContaining({ number }),
      }),
    ]);
    // Newest first: the erasure (and its ticket's anonymisation), the broadcast, the export, the assignment.
    const order = ['user.erase', 'broadcast.send', 'user.export', 'ticket.assign'].map((action) =>
      page.entries.findIndex((entry) => entry.action === action),
    );
    expect(order).toEqual([...order].sort((a, b) => a - b));
    const text = JSON.stringify(page);
    expect(text).not.toContain(BROADCAST_TEXT);
    expect(text).not.toContain(TICKET_TEXT);
    expect(text).not.toContain(String(USER));
  });

  it("records the erasure on the anonymised ticket's own audit, without naming the user", async () => {
    const { number } = await auditedDay();
    const answer = await bot.api('GET', `/api/ops/tickets/${number}/audit`, { operatorToken: ADMIN_TOKEN });
    expect(answer.status).toBe(200);
    const entries = answer.body.entries as FeedEntry[];
    expect(entries.at(-1)).toMatchObject({
      action: 'ticket.anonymise',
      actor: 'operator:1',
      role: 'admin',
      details: { number, reason: 'user.erase' },
    });
    expect(JSON.stringify(entries)).not.toContain('user:');
  });

  it('names users by a keyed hash, and records an erasure the user asked for in the mini app', async () => {
    bot = await startBotStack();
    const user = 7_400_001;
    const filed = await bot.api('POST', '/api/tickets', {
      user,
      body: { category: 'bug', subject: 'Белый экран', description: 'Профиль не открывается' },
    });
    expect((await bot.api('DELETE', '/api/me', { user })).status).toBe(200);
    const ticketAudit = await bot.api('GET', `/api/ops/tickets/${filed.body.number}/audit`, {
      operatorToken: ADMIN_TOKEN,
    });
    expect(ticketAudit.body.entries.at(-1)).toMatchObject({
      action: 'ticket.anonymise',
      actor: 'user',
      details: { number: filed.body.number, reason: 'user.erase' },
    });
    const [erase] = (await feed('?action=user.erase')).entries;
    expect(erase).toMatchObject({
      actor: 'user',
      role: 'user',
      details: { anonymisedTickets: 1, by: 'self' },
    });
    // Not the plain SHA-256 an earlier version used: anyone could hash every VK id and match it.
    const unkeyed = createHash('sha256').update(`audit-user\u0000${user}`).digest('base64url').slice(0, 22);
    expect(erase?.subject).toMatch(/^user:[\w-]{22}$/);
    expect(erase?.subject).not.toBe(`user:${unkeyed}`);
  });

  it('pages with the cursor through every entry once, filtered or not', async () => {
    await auditedDay();
    const whole = (await feed('?limit=100')).entries;
    expect(whole.length).toBeGreaterThanOrEqual(5);
    const paged = await everyPage('', 2);
    expect(paged.entries).toEqual(whole);
    expect(paged.pages).toBe(Math.ceil(whole.length / 2));
    const byOperator = await everyPage('actor=operator%3A1', 1);
    expect(byOperator.entries).toEqual(whole.filter((entry) => entry.actor === 'operator:1'));
  });

  it('filters by action, actor, subject prefix and time', async () => {
    await auditedDay();
    const whole = (await feed()).entries;
    const erasures = (await feed('?action=user.erase')).entries;
    expect(erasures.map((entry) => entry.action)).toEqual(['user.erase']);
    const users = (await feed('?subject=user%3A')).entries;
    expect(users.map((entry) => entry.action)).toEqual(['user.erase', 'user.export']);
    const tickets = (await feed('?subject=ticket%3A&actor=operator%3A1')).entries;
    expect(tickets.map((entry) => entry.action)).toEqual(
      whole.filter((e) => e.subject.startsWith('ticket:') && e.actor === 'operator:1').map((e) => e.action),
    );
    expect(tickets.map((entry) => entry.action)).toEqual(
      expect.arrayContaining(['ticket.anonymise', 'ticket.assign']),
    );
    expect((await feed('?action=ticket.nothing')).entries).toEqual([]);

    // Instants: `since` is included, `until` is not; a date is its whole day in Moscow.
    const exportedAt = whole.find((entry) => entry.action === 'user.export')?.at ?? '';
    const fromExport = (await feed(`?since=${exportedAt}`)).entries;
    expect(fromExport.at(-1)?.action).toBe('user.export');
    expect(fromExport).toEqual(whole.filter((entry) => entry.at >= exportedAt));
    const beforeExport = (await feed(`?until=${exportedAt}`)).entries;
    expect(beforeExport).toEqual(whole.filter((entry) => entry.at < exportedAt));
    // The same clock time in Moscow is three hours earlier: everything that day.
    const moscow = (await feed(`?since=${encodeURIComponent(exportedAt.replace('Z', '+03:00'))}`)).entries;
    expect(moscow).toEqual(whole);
    expect((await feed('?since=2026-11-18&until=2026-11-18')).entries).toEqual(whole);
    expect((await feed('?until=2026-11-17')).entries).toEqual([]);
    expect((await feed('?since=2026-11-19')).entries).toEqual([]);
  });

  it('returns a cursor with a short page when filters skip more than one request reads', async () => {
    bot = await startBotStack();
    const at = bot.clock.now();
    await bot.store.transaction(async (repositories) => {
      await repositories.audit.append({
        subject: 'broadcast:needle',
        at: at - 1,
        entryId: 'needle',
        actor: 'operator:1',
        role: 'admin',
        action: 'broadcast.send',
        details: {},
      });
      for (let index = 0; index < 1050; index++)
        await repositories.audit.append({
          subject: `ticket:noise-${index}`,
          at: at + index,
          entryId: `noise-${index}`,
          actor: 'system',
          role: 'system',
          action: 'ticket.priority',
          details: {},
        });
    });
    const first = await feed('?action=broadcast.send');
    expect(first.entries).toEqual([]);
    expect(first.nextCursor).not.toBeNull();
    const second = await feed(`?action=broadcast.send&cursor=${first.nextCursor}`);
    expect(second.entries.map((entry) => entry.subject)).toEqual(['broadcast:needle']);
    expect(second.nextCursor).toBeNull();
  });

  it('is for admins: an operator gets 403 problem+json, no token 401', async () => {
    bot = await startBotStack();
    const asOperator = await call('/api/ops/audit', OPERATOR_TOKEN);
    expect(asOperator.status).toBe(403);
    expect(asOperator.contentType).toContain('application/problem+json');
    expect(asOperator.body).toMatchObject({ status: 403, type: expect.stringContaining('admin_only') });
    expect((await call('/api/ops/audit')).status).toBe(401);
  });

  it('answers a bad query with 400 problem+json', async () => {
    bot = await startBotStack();
    for (const query of [
      'limit=0',
      'limit=101',
      'limit=ten',
      'since=yesterday',
      'until=2026-11-18T12%3A00%3A00',
      'since=2026-11-19&until=2026-11-18',
      'cursor=not-a-cursor',
      `cursor=${Buffer.from('[1,"",""]').toString('base64url')}`,
      'action=',
      'order=asc',
    ]) {
      const answer = await call(`/api/ops/audit?${query}`, ADMIN_TOKEN);
      expect({ query, status: answer.status }).toEqual({ query, status: 400 });
      expect(answer.contentType).toContain('application/problem+json');
      expect(answer.body).toMatchObject({ status: 400 });
    }
  });
});
