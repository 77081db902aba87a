import { get as httpGet, type IncomingHttpHeaders } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { csvField, csvLine, ticketsCsv } from '../../lib/analytics/tickets-csv';
import { SqliteStore } from '../../lib/storage/sqlite/store';
import { supportSettings } from '../../lib/support/settings';
import { statsRange } from '../../lib/tickets/stats';
import type { LocalStack } from '../../scripts/local/stack';
import { ADMIN_TOKEN, OPERATOR_TOKEN } from '../support/bot-harness';
import { hours, MONDAY_10, NOW, RANGE, seeds, seedTickets, stackWithSeededTickets } from './support-fixture';

const HEADER =
  'number,created,category,screen,status,priority,first_response_minutes,resolution_minutes,sla_breached,rating,operator';

/** The fixture's rows (test/analytics/support-fixture.ts), oldest first; tickets a second apart from Monday 10:00. */
const createdAt = (index: number) => new Date(MONDAY_10 + index * 1000).toISOString();
const expectedRows = [
  `Q-1001,${createdAt(0)},question,profile,resolved,normal,10,60,false,5,2`,
  `Q-1002,${createdAt(1)},question,profile,resolved,normal,20,120,false,,2`,
  `Q-1003,${createdAt(2)},question,profile,resolved,normal,30,200,false,,1`,
  `Q-1004,${createdAt(3)},question,,closed,normal,40,500,false,,1`,
  // Unresolved past its resolution due time (Monday 19:00): breached, though no check has flagged it.
  `Q-1005,${createdAt(4)},question,,in_progress,normal,90,,true,,2`,
  `B-1001,${createdAt(5)},bug,settings,resolved,normal,100,100,true,2,2`,
  // Answered after its due time: breached.
  `B-1002,${createdAt(6)},bug,settings,in_progress,normal,130,,true,,1`,
  `B-1003,${createdAt(7)},bug,,new,normal,,,true,,`,
  `Q-1006,2026-01-13T08:30:00.000Z,question,,new,normal,,,false,,`,
];

