import { type LocalStack, startLocalStack } from '../../scripts/local/stack';

/**
 * FZ-152 where the mini app's form collects a contact: the form reads the notice (why, who keeps it,
 * how long) with its categories, and `POST /api/tickets` keeps a contact only with the user's consent,
 * stamping when it was given. Through the local stack's real HTTP path and SQLite store.
 */
let stack: LocalStack;

beforeAll(async () => {
  stack = await startLocalStack(
    { LOG_LEVEL: 'error', PERSONAL_DATA_RETENTION_DAYS: '90' },
    { inMemory: true, pollMs: 10, sink: () => {} },
  );
});
afterAll(async () => {
  await stack.close();
});

let nextUser = 6_100_000;
const freshUser = () => ++nextUser;

async function api(method: string, path: string, call: { user?: number; body?: unknown } = {}) {
  const response = await fetch(`${stack.url}${path}`, {
    method,
    headers: {
      'content-type': 'application/json',
      ...(call.user !== undefined ? { 'x-vk-launch-params': stack.launchParamsFor(call.user) } : {}),
    },
    ...(call.body !== undefined ? { body: JSON.stringify(call.body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : null };
}

const ticketBody = (overrides: Record<string, unknown> = {}) => ({
  category: 'bug',
  subject: 'Не открывается профиль',
  description: 'После обновления белый экран на профиле',
  ...overrides,
});

const storedTicket = (number: string) =>
  stack.store.read((repositories) => repositories.tickets.getByNumber(number));

describe('the contact notice and consent of the mini app form (FZ-152)', () => {
  it('gives the form the notice in ru and en with the configured retention', async () => {
    const answer = await api('GET', '/api/categories');
    expect(answer.status).toBe(200);
    expect(answer.body.retentionDays).toBe(90);
    expect(answer.body.contactNotice.ru).toContain('90 дней после закрытия обращения');
    expect(answer.body.contactNotice.ru).toContain('оператор персональных данных');
    expect(answer.body.contactNotice.en).toContain('for 90 days after the ticket is closed');
    expect(answer.body.categories.length).toBeGreaterThan(0);
  });

  it('refuses a contact without consent with 400 naming the field, writing nothing', async () => {
    const user = freshUser();
    for (const consent of [undefined, false]) {
      const answer = await api('POST', '/api/tickets', {
        user,
        body: ticketBody({
          contact: { phone: '+7 900 123-45-67' },
          ...(consent === undefined ? {} : { consent }),
        }),
      });
      expect(answer.status).toBe(400);
      expect(answer.headers.get('content-type')).toBe('application/problem+json');
      expect(answer.body.errors).toEqual([expect.objectContaining({ path: 'body.consent' })]);
    }
    expect((await api('GET', '/api/tickets', { user })).body.tickets).toEqual([]);
  });

  it('keeps a contact given with consent, and when the consent was given', async () => {
    const user = freshUser();
    const before = Date.now();
    const created = await api('POST', '/api/tickets', {
      user,
      body: ticketBody({ contact: { email: 'anna@example.ru' }, consent: true }),
    });
    expect(created.status).toBe(201);
    const ticket = await storedTicket(created.body.number);
    expect(ticket?.details.contact).toEqual({ email: 'anna@example.ru' });
    expect(ticket?.details.contactConsentAt).toBeGreaterThanOrEqual(before);
    expect(ticket?.details.contactConsentAt).toBeLessThanOrEqual(Date.now());
  });

  it('asks no consent of a ticket without a contact, and stores none', async () => {
    const user = freshUser();
    const created = await api('POST', '/api/tickets', { user, body: ticketBody() });
    expect(created.status).toBe(201);
    const ticket = await storedTicket(created.body.number);
    expect(ticket?.details.contact).toBeUndefined();
    expect(ticket?.details.contactConsentAt).toBeUndefined();
  });
});
