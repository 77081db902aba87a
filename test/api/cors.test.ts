import { type LocalStack, startLocalStack } from '../../scripts/local/stack';

/**
 * The mini app runs on another origin, so its scripts see only the response headers CORS exposes:
 * the ticket-api exposes the ones it answers with for them to read (when to retry, whether a
 * filing was a replay, the export's file name), on every answer to an allowed origin, errors too.
 */
const ORIGIN = 'https://app.example';
const EXPOSED = ['retry-after', 'idempotent-replayed', 'content-disposition'];

let stack: LocalStack;
beforeAll(async () => {
  stack = await startLocalStack(
    { LOG_LEVEL: 'error', MINI_APP_ORIGINS: ORIGIN, TICKETS_PER_HOUR: '1' },
    { inMemory: true, pollMs: 10, sink: () => {} },
  );
});
afterAll(() => stack.close());

async function call(
  method: string,
  path: string,
  options: { user?: number; origin?: string; body?: unknown; headers?: Record<string, string> } = {},
) {
  const response = await fetch(`${stack.url}${path}`, {
    method,
    headers: {
      origin: options.origin ?? ORIGIN,
      ...(options.user !== undefined ? { 'x-vk-launch-params': stack.launchParamsFor(options.user) } : {}),
      ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...options.headers,
    },
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  });
  await response.text();
  return response;
}

const exposed = (response: Response) =>
  (response.headers.get('access-control-expose-headers') ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter(Boolean);

const ticket = { category: 'bug', subject: 'Белый экран', description: 'Профиль не открывается' };

describe('CORS on the ticket-api', () => {
  it('exposes Retry-After, Idempotent-Replayed and Content-Disposition on the answers that carry them', async () => {
    const user = 8_100_001;
    const headers = { 'idempotency-key': 'cors-first-try' };
    const filed = await call('POST', '/api/tickets', { user, body: ticket, headers });
    expect(filed.status).toBe(201);
    const replayed = await call('POST', '/api/tickets', { user, body: ticket, headers });
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    const limited = await call('POST', '/api/tickets', { user, body: { ...ticket, subject: 'Ещё одно' } });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    const exported = await call('GET', '/api/me/export', { user });
    expect(exported.headers.get('content-disposition')).toMatch(/^attachment; filename=/);

    for (const response of [filed, replayed, limited, exported]) {
      expect(response.headers.get('access-control-allow-origin')).toBe(ORIGIN);
      expect(exposed(response)).toEqual(expect.arrayContaining(EXPOSED));
    }
  });

  it('exposes them on errors too: bad launch params, no route, a malformed path', async () => {
    const answers = [
      await call('POST', '/api/tickets', { body: ticket }),
      await call('GET', '/api/nowhere'),
      await call('GET', '/api/kb/%E0%A4%A'),
    ];
    expect(answers.map((response) => response.status)).toEqual([401, 404, 400]);
    for (const response of answers) {
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      expect(response.headers.get('access-control-allow-origin')).toBe(ORIGIN);
      expect(exposed(response)).toEqual(expect.arrayContaining(EXPOSED));
    }
  });

  it('tells another origin nothing', async () => {
    const response = await call('GET', '/api/ping', { origin: 'https://evil.example' });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    expect(response.headers.get('access-control-expose-headers')).toBeNull();
  });
});