/** A parser of RFC 4180 records, to read back what the export wrote. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  for (let index = 0; index < text.length; index++) {
    const char = text[index];
    if (quoted) {
      if (char === '"' && text[index + 1] === '"') {
        field += '"';
        index++;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      record.push(field);
      field = '';
    } else if (char === '\r' && text[index + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      index++;
    } else field += char;
  }
  return records;
}

describe('the tickets CSV', () => {
  it('quotes fields with a comma, quote, CR or LF, doubles quotes, and ends lines with CRLF', () => {
    expect(csvLine(['plain', 'a,b', 'say "hi"', 'two\nlines', 'cr\rhere', 12.5, true, null])).toBe(
      'plain,"a,b","say ""hi""","two\nlines","cr\rhere",12.5,true,\r\n',
    );
  });

  it('neutralises text a spreadsheet would run as a formula with a leading apostrophe; numbers stay numbers', () => {
    expect(csvField('=HYPERLINK("http://x","y")')).toBe(`"'=HYPERLINK(""http://x"",""y"")"`);
    expect(['+1', '-2+3', '@SUM(A1)', '\tcmd'].map(csvField)).toEqual([
      "'+1",
      "'-2+3",
      "'@SUM(A1)",
      "'\tcmd",
    ]);
    expect(csvField(-2)).toBe('-2');
    expect(csvField('a=b')).toBe('a=b');
  });

  it('writes a header and one known row per ticket of the range, oldest first', async () => {
    const store = new SqliteStore(':memory:');
    await seedTickets(store);
    const range = statsRange(RANGE, NOW, hours.timezone);
    if (!range) throw new Error('no range');
    const csv = await ticketsCsv(store, range, { support: supportSettings, hours }, NOW);
    expect(csv).toBe([HEADER, ...expectedRows].map((line) => `${line}\r\n`).join(''));
    await store.close();
  });

  it('refuses, by answering null, a file that would pass the function’s answer limit, and stops reading there', async () => {
    const store = new SqliteStore(':memory:');
    await seedTickets(store);
    const range = statsRange(RANGE, NOW, hours.timezone);
    if (!range) throw new Error('no range');
    const settings = { support: supportSettings, hours };
    const csv = (await ticketsCsv(store, range, settings, NOW)) ?? '';
    // The limit counts the text as the function's JSON answer carries it: each CRLF escaped to 4 bytes.
    const escaped = Buffer.byteLength(JSON.stringify(csv)) - 2;
    expect(await ticketsCsv(store, range, settings, NOW, escaped)).toBe(csv);
    expect(await ticketsCsv(store, range, settings, NOW, escaped - 1)).toBeNull();
    await store.close();
  });

  it('reads back, through an RFC 4180 parser, the screen and category it was given, whatever they hold', async () => {
    const store = new SqliteStore(':memory:');
    const screen = 'Оплата, "шаг 2"\r\nпосле\nобновления';
    await seedTickets(store, [
      { number: 'X-1', category: 'odd,"category"', screen, userId: 9, status: 'new' },
      { number: 'X-2', category: 'question', screen: '=cmd|" /C calc"!A0', userId: 9, status: 'new' },
    ]);
    const range = statsRange(RANGE, NOW, hours.timezone);
    if (!range) throw new Error('no range');
    const records = parseCsv(
      (await ticketsCsv(store, range, { support: supportSettings, hours }, NOW)) ?? '',
    );
    expect(records.map((record) => record.length)).toEqual([11, 11, 11]);
    expect(records[1]?.slice(0, 4)).toEqual(['X-1', createdAt(0), 'odd,"category"', screen]);
    expect(records[2]?.[3]).toBe(`'=cmd|" /C calc"!A0`);
    await store.close();
  });
});

describe('GET /api/ops/export/tickets.csv', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await stackWithSeededTickets();
  });
  afterAll(() => stack.close());

  const get = (query: string, token?: string) =>
    fetch(`${stack.url}/api/ops/export/tickets.csv${query}`, {
      headers: token ? { 'x-operator-token': token } : {},
    });

  it('gives an admin the file: text/csv, an attachment named by the range, the known rows', async () => {
    const response = await get(`?from=${RANGE.from}&to=${RANGE.to}`, ADMIN_TOKEN);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(response.headers.get('content-disposition')).toBe(
      'attachment; filename="tickets-2026-01-12-2026-01-13.csv"',
    );
    expect(await response.text()).toBe([HEADER, ...expectedRows].map((line) => `${line}\r\n`).join(''));
  });

  it('gzips the file for a client that accepts gzip, and sends it plain to one that does not', async () => {
    const expected = [HEADER, ...expectedRows].map((line) => `${line}\r\n`).join('');
    const compressed = await rawGet(`?from=${RANGE.from}&to=${RANGE.to}`, 'gzip, deflate');
    expect(compressed.headers['content-encoding']).toBe('gzip');
    expect(compressed.headers.vary).toBe('Accept-Encoding');
    expect(gunzipSync(compressed.body).toString('utf8')).toBe(expected);
    const plain = await rawGet(`?from=${RANGE.from}&to=${RANGE.to}`, 'identity');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.toString('utf8')).toBe(expected);
  });

  /** A request whose Accept-Encoding is the test's own (fetch adds gzip and decodes by itself). */
  const rawGet = (query: string, acceptEncoding: string) =>
    new Promise<{ headers: IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
      const request = httpGet(
        `${stack.url}/api/ops/export/tickets.csv${query}`,
        { headers: { 'x-operator-token': ADMIN_TOKEN, 'accept-encoding': acceptEncoding } },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => resolve({ headers: response.headers, body: Buffer.concat(chunks) }));
        },
      );
      request.on('error', reject);
    });

  it('covers the last 30 days by default (the ticket 20 days before Monday included)', async () => {
    const response = await get('', ADMIN_TOKEN);
    expect(response.headers.get('content-disposition')).toBe(
      'attachment; filename="tickets-2025-12-15-2026-01-13.csv"',
    );
    const records = parseCsv(await response.text());
    expect(records.map((record) => record[0])).toEqual([
      'number',
      'Q-0901',
      ...seeds.slice(0, 9).map((seed) => seed.number),
    ]);
  });

  it('is an admin’s only: 403 problem to an operator, 401 without a token', async () => {
    const asOperator = await get(`?from=${RANGE.from}&to=${RANGE.to}`, OPERATOR_TOKEN);
    expect(asOperator.status).toBe(403);
    expect(asOperator.headers.get('content-type')).toBe('application/problem+json');
    expect(await asOperator.json()).toMatchObject({
      status: 403,
      type: expect.stringContaining('admin_only'),
    });
    expect((await get(`?from=${RANGE.from}&to=${RANGE.to}`)).status).toBe(401);
  });

  it('refuses a bad range with a 400 problem', async () => {
    for (const query of [
      '?from=2026-01-13&to=2026-01-12',
      '?from=2024-01-01&to=2026-01-12',
      '?to=2026-13-40',
    ]) {
      const response = await get(query, ADMIN_TOKEN);
      expect({ query, status: response.status, type: response.headers.get('content-type') }).toEqual({
        query,
        status: 400,
        type: 'application/problem+json',
      });
    }
  });
});
