import { createHash } from 'node:crypto';
import { DAY } from '../../lib/clock';
import { RewindClock, seedDemoData } from '../../scripts/dashboard-shot';
import { type LocalStack, startLocalStack } from '../../scripts/local/stack';
import { renderGatewayTemplate, renderOpenApi } from '../../scripts/openapi';

const OPERATOR = { 'x-operator-token': 'dev-operator-token-0123456789' };

describe('the dashboard page', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await startLocalStack({ LOG_LEVEL: 'error' }, { inMemory: true, sink: () => {} });
  });
  afterAll(() => stack.close());

  it('is served at /ops/ as HTML with its bundled script inline, allowed by hash in a strict CSP', async () => {
    const response = await fetch(`${stack.url}/ops/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await response.text();
    // The server's today (Moscow), for the page's default range: not the browser's clock.
    const today = new Date(stack.clock.now() + 3 * 3600_000).toISOString().slice(0, 10);
    expect(html).toContain(`<meta name="ops-today" content="${today}">`);
    const scripts = [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts).toHaveLength(1);
    const [, attributes, script] = scripts[0] ?? [];
    expect(attributes).toBe('');
    // The bundle, not the TypeScript: it reads the endpoints with the operator's token.
    expect(script).toContain('/api/ops/metrics/retention');
    expect(script).toContain('x-operator-token');
    expect(script).not.toMatch(/\binterface\b|: Promise</);

    const policy = Object.fromEntries(
      (response.headers.get('content-security-policy') ?? '').split('; ').map((directive) => {
        const [name, ...values] = directive.split(' ');
        return [name, values.join(' ')];
      }),
    );
    const hash = createHash('sha256')
      .update(script ?? '', 'utf8')
      .digest('base64');
    expect(policy).toMatchObject({
      'default-src': "'none'",
      'script-src': `'sha256-${hash}'`,
      'connect-src': "'self'",
      'frame-ancestors': "'none'",
    });
    expect(Object.values(policy).join(' ')).not.toContain('unsafe');
  });

  it('sends /ops to /ops/, and answers 404 below it', async () => {
    const redirect = await fetch(`${stack.url}/ops`, { redirect: 'manual' });
    expect(redirect.status).toBe(301);
    expect(redirect.headers.get('location')).toBe('/ops/');
    expect((await fetch(`${stack.url}/ops/app.js`)).status).toBe(404);
  });

  it('stays out of the OpenAPI document (it is HTML) and is routed by the gateway to the ticket-api', () => {
    expect(Object.keys(JSON.parse(renderOpenApi()).paths)).not.toContain('/ops/');
    const gateway = JSON.parse(renderGatewayTemplate()) as {
      paths: Record<string, Record<string, { 'x-yc-apigateway-integration': { function_id: string } }>>;
    };
    for (const path of ['/ops', '/ops/'])
      expect(gateway.paths[path]?.get?.['x-yc-apigateway-integration'].function_id).toBe(
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the Terraform template's own placeholder
        '${ticket_api_function_id}',
      );
  });
});

describe("the screenshot script's demo data", () => {
  it('gives the endpoints the page reads something to show: cohorts, active users, tickets, CSAT, NPS', async () => {
    const days = 9;
    const clock = new RewindClock(Math.floor(Date.now() / DAY) * DAY - days * DAY);
    const stack = await startLocalStack({ LOG_LEVEL: 'error' }, { inMemory: true, clock, sink: () => {} });
    try {
      const summary = await seedDemoData(stack, clock, { days });
      expect(summary.failures).toEqual({});
      expect(summary.tickets).toBeGreaterThan(0);
      expect(Math.abs(clock.now() - Date.now())).toBeLessThan(1000);

      const today = new Date(Date.now()).toISOString().slice(0, 10);
      const from = new Date(Date.now() - (days + 1) * DAY).toISOString().slice(0, 10);
      const read = async (path: string) => {
        const response = await fetch(`${stack.url}${path}?from=${from}&to=${today}`, { headers: OPERATOR });
        expect({ path, status: response.status }).toEqual({ path, status: 200 });
        return (await response.json()) as Record<string, unknown>;
      };
      const retention = (await read('/api/ops/metrics/retention')) as {
        cohorts: Array<{ users: number; d1: number | null }>;
        active: Array<{ dau: number }>;
      };
      expect(retention.cohorts.some((cohort) => cohort.users > 0 && (cohort.d1 ?? 0) > 0)).toBe(true);
      expect(retention.active.some((day) => day.dau > 0)).toBe(true);
      const stats = (await read('/api/ops/stats')) as { tickets: number; csat: { answered: number } };
      expect(stats.tickets).toBe(summary.tickets);
      expect(stats.csat.answered).toBe(summary.ratings);
      const support = (await read('/api/ops/metrics/support')) as { firstResponse: { count: number } };
      expect(support.firstResponse.count).toBe(summary.replies);
      const nps = (await read('/api/ops/metrics/nps')) as { responses: number };
      expect(nps.responses).toBe(summary.npsAnswers);
    } finally {
      await stack.close();
    }
  }, 60_000);
});
