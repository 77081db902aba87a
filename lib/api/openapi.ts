import * as z from 'zod';
import { webhookEvents } from '../tickets/webhooks';
import { apiComponents } from './responses';
import type { ResponseSpec, Route } from './router';

/**
 * The OpenAPI 3.1 document of the ticket-api, generated from the route table (paths, methods, auth,
 * query and body schemas, each status's response schema and headers) and from the CRM webhooks'
 * payload schemas, so the served routes and the document cannot drift apart. Written to
 * openapi/ticket-api.json by `npm run openapi`, with the mini app's types (openapi/ticket-api.d.ts);
 * the gateway spec for Terraform is derived from it (lib/api/gateway-spec.ts).
 */

/** `GET /api/tickets/{number}` → `getApiTicketsNumber`: stable ids for the document and the gateway spec. */
export function operationIdOf(method: string, path: string): string {
  const words = path
    .replace(/[{}]/g, '')
    .replace(/\/(\w)/g, (_m, c: string) => c.toUpperCase())
    .replace(/\W/g, '');
  return `${method.toLowerCase()}${words}`;
}

type JsonSchema = Record<string, unknown>;

/** JSON Schema 2020-12 (OpenAPI 3.1's dialect) without the per-schema `$schema`/`$id` headers. */
function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _schema, ...rest } = z.toJSONSchema(schema, {
    io,
    unrepresentable: 'any',
    override: dropDatePatterns,
  }) as JsonSchema;
  return rest;
}

/** `format: date-time` says it; zod's 400-character regex for it would only bloat the types. */
function dropDatePatterns(context: { jsonSchema: JsonSchema }): void {
  const { jsonSchema } = context;
  if (jsonSchema.format === 'date-time' || jsonSchema.format === 'date') delete jsonSchema.pattern;
}

/** The named schemas (lib/api/responses.ts), as `components.schemas`. */
function componentSchemas(): Record<string, JsonSchema> {
  const { schemas } = z.toJSONSchema(apiComponents, {
    io: 'output',
    unrepresentable: 'any',
    uri: (id) => `#/components/schemas/${id}`,
    override: dropDatePatterns,
  }) as { schemas: Record<string, JsonSchema> };
  return Object.fromEntries(
    Object.entries(schemas)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([id, { $schema: _schema, $id: _id, ...schema }]) => [id, schema]),
  );
}

const schemaRef = (schema: z.ZodType, where: string) => {
  const id = apiComponents.get(schema)?.id;
  if (!id) throw new Error(`${where}: its schema is not named in lib/api/responses.ts`);
  return { $ref: `#/components/schemas/${id}` };
};

/** Headers the API sends, by name; a route's `headers` refer to them. */
const HEADERS: Record<string, JsonSchema> = {
  'Retry-After': {
    description: 'Seconds to wait before trying again',
    schema: { type: 'integer', minimum: 1 },
  },
  'Idempotent-Replayed': {
    description: '`true` when the Idempotency-Key had already created this ticket (the same one is returned)',
    schema: { type: 'string', enum: ['true'] },
  },
  Allow: {
    description: 'On a 405: the methods the path accepts',
    schema: { type: 'string' },
  },
  'Content-Disposition': {
    description: 'The export as a file to save: `attachment; filename="…json"` (or `…csv`)',
    schema: { type: 'string' },
  },
  'Content-Encoding': {
    description: '`gzip` when the request accepted it (`Accept-Encoding`): the export compressed',
    schema: { type: 'string', enum: ['gzip'] },
  },
  Vary: {
    description: 'The answer depends on `Accept-Encoding`',
    schema: { type: 'string' },
  },
};
const headerRef = (name: string) => {
  if (!HEADERS[name]) throw new Error(`the header ${name} is not described in lib/api/openapi.ts`);
  return { $ref: `#/components/headers/${name}` };
};
const problemResponse = (description: string, headers: string[] = []) => ({
  description,
  ...(headers.length ? { headers: Object.fromEntries(headers.map((name) => [name, headerRef(name)])) } : {}),
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
});

