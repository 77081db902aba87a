import { readFileSync } from 'node:fs';
import { routes } from '../../lib/api/routes';
import { type LocalStack, startLocalStack } from '../../scripts/local/stack';
import { openApiPath, renderOpenApi, renderTypes, typesPath } from '../../scripts/openapi';

describe('the OpenAPI document', () => {
  const committed = JSON.parse(readFileSync(openApiPath, 'utf8')) as {
    paths: Record<string, Record<string, unknown>>;
  };

  it('is current: regenerating it from the route table changes nothing (run npm run openapi)', () => {
    expect(readFileSync(openApiPath, 'utf8')).toBe(renderOpenApi());
  });

  it("has current TypeScript types for the mini app (openapi-typescript's output; run npm run openapi)", () => {
    expect(readFileSync(typesPath, 'utf8')).toBe(renderTypes());
  });

  it('gives every success a body schema, every public operation `security: []`, and servers', () => {
    const document = committed as unknown as {
      openapi: string;
      servers: Array<{ url: string }>;
      paths: Record<string, Record<string, { security?: unknown[]; responses: Record<string, unknown> }>>;
    };
    expect(document.openapi).toBe('3.1.0');
    expect(document.servers.map((server) => server.url)).toContain('http://127.0.0.1:8080');
    const gaps: string[] = [];
    for (const [path, methods] of Object.entries(document.paths))
      for (const [method, operation] of Object.entries(methods)) {
        if (!operation.security) gaps.push(`${method} ${path}: no security`);
        for (const [status, response] of Object.entries(operation.responses)) {
          // A success is JSON, or the one media type it documents (an export's `text/csv`).
          const content = (response as { content?: Record<string, { schema?: unknown }> }).content ?? {};
          const schema =
            Number(status) < 400
              ? (content['application/json'] ?? Object.values(content)[0])?.schema
              : content['application/problem+json']?.schema;
          if (!schema && !(response as { $ref?: string }).$ref)
            gaps.push(`${method} ${path} ${status}: no schema`);
        }
      }
    expect(gaps).toEqual([]);
  });

  it('documents the CRM webhooks with their payload schemas', () => {
    const { webhooks, components } = committed as unknown as {
      webhooks: Record<
        string,
        { post: { requestBody: { content: Record<string, { schema: { $ref: string } }> } } }
      >;
      components: { schemas: Record<string, { properties: Record<string, unknown> }> };
    };
    expect(Object.keys(webhooks).sort()).toEqual([
      'ticket.assigned',
      'ticket.created',
      'ticket.message',
      'ticket.priority_changed',
      'ticket.status_changed',
    ]);
    const message = webhooks['ticket.message']?.post.requestBody.content['application/json']?.schema.$ref;
    expect(message).toBe('#/components/schemas/TicketMessageEvent');
    expect(Object.keys(components.schemas.TicketMessageEvent?.properties ?? {})).toEqual(
      expect.arrayContaining(['requester', 'ticket', 'message']),
    );
    // A new ticket carries the user's own words: its subject and first message.
    expect(Object.keys(components.schemas.TicketCreatedEvent?.properties ?? {})).toEqual(
      expect.arrayContaining(['requester', 'ticket', 'subject', 'message']),
    );
  });

  it('lists exactly the operations the code serves', () => {
    const documented = Object.entries(committed.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );
    const operations = routes.filter((route) => !route.page); // pages (HTML) are the gateway's only
    expect(documented.sort()).toEqual(operations.map((route) => `${route.method} ${route.path}`).sort());
  });

  describe('against the running handler', () => {
    let stack: LocalStack;
    beforeAll(async () => {
      stack = await startLocalStack({ LOG_LEVEL: 'error' }, { inMemory: true, sink: () => {} });
    });
    afterAll(() => stack.close());

    it('routes every documented operation (no 404 "no route", no 405)', async () => {
      for (const [path, methods] of Object.entries(committed.paths)) {
        for (const method of Object.keys(methods)) {
          const concrete = path.replace(/\{\w+\}/g, 'X-1');
          const response = await fetch(`${stack.url}${concrete}`, { method: method.toUpperCase() });
          const body = await response.text();
          expect({
            operation: `${method} ${path}`,
            status: response.status,
            unrouted: body.includes('No route for'),
          }).toEqual({
            operation: `${method} ${path}`,
            status: expect.not.stringMatching(/^405$/) as unknown as number,
            unrouted: false,
          });
        }
      }
    });
  });
});
