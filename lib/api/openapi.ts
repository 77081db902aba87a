import * as z from 'zod';
import type { Route } from './router';

/**
 * The OpenAPI 3 document of the ticket-api, generated from the route table (paths, methods, auth,
 * query and body schemas), so the served routes and the document cannot drift apart. Written to
 * openapi/ticket-api.json by `npm run openapi`; the Terraform issue derives the gateway spec from it.
 */
/** `GET /api/tickets/{number}` → `getApiTicketsNumber`: stable ids for the document and the gateway spec. */
export function operationIdOf(method: string, path: string): string {
  const words = path
    .replace(/[{}]/g, '')
    .replace(/\/(\w)/g, (_m, c: string) => c.toUpperCase())
    .replace(/\W/g, '');
  return `${method.toLowerCase()}${words}`;
}

export function openApiDocument(routes: readonly Route[]) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const parameters: unknown[] = [...route.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({
      name,
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    if (route.query) {
      const schema = z.toJSONSchema(route.query, {
        io: 'input',
        unrepresentable: 'any',
        target: 'openapi-3.0',
      }) as {
        properties?: Record<string, unknown>;
        required?: string[];
      };
      for (const [name, property] of Object.entries(schema.properties ?? {})) {
        parameters.push({
          name,
          in: 'query',
          required: schema.required?.includes(name) ?? false,
          schema: property,
        });
      }
    }
    if (route.path === '/api/tickets' && route.method === 'POST') {
      parameters.push({
        name: 'Idempotency-Key',
        in: 'header',
        required: false,
        description: 'Retries with the same key return the same ticket for 24 h',
        schema: { type: 'string', maxLength: 128 },
      });
    }
    const responses: Record<string, unknown> = {};
    for (const [status, description] of Object.entries(route.responses)) {
      responses[status] =
        Number(status) < 400
          ? { description, content: { 'application/json': {} } }
          : {
              description,
              content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
            };
    }
    if (route.auth === 'admin' && !responses['403'])
      responses['403'] = {
        description: 'An operator token, not an admin one',
        content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
      };
    responses['4XX'] = { $ref: '#/components/responses/Problem' };
    const operations = paths[route.path] ?? {};
    paths[route.path] = operations;
    operations[route.method.toLowerCase()] = {
      summary: route.summary,
      tags: [route.tag],
      operationId: operationIdOf(route.method, route.path),
      ...(route.auth === 'user' ? { security: [{ launchParams: [] }] } : {}),
      ...(route.auth === 'operator' || route.auth === 'admin' ? { security: [{ operatorToken: [] }] } : {}),
      ...(route.auth === 'admin' ? { description: 'Admins only: an operator token gets 403.' } : {}),
      ...(parameters.length ? { parameters } : {}),
      ...(route.body
        ? {
            requestBody: {
              required: true,
              content: {
                'application/json': {
                  schema: z.toJSONSchema(route.body, {
                    io: 'input',
                    unrepresentable: 'any',
                    target: 'openapi-3.0',
                  }),
                },
              },
            },
          }
        : {}),
      responses,
    };
  }
  return {
    openapi: '3.0.3',
    info: {
      title: 'Support backend: ticket-api',
      version: '1.0.0',
      description:
        'HTTP API of the VK mini app (identity: signed launch params in X-VK-Launch-Params) and of operators and the CRM (X-Operator-Token). Errors are RFC 9457 problems; bodies over 64 KB get 413.',
    },
    paths,
    components: {
      securitySchemes: {
        launchParams: { type: 'apiKey', in: 'header', name: 'X-VK-Launch-Params' },
        operatorToken: { type: 'apiKey', in: 'header', name: 'X-Operator-Token' },
      },
      schemas: {
        Problem: {
          type: 'object',
          properties: {
            type: { type: 'string' },
            title: { type: 'string' },
            status: { type: 'integer' },
            detail: { type: 'string' },
            instance: { type: 'string' },
            errors: {
              type: 'array',
              items: {
                type: 'object',
                properties: { path: { type: 'string' }, message: { type: 'string' } },
              },
            },
          },
          required: ['type', 'title', 'status'],
        },
      },
      responses: {
        Problem: {
          description: 'A problem (RFC 9457)',
          content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
        },
      },
    },
  };
}