/** What every route of its kind may answer, besides what it documents itself. */
function standardResponses(route: Route, hasParameters: boolean): Record<string, ResponseSpec> {
  return {
    ...(hasParameters || route.body
      ? { 400: { description: 'The path, query or body is invalid (`errors` names each field)' } }
      : {}),
    ...(route.auth === 'user'
      ? { 401: { description: 'X-VK-Launch-Params is missing, forged, stale or for another app' } }
      : {}),
    ...(route.auth === 'operator' || route.auth === 'admin'
      ? { 401: { description: 'No valid X-Operator-Token' } }
      : {}),
    ...(route.auth === 'admin' ? { 403: { description: 'An operator token, not an admin one' } } : {}),
    // Checked before routing, so even a GET with a body can get it.
    413: { description: 'The body is over 64 KB' },
    ...(route.auth !== 'public'
      ? {
          503: {
            description: 'The store could not tell whether the change was saved: check before repeating',
            headers: { 'Retry-After': '' },
          },
        }
      : {}),
  };
}

function responsesOf(route: Route, hasParameters: boolean) {
  const where = `${route.method} ${route.path}`;
  const specs: Record<string, ResponseSpec> = standardResponses(route, hasParameters);
  for (const [status, spec] of Object.entries(route.responses))
    specs[status] = typeof spec === 'string' ? { description: spec } : spec;
  const responses: Record<string, unknown> = {};
  for (const [status, spec] of Object.entries(specs)) {
    const headers = Object.keys(spec.headers ?? {});
    if (status === '429' && !headers.includes('Retry-After')) headers.push('Retry-After');
    if (Number(status) >= 400) {
      responses[status] = problemResponse(spec.description, headers);
      continue;
    }
    if (!spec.schema) throw new Error(`${where} ${status}: a success needs its response schema`);
    responses[status] = {
      description: spec.description,
      ...(headers.length
        ? { headers: Object.fromEntries(headers.map((name) => [name, headerRef(name)])) }
        : {}),
      content: {
        [spec.contentType ?? 'application/json']: { schema: schemaRef(spec.schema, `${where} ${status}`) },
      },
    };
  }
  responses['4XX'] = { $ref: '#/components/responses/Problem' };
  return responses;
}

function operationOf(route: Route) {
  const parameters: unknown[] = [...route.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({
    name,
    in: 'path',
    required: true,
    schema: { type: 'string' },
  }));
  const hasPathOrQuery = parameters.length > 0 || route.query !== undefined;
  if (route.query) {
    const schema = jsonSchemaOf(route.query, 'input') as {
      properties?: Record<string, JsonSchema>;
      required?: string[];
    };
    for (const [name, property] of Object.entries(schema.properties ?? {})) {
      const { description, ...propertySchema } = property;
      parameters.push({
        name,
        in: 'query',
        required: schema.required?.includes(name) ?? false,
        ...(description ? { description } : {}),
        schema: propertySchema,
      });
    }
  }
  if (route.path === '/api/tickets' && route.method === 'POST') {
    parameters.push({
      name: 'Idempotency-Key',
      in: 'header',
      required: false,
      description: 'Retries with the same key return the same ticket for 24 h',
      schema: { type: 'string', minLength: 1, maxLength: 128 },
    });
  }
  return {
    summary: route.summary,
    tags: [route.tag],
    operationId: operationIdOf(route.method, route.path),
    security:
      route.auth === 'user' ? [{ launchParams: [] }] : route.auth === 'public' ? [] : [{ operatorToken: [] }],
    ...(route.auth === 'admin' ? { description: 'Admins only: an operator token gets 403.' } : {}),
    ...(parameters.length ? { parameters } : {}),
    ...(route.body
      ? {
          requestBody: {
            required: true,
            content: { 'application/json': { schema: jsonSchemaOf(route.body, 'input') } },
          },
        }
      : {}),
    responses: responsesOf(route, hasPathOrQuery),
  };
}

/** The CRM webhooks, as OpenAPI 3.1 `webhooks`: what the backend POSTs to `CRM_WEBHOOK_URL`. */
function webhooksOf() {
  const signatureHeaders = [
    ['X-Webhook-Id', 'The delivery id (also `deliveryId`): the same on every retry, a dedup key'],
    ['X-Webhook-Timestamp', 'Unix seconds when this attempt was signed'],
    [
      'X-Webhook-Signature',
      '`sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">` keyed with CRM_WEBHOOK_SECRET',
    ],
  ];
  return Object.fromEntries(
    Object.entries(webhookEvents).map(([event, { payload, summary }]) => [
      event,
      {
        post: {
          summary,
          description:
            'Any answer but 2xx is retried with a backoff; after 5 failures the event is given up.',
          operationId: `webhook${event.replace(/(^|[._])(\w)/g, (_m, _s, c: string) => c.toUpperCase())}`,
          tags: ['webhooks'],
          security: [],
          parameters: signatureHeaders.map(([name, description]) => ({
            name,
            in: 'header',
            required: true,
            description,
            schema: { type: 'string' },
          })),
          requestBody: {
            required: true,
            content: { 'application/json': { schema: schemaRef(payload, `webhook ${event}`) } },
          },
          responses: {
            '2XX': { description: 'Received' },
            default: { description: 'Not received: retried like any failure' },
          },
        },
      },
    ]),
  );
}

export function openApiDocument(routes: readonly Route[]) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    if (route.page) continue;
    const operations = paths[route.path] ?? {};
    paths[route.path] = operations;
    operations[route.method.toLowerCase()] = operationOf(route);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Support backend: ticket-api',
      version: '1.0.0',
      description:
        'HTTP API of the VK mini app (identity: signed launch params in X-VK-Launch-Params) and of operators and the CRM (X-Operator-Token), and the webhooks it POSTs to a CRM. Errors are RFC 9457 problems; bodies over 64 KB get 413. Answers to an origin in MINI_APP_ORIGINS carry Access-Control-Allow-Origin and expose Retry-After, Idempotent-Replayed and Content-Disposition.',
      license: { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' },
    },
    servers: [
      { url: 'http://127.0.0.1:8080', description: 'The local stack (`npm start`)' },
      {
        url: 'https://{gatewayDomain}',
        description: 'The API gateway (`terraform output api_base_url`, without its `/api`)',
        variables: {
          gatewayDomain: {
            default: 'd5d00000000000000000.apigw.yandexcloud.net',
            description: "The gateway's domain",
          },
        },
      },
    ],
    tags: [
      { name: 'mini app', description: 'The VK mini app, as the user who opened it' },
      { name: 'knowledge base', description: 'The bot’s answers, public' },
      { name: 'operators', description: 'Operators and the CRM' },
      { name: 'admins', description: 'Admins only: audit, export and erasure on request' },
      { name: 'service', description: 'Liveness' },
      { name: 'webhooks', description: 'Ticket events POSTed to the CRM' },
    ],
    paths,
    webhooks: webhooksOf(),
    components: {
      securitySchemes: {
        launchParams: {
          type: 'apiKey',
          in: 'header',
          name: 'X-VK-Launch-Params',
          description: 'The launch params VK opened the mini app with, signed by VK',
        },
        operatorToken: {
          type: 'apiKey',
          in: 'header',
          name: 'X-Operator-Token',
          description: 'A token of OPERATOR_TOKENS (role operator or admin)',
        },
      },
      schemas: componentSchemas(),
      headers: HEADERS,
      responses: {
        Problem: problemResponse('A problem (RFC 9457); a 405 says the allowed methods in Allow', ['Allow']),
      },
    },
  };
}
