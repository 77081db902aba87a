import { createHmac } from 'node:crypto';
import { Agent, request as httpRequest } from 'node:http';
import { openApiDocument } from '../../lib/api/openapi';
import { problemSchema } from '../../lib/api/responses';
import { MAX_API_BODY_BYTES } from '../../lib/api/router';
import { handleApiRequest, routes } from '../../lib/api/routes';
import { loadConfig } from '../../lib/config/schema';
import { pathOfTarget, requestFromEvent } from '../../lib/http/http';
import { knowledgeBase } from '../../lib/kb/articles';
import type { HttpEvent } from '../../lib/platform/types';
import { apiSettingsFrom } from '../../lib/tickets/compose';
import { devDefaults, type LocalStack, startLocalStack } from '../../scripts/local/stack';
import { ADMIN_TOKEN, OPERATOR_TOKEN } from '../support/bot-harness';

/**
 * The ticket-api under a seeded fuzzer, through the local stack's HTTP server (the path `npm start`
 * serves): every operation of the OpenAPI document the API builds, sent as the mini app or an
 * operator would and then broken — paths (bad percent-escapes, overlong segments, unicode, dot
 * segments), queries, bodies (wrong types, missing and extra fields, huge strings, deep nesting,
 * invalid JSON, wrong content types, bytes that are not UTF-8), headers (forged or malformed launch
 * params, bad operator tokens, huge headers) and methods.
 *
 * Nothing may answer 5xx; every 4xx the API gives is a problem (RFC 9457) with a detail; a request
 * answered 4xx writes nothing; and every answer is as the document says: a documented status, only
 * documented headers (Retry-After, Idempotent-Replayed, Content-Disposition, Allow), and a success's
 * body valid against the route's response schema (lib/api/responses.ts, strict: no undocumented field). The requests are a pure function of the seed
 * (FUZZ_SEED, FUZZ_ROUNDS to explore further), bounded to a few seconds of CI.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 19);
/** Requests per operation. */
const ROUNDS = Number(process.env.FUZZ_ROUNDS ?? 520);

// ---- a seeded random source (mulberry32) ----

class Random {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max]. */
  between(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from nothing');
    return items[Math.floor(this.next() * items.length)] as T;
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }
}

// ---- the operations, read from the OpenAPI document ----

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

interface Schema {
  type?: string;
  enum?: Json[];
  anyOf?: Schema[];
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  /** OpenAPI 3.1 (JSON Schema 2020-12): a number; null is `anyOf` with `{type: 'null'}`. */
  exclusiveMinimum?: number;
  pattern?: string;
  format?: string;
  const?: Json;
}

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required: boolean;
  schema: Schema;
}

interface Operation {
  method: string;
  template: string;
  auth: 'public' | 'user' | 'operator';
  pathParams: string[];
  query: Parameter[];
  body: Schema | undefined;
}

interface DocumentedOperation {
  security?: Array<Record<string, unknown>>;
  parameters?: Parameter[];
  requestBody?: { content: { 'application/json': { schema: Schema } } };
}

function operationsOf(document: ReturnType<typeof openApiDocument>): Operation[] {
  return Object.entries(document.paths).flatMap(([template, methods]) =>
    Object.entries(methods).map(([method, documented]) => {
      const operation = documented as DocumentedOperation;
      const schemes = (operation.security ?? []).flatMap((requirement) => Object.keys(requirement));
      const parameters = operation.parameters ?? [];
      return {
        method: method.toUpperCase(),
        template,
        auth: schemes.includes('launchParams')
          ? 'user'
          : schemes.includes('operatorToken')
            ? 'operator'
            : 'public',
        pathParams: parameters.filter((p) => p.in === 'path').map((p) => p.name),
        query: parameters.filter((p) => p.in === 'query'),
        body: operation.requestBody?.content['application/json'].schema,
      } satisfies Operation;
    }),
  );
}

// ---- valid values from a schema ----

/** Strings that satisfy the document's patterns; the generator takes the first that matches. */
const PATTERN_SAMPLES = ['photo123_456', 'photo-100_200_ab12', '09:30', '23:59', '00:00', '+79001234567'];
const TEXT = 'abc XYZ 019 привет ёЖ -_.,!?';
const DAY_MS = 86_400_000;

function sampleText(random: Random, min: number, max: number): string {
  const length = random.between(min, Math.min(max, min + 24));
  let text = '';
  while (text.trim().length < length) text += random.pick([...TEXT]);
  return text.slice(0, Math.max(length, min));
}

function isoDate(time: number): string {
  return new Date(time).toISOString().slice(0, 10);
}

function sample(schema: Schema, random: Random, now: number): Json {
  if (schema.anyOf) {
    // null where allowed, now and then; otherwise one of the others.
    const values = schema.anyOf.filter((option) => option.type !== 'null');
    const nullable = values.length < schema.anyOf.length;
    if (values.length === 0 || (nullable && random.chance(0.1))) return null;
    return sample(random.pick(values), random, now);
  }
  if (schema.const !== undefined) return schema.const;
  if (schema.enum) return random.pick(schema.enum);
  switch (schema.type) {
    case 'object': {
      const value: Record<string, Json> = {};
      for (const [name, property] of Object.entries(schema.properties ?? {})) {
        if (schema.required?.includes(name) || random.chance(0.5))
          value[name] = sample(property, random, now);
      }
      if (typeof schema.additionalProperties === 'object') {
        for (let i = random.between(0, 3); i > 0; i--)
          value[`k${i}`] = sample(schema.additionalProperties, random, now);
      }
      return value;
    }
    case 'array': {
      const min = schema.minItems ?? 0;
      const count = random.between(min, Math.min(schema.maxItems ?? min + 3, min + 3));
      return Array.from({ length: count }, () => sample(schema.items ?? {}, random, now));
    }
    case 'string': {
      // Dates mostly of late, sometimes at the far ends the format allows.
      if (schema.format === 'date-time')
        return random.chance(0.8)
          ? new Date(now - random.between(0, 3 * DAY_MS)).toISOString()
          : random.pick([
              '0000-02-29T00:00:00Z',
              '1970-01-01T00:00:00.000+23:59',
              '9999-12-31T23:59:59.999999999-23:59',
            ]);
      if (schema.format === 'date')
        return random.chance(0.8)
          ? isoDate(now - random.between(0, 60) * DAY_MS)
          : random.pick(['0000-02-29', '0001-01-01', '1970-01-01', '9999-12-31']);
      if (schema.format === 'email') return 'user@example.com';
      if (schema.pattern) {
        const pattern = new RegExp(schema.pattern);
        return PATTERN_SAMPLES.find((candidate) => pattern.test(candidate)) ?? 'x';
      }
      return sampleText(random, schema.minLength ?? 0, schema.maxLength ?? 40);
    }
    case 'integer': {
      const maximum = schema.maximum ?? 1000;
      // An integer up to 2^53 is an instant here (events' `at`) or an id: both small and "now" fit.
      if (maximum > 1e12)
        return random.chance(0.5) ? now - random.between(0, 3600_000) : random.between(1, 3);
      const minimum =
        schema.exclusiveMinimum !== undefined
          ? Math.floor(schema.exclusiveMinimum) + 1
          : (schema.minimum ?? 0);
      return random.between(minimum, Math.min(maximum, minimum + 100));
    }
    case 'number':
      return random.next() * 100;
    case 'boolean':
      return random.chance(0.5);
    case 'null':
      return null;
    default:
      return random.pick(['x', 1, true]);
  }
}

// ---- the fuzzed requests ----

interface FuzzRequest {
  method: string;
  /** The request target as sent: path and query, unnormalised. */
  path: string;
  query: Array<[string, string]>;
  /** Appended to the query as it is (separators included). */
  rawQuery?: string;
  headers: Record<string, string | string[]>;
  body: Buffer | undefined;
  /** Which mutations made it: the report groups findings by these. */
  families: string[];
}

interface Fixture {
  now: number;
  users: number[];
  tickets: Array<{ number: string; owner: number }>;
  slugs: string[];
  launchParamsFor(userId: number): string;
}

const APP_ID = devDefaults.VK_APP_ID ?? '';
const APP_SECRET = devDefaults.VK_APP_SECRET ?? '';
const ORIGIN = 'https://app.example';

/** Signs launch params as VK does, keeping duplicate keys (a record could not). */
function signEntries(entries: Array<[string, string]>): string {
  const signed = entries
    .filter(([key]) => key.startsWith('vk_'))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => `${key}=${encodeURIComponent(value)}`)
    .join('&');
  const sign = createHmac('sha256', APP_SECRET).update(signed).digest('base64url');
  return `${new URLSearchParams(entries).toString()}&sign=${sign}`;
}

const BAD_ESCAPES = ['%', '%E0%A4%A', '%zz', '%C0%AF', '%ED%A0%80', '%FF', '%E0%A4', '%%41', '%u0041', '%2'];
const UNICODE = [
  '%F0%9F%98%80', // 😀
  '%E2%80%AE', // right-to-left override
  '%E2%80%8B', // zero-width space
  'caf%C3%A9',
  'cafe%CC%81', // é decomposed
  '%EF%BB%BF', // BOM
  '%00',
  'é', // a raw Latin-1 byte: not UTF-8
  '\u00ff\u00fe',
];
const WRONG_VALUES: Json[] = [
  null,
  true,
  false,
  0,
  -1,
  1.5,
  1e308,
  -0,
  '',
  ' ',
  'x',
  '1',
  'null',
  [],
  [1, 2],
  {},
  { a: 1 },
  '\u0000',
  '\ud800',
  '😀'.repeat(50),
  '2026-02-30',
  'photo1_2\n',
];
const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'];

function nestedArray(depth: number): string {
  return `${'['.repeat(depth)}${']'.repeat(depth)}`;
}

function nestedObject(depth: number): Json {
  let value: Json = 1;
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

/** The paths of a value's JSON nodes, the root excluded, down to a depth (nested bodies go deep). */
function nodePaths(value: Json, prefix: Array<string | number> = []): Array<Array<string | number>> {
  if (prefix.length >= 12 || value === null || typeof value !== 'object') return [];
  const entries: Array<[string | number, Json]> = Array.isArray(value)
    ? value.map((item, index) => [index, item])
    : Object.entries(value);
  return entries.flatMap(([key, item]) => [[...prefix, key], ...nodePaths(item, [...prefix, key])]);
}

function setAt(root: Json, path: ReadonlyArray<string | number>, value: Json | undefined): void {
  let node = root as Record<string | number, Json>;
  for (const step of path.slice(0, -1)) node = node[step] as Record<string | number, Json>;
  const last = path.at(-1);
  if (last === undefined) return;
  // Defined, not assigned: a `__proto__` key is then a key of the JSON sent, not a prototype.
  if (value !== undefined)
    Object.defineProperty(node, last, { value, enumerable: true, writable: true, configurable: true });
  else if (Array.isArray(node)) node.splice(Number(last), 1);
  else delete node[last];
}

/** Builds the valid request of an operation, then breaks it one or two ways. */
class RequestFactory {
  constructor(
    readonly random: Random,
    readonly fixture: Fixture,
  ) {}

  build(operation: Operation): FuzzRequest {
    const request = this.valid(operation);
    const mutations = this.mutationsFor(operation, request);
    const count = this.random.chance(0.15) ? 0 : this.random.chance(0.25) ? 2 : 1;
    for (let i = 0; i < count; i++) {
      const [family, mutate] = this.random.pick(mutations);
      request.families.push(family);
      mutate();
    }
    if (request.families.length === 0) request.families.push('valid');
    return request;
  }

  valid(operation: Operation): FuzzRequest {
    const { random, fixture } = this;
    // Mostly a ticket of the caller's, so that valid requests reach the handlers' depths.
    const ticket = random.pick(fixture.tickets);
    const user = random.chance(0.8) ? ticket.owner : random.pick(fixture.tickets).owner;
    let path = operation.template;
    for (const name of operation.pathParams) {
      const value =
        name === 'slug'
          ? random.pick(fixture.slugs)
          : random.chance(0.9)
            ? ticket.number
            : random.pick(['B-9999', 'Q-1', 'x']);
      path = path.replace(`{${name}}`, encodeURIComponent(value));
    }
    const query: Array<[string, string]> = operation.query
      .filter((parameter) => parameter.required || random.chance(0.4))
      .map((parameter) => [parameter.name, String(sample(parameter.schema, random, fixture.now))]);
    const headers: Record<string, string | string[]> = {};
    if (operation.auth === 'user') headers['x-vk-launch-params'] = fixture.launchParamsFor(user);
    if (operation.auth === 'operator')
      headers['x-operator-token'] = random.pick([ADMIN_TOKEN, OPERATOR_TOKEN]);
    if (random.chance(0.3)) headers.origin = ORIGIN;
    if (operation.method === 'POST' && operation.template === '/api/tickets' && random.chance(0.3))
      headers['idempotency-key'] = `key-${random.between(1, 40)}`;
    let body: Buffer | undefined;
    if (operation.body) {
      headers['content-type'] = 'application/json';
      body = Buffer.from(JSON.stringify(sample(operation.body, random, fixture.now)));
    }
    return { method: operation.method, path, query, headers, body, families: [] };
  }

  mutationsFor(operation: Operation, request: FuzzRequest): Array<[string, () => void]> {
    const { random } = this;
    // Mostly a parameter's segment (the router decodes those), else any but the leading '' and 'api'.
    const parameterSegments = operation.template
      .split('/')
      .flatMap((segment, index) => (segment.startsWith('{') ? [index] : []));
    const replaceSegment = (make: (segment: string) => string) => {
      const parts = request.path.split('/');
      const index =
        parameterSegments.length > 0 && random.chance(0.6)
          ? random.pick(parameterSegments)
          : random.between(2, Math.max(2, parts.length - 1));
      parts[index] = make(parts[index] ?? '');
      request.path = parts.join('/');
    };
    /** The body so far as a value to edit; one nested past what JSON.stringify can write again is dropped. */
    const bodyValue = (): Json => {
      try {
        const value = JSON.parse(request.body?.toString() ?? '') as Json;
        JSON.stringify(value);
        return value;
      } catch {
        return {};
      }
    };
    const setBody = (raw: string | Buffer) => {
      request.headers['content-type'] ??= 'application/json';
      request.body = Buffer.isBuffer(raw) ? raw : Buffer.from(raw);
    };
    const editBody = (edit: (value: Json) => Json) => setBody(JSON.stringify(edit(bodyValue())));
    const queryName = () =>
      operation.query.length > 0 ? random.pick(operation.query).name : random.pick(['q', 'limit', 'x']);

    const mutations: Array<[string, () => void]> = [
      // Paths.
      [
        'path.bad-escape',
        () =>
          replaceSegment((segment) =>
            random.pick([`${segment}${random.pick(BAD_ESCAPES)}`, random.pick(BAD_ESCAPES)]),
          ),
      ],
      [
        'path.overlong',
        () =>
          replaceSegment(() => random.pick(['a', '%41', 'я']).repeat(random.pick([300, 2000, 5000, 20_000]))),
      ],
      ['path.unicode', () => replaceSegment((segment) => `${segment}${random.pick(UNICODE)}`)],
      [
        'path.dot-segments',
        () => {
          if (random.chance(0.5))
            replaceSegment(() => random.pick(['..', '.', '%2e%2e', '%2E', '..%2f..', '..%5c', '...']));
          else
            request.path = random.pick([
              `${request.path}/..`,
              `${request.path}/../../ops/tickets`,
              `/api/./${request.path.slice(5)}`,
              `/api/kb/../${request.path.slice(5)}`,
            ]);
        },
      ],
      [
        'path.shape',
        () => {
          request.path = random.pick([
            `${request.path}/`,
            request.path.replace('/api/', '/api//'),
            request.path.toUpperCase(),
            `${request.path};jsessionid=1`,
            request.path.replace(/\/[^/]*$/, '/'),
            `${request.path}%2F..%2Fx`,
            `${request.path}/extra`,
            '/api',
            '/api/',
            '/',
          ]);
        },
      ],
      // Queries.
      [
        'query.values',
        () => {
          const value = random.pick([
            'abc',
            '-1',
            '0',
            '1.5',
            '1e309',
            'Infinity',
            'NaN',
            '0x10',
            ' 5',
            '',
            '2026-02-30',
            '0000-02-29',
            '9999-12-31',
            '1970-01-01',
            'x'.repeat(random.pick([301, 5000, 20_000])),
            random.pick(BAD_ESCAPES),
            random.pick(UNICODE),
            '%00',
            'me',
            'none',
            '9007199254740993',
          ]);
          const name = queryName();
          request.query = request.query.filter(([key]) => key !== name);
          request.query.push([name, value]);
        },
      ],
      [
        'query.names',
        () => {
          const choice = random.between(0, 4);
          if (choice === 0) request.query = request.query.filter(() => random.chance(0.3));
          else if (choice === 1)
            request.query.push([
              random.pick([
                'x',
                '__proto__',
                'constructor',
                'toString',
                'q[]',
                'limit[a]',
                '',
                random.pick(BAD_ESCAPES),
              ]),
              '1',
            ]);
          else if (choice === 2) request.query.push([queryName(), random.pick(['2', 'ru', 'x'])]);
          else if (choice === 3) request.rawQuery = `${random.pick(BAD_ESCAPES)}&&=&%3D%3D&a=%26=`;
          else request.query = Array.from({ length: 200 }, (_, index) => [`p${index}`, String(index)]);
        },
      ],
      // Bodies.
      [
        'body.wrong-type',
        () =>
          editBody((value) => {
            const paths = nodePaths(value);
            if (paths.length === 0) return random.pick(WRONG_VALUES);
            setAt(value, random.pick(paths), random.pick(WRONG_VALUES));
            return value;
          }),
      ],
      [
        'body.missing',
        () =>
          editBody((value) => {
            const paths = nodePaths(value);
            if (paths.length > 0) setAt(value, random.pick(paths), undefined);
            return value;
          }),
      ],
      [
        'body.extra',
        () =>
          editBody((value) => {
            const objects = [[], ...nodePaths(value)].filter((path) => {
              let node: Json = value;
              for (const step of path) node = (node as Record<string | number, Json>)[step] ?? null;
              return node !== null && typeof node === 'object' && !Array.isArray(node);
            });
            if (objects.length === 0) return { extra: value };
            const target = random.pick(objects);
            const key = random.pick(['extra', '__proto__', 'constructor', 'userId', 'vk_user_id', '']);
            if (target.length === 0 && value && typeof value === 'object' && !Array.isArray(value))
              value[key] = random.pick(WRONG_VALUES);
            else if (target.length > 0) setAt(value, [...target, key], random.pick(WRONG_VALUES));
            return value;
          }),
      ],
      [
        'body.huge-string',
        () =>
          editBody((value) => {
            const huge = random.pick(['x', 'я', '😀', '\\']).repeat(random.pick([4001, 20_000, 70_000]));
            const paths = nodePaths(value);
            if (paths.length === 0) return huge;
            setAt(value, random.pick(paths), huge);
            return value;
          }),
      ],
      [
        'body.deep-nesting',
        () => {
          const depth = random.pick([100, 5000, 30_000]);
          if (random.chance(0.5)) setBody(nestedArray(depth));
          else
            editBody((value) => {
              const paths = nodePaths(value);
              const deep = nestedObject(Math.min(depth, 3000));
              if (paths.length === 0) return deep;
              setAt(value, random.pick(paths), deep);
              return value;
            });
        },
      ],
      [
        'body.invalid-json',
        () => {
          const text = request.body?.toString() ?? '{"a":1}';
          setBody(
            random.pick([
              text.slice(0, random.between(0, Math.max(0, text.length - 1))),
              `${text},`,
              `${text}${text}`,
              text.replace(/"/g, "'"),
              '{"a":NaN}',
              '{"a":1,}',
              '{a:1}',
              '// comment\n{}',
              `\ufeff${text}`,
              '{"a":"\\ud800"}',
              '{"a":"\\x41"}',
              '{"a":"line\nbreak"}',
              '{"a":1e999}',
              '[',
              '"',
              '\u0000',
              'undefined',
            ]),
          );
        },
      ],
      [
        'body.not-an-object',
        () => setBody(random.pick(['null', '[]', '[{}]', '"text"', '42', 'true', '{}', ' ', '\t\n'])),
      ],
      [
        'body.bytes',
        () =>
          setBody(
            random.pick([
              Buffer.from([0xff, 0xfe, 0x7b, 0x7d]),
              Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]), // {"a":"\xC3("}
              Buffer.from('{"text":"\u0000\u0001\u001f"}'),
              Buffer.concat([request.body ?? Buffer.from('{}'), Buffer.from([0x00])]),
              Buffer.alloc(MAX_API_BODY_BYTES + 1, 0x20),
            ]),
          ),
      ],
      [
        'body.content-type',
        () => {
          const type = random.pick([
            'text/plain',
            'application/x-www-form-urlencoded',
            'multipart/form-data; boundary=x',
            'application/json; charset=latin1',
            'application/xml',
            '',
            'application/json, text/plain',
          ]);
          if (type === '') delete request.headers['content-type'];
          else request.headers['content-type'] = type;
          if (type.startsWith('application/x-www')) setBody('subject=a&category=bug');
          if (type.startsWith('multipart'))
            setBody('--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--');
          if (type === 'application/xml') setBody('<ticket/>');
        },
      ],
      // Headers.
      ['header.launch-params', () => this.launchParams(request)],
      ['header.operator-token', () => this.operatorToken(request)],
      [
        'header.huge',
        () => {
          const size = random.pick([4000, 12_000, 20_000, 70_000]);
          const name = random.pick([
            'x-vk-launch-params',
            'x-operator-token',
            'x-filler',
            'cookie',
            'idempotency-key',
          ]);
          request.headers[name] = 'a'.repeat(size);
          if (random.chance(0.3))
            for (let i = 0; i < 100; i++) request.headers[`x-filler-${i}`] = 'b'.repeat(100);
        },
      ],
      [
        'header.idempotency-key',
        () => {
          request.headers['idempotency-key'] = random.pick([
            '',
            ' ',
            'é',
            'a b',
            'k'.repeat(129),
            'k'.repeat(128),
            `key-${random.between(1, 40)}`,
            '\t',
          ]);
        },
      ],
      [
        'header.origin',
        () => {
          request.headers.origin = random.pick([
            ORIGIN,
            'https://evil.example',
            'null',
            '',
            'x'.repeat(3000),
          ]);
        },
      ],
      // Methods.
      [
        'method',
        () => {
          request.method = random.pick(METHODS.filter((method) => method !== operation.method));
        },
      ],
    ];
    return mutations;
  }

  launchParams(request: FuzzRequest): void {
    const { random, fixture } = this;
    const user = random.pick(fixture.users);
    const ts = Math.floor(fixture.now / 1000);
    const base: Array<[string, string]> = [
      ['vk_user_id', String(user)],
      ['vk_app_id', APP_ID],
      ['vk_ts', String(ts)],
      ['vk_language', 'ru'],
      ['vk_platform', 'desktop_web'],
    ];
    const withEntry = (key: string, value: string) =>
      base.map(([name, old]): [string, string] => [name, name === key ? value : old]);
    const valid = fixture.launchParamsFor(user);
    const choice = random.between(0, 13);
    const value = [
      () => undefined,
      () => random.pick(['', 'hello', '?', '&&&', '=', 'sign=', 'sign', '%E0%A4%A', 'sign=%zz&vk_user_id=%']),
      () => valid.replace(`vk_user_id=${user}`, `vk_user_id=${user + 1}`),
      () => valid.replace(/sign=[^&]*/, `sign=${'A'.repeat(43)}`),
      () => valid.replace(/sign=([^&]*)/, (_m, sign: string) => `sign=${sign.slice(0, -1)}`),
      () => valid.replace(/&sign=[^&]*/, ''),
      () => signEntries(withEntry('vk_ts', String(ts - random.pick([2 * 86_400, 10 * 86_400])))),
      () => signEntries(withEntry('vk_ts', String(ts + random.pick([3600, 86_400 * 365 * 1000])))),
      () => signEntries(withEntry('vk_app_id', random.pick(['1', '', 'abc', `${APP_ID}0`]))),
      () =>
        signEntries(
          withEntry(
            random.pick(['vk_user_id', 'vk_ts']),
            random.pick(['0', '-5', '1.5', 'abc', '', '9007199254740993', '1e3', ' 7', '0x10', '١٢٣']),
          ),
        ),
      () => signEntries([...base, ['vk_user_id', String(user + 1)]]),
      () =>
        signEntries(
          withEntry(
            random.pick(['vk_platform', 'vk_language']),
            random.pick(['x'.repeat(6000), 'ру', '😀', '']),
          ),
        ),
      () => `?${valid}`,
      () => [valid, valid],
    ][choice]?.();
    if (value === undefined) delete request.headers['x-vk-launch-params'];
    else request.headers['x-vk-launch-params'] = value;
  }

  operatorToken(request: FuzzRequest): void {
    const value = this.random.pick([
      undefined,
      '',
      'wrong',
      ADMIN_TOKEN.slice(0, -1),
      `${ADMIN_TOKEN}x`,
      ADMIN_TOKEN.toUpperCase(),
      ` ${OPERATOR_TOKEN} `,
      'a'.repeat(8000),
      'é'.repeat(30),
      `${ADMIN_TOKEN}, ${OPERATOR_TOKEN}`,
    ]);
    if (value === undefined) delete request.headers['x-operator-token'];
    else request.headers['x-operator-token'] = value;
    if (this.random.chance(0.3)) request.headers['x-vk-launch-params'] = this.fixture.launchParamsFor(7);
  }
}

// ---- sending, over the local stack's HTTP server ----

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * The request target as sent: what the generator made, bad escapes and all, with only what HTTP/1.1
 * cannot carry (controls, spaces, characters past Latin-1) and the query's own separators escaped.
 */
function targetOf(request: FuzzRequest): string {
  const sendable = (text: string, separators: RegExp) =>
    text
      .replace(/[^\u0021-\u00ff]|#/gu, (c) => encodeURIComponent(c))
      .replace(separators, (c) => encodeURIComponent(c));
  const path = sendable(request.path, /\?/g);
  const query = request.query.map(([name, value]) => `${sendable(name, /[&=]/g)}=${sendable(value, /&/g)}`);
  if (request.rawQuery !== undefined) query.push(sendable(request.rawQuery, /(?!)/g));
  return query.length > 0 ? `${path}?${query.join('&')}` : path;
}

function send(base: URL, agent: Agent, request: FuzzRequest): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      {
        host: base.hostname,
        port: base.port,
        method: request.method,
        path: targetOf(request),
        headers: {
          ...request.headers,
          ...(request.body ? { 'content-length': String(request.body.length) } : {}),
        },
        agent,
        timeout: 10_000,
      },
      (incoming) => {
        const chunks: Buffer[] = [];
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
        incoming.on('error', reject);
        incoming.on('end', () =>
          resolve({
            status: incoming.statusCode ?? 0,
            headers: incoming.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    outgoing.on('timeout', () => outgoing.destroy(new Error('no answer in 10 s')));
    outgoing.on('error', reject);
    outgoing.end(request.body);
  });
}

// ---- the run ----

/** What a request may write: the rows the API's own transactions insert or delete. */
const WRITTEN_TABLES = [
  'users',
  'tickets',
  'ticket_messages',
  'ticket_status_changes',
  'events',
  'csat_surveys',
  'deferred_jobs',
  'audit_log',
];
// Left out: what the queue's consumers and the VK sandbox's echoes write in the background, while
// the next request runs (queue messages, send claims, dialogs, the notification log), and the jobs
// the deferred worker makes of the API's: a user's pending ticket updates waiting for their time,
// the operators' card (its post, edits and refreshes) that a mini app ticket's announcement starts,
// and a broadcast's later batches (the API queues only its first, `broadcast:<id>:0`).
const API_JOBS = ` WHERE kind <> 'ticket-updates-due' AND (job_id NOT LIKE 'ops-card:%' OR job_id LIKE '%:announce') AND (kind <> 'broadcast-batch' OR job_id LIKE '%:0')`;

interface Finding {
  families: string[];
  method: string;
  target: string;
  status: number;
  detail: string;
}

/** Headers whose presence the document must announce (CORS and content-type are said once, in `info`). */
const ANNOUNCED_HEADERS = ['retry-after', 'idempotent-replayed', 'content-disposition', 'location', 'allow'];

/** A path template as the router matches it: `{name}` is one segment. */
const templatePattern = (template: string) => new RegExp(`^${template.replace(/\{\w+\}/g, '[^/]+')}$`);

type DocumentedResponses = Record<string, { headers?: Record<string, unknown>; $ref?: string }>;

/**
 * What in an answer the document does not say: a success whose status is not listed or whose JSON
 * body fails the route's response schema (the one the document was generated from), or a header the
 * document does not list for that status. Empty when the answer is as documented.
 */
function undocumented(
  document: ReturnType<typeof openApiDocument>,
  operation: Operation,
  answer: Answer,
  reachedOperation: boolean,
): string[] {
  const problems: string[] = [];
  const documented = (document.paths[operation.template]?.[operation.method.toLowerCase()] ?? {}) as {
    responses?: DocumentedResponses;
  };
  const responses = documented.responses ?? {};
  const listed = responses[String(answer.status)] ?? (answer.status >= 400 ? responses['4XX'] : undefined);
  if (!listed) return [`status ${answer.status} is not documented`];
  // Sent to this operation (its method, a path its template matches), a refusal is one it lists: only
  // the router's "no such route" and "method not allowed" are left to the catch-all 4XX.
  if (answer.status >= 400 && reachedOperation && !responses[String(answer.status)]) {
    const type = (() => {
      try {
        return String((JSON.parse(answer.body) as { type?: unknown }).type);
      } catch {
        return '';
      }
    })();
    if (!/\/(not_found|method_not_allowed)$/.test(type))
      problems.push(
        `status ${answer.status} (${type}) is not listed for ${operation.method} ${operation.template}`,
      );
  }
  const resolved = listed.$ref
    ? (document.components.responses as DocumentedResponses)[listed.$ref.split('/').pop() ?? '']
    : listed;
  const headers = Object.keys(resolved?.headers ?? {}).map((name) => name.toLowerCase());
  for (const name of ANNOUNCED_HEADERS)
    if (answer.headers[name] !== undefined && !headers.includes(name))
      problems.push(`header ${name} is not documented for ${answer.status}`);
  if (answer.status >= 400) {
    // The body a refusal has is the document's Problem (HEAD's has none).
    if (answer.body !== '') {
      const checked = (() => {
        try {
          return problemSchema.safeParse(JSON.parse(answer.body)).success;
        } catch {
          return false;
        }
      })();
      if (!checked) problems.push(`the ${answer.status} body is not a Problem`);
    }
    return problems;
  }
  const route = routes.find((r) => r.method === operation.method && r.path === operation.template);
  const spec = route?.responses[answer.status];
  const schema = typeof spec === 'object' ? spec.schema : undefined;
  if (!schema) return [...problems, `no response schema for ${answer.status}`];
  let body: unknown;
  try {
    body = JSON.parse(answer.body);
  } catch {
    return [...problems, 'the body is not JSON'];
  }
  const checked = schema.safeParse(body);
  if (!checked.success)
    problems.push(
      ...checked.error.issues.map(
        (issue) => `body.${issue.path.join('.')}: ${issue.message} (${issue.code})`,
      ),
    );
  return problems;
}

const thousands = (count: number) => String(count).replace(/\B(?=(\d{3})+(?!\d))/g, ' ');

describe('the ticket-api under a seeded fuzzer', () => {
  let stack: LocalStack;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const errorLines: string[] = [];

  beforeAll(async () => {
    stack = await startLocalStack(
      { LOG_LEVEL: 'error', MINI_APP_ORIGINS: ORIGIN },
      { inMemory: true, pollMs: 10, sink: (line) => errorLines.push(line) },
    );
  });
  afterAll(async () => {
    agent.destroy();
    await stack.close();
  });

  it('answers no request with a 5xx, refuses as problems, and writes nothing it refused', async () => {
    const base = new URL(stack.url);
    const call = (method: string, path: string, headers: Record<string, string>, body?: Json) =>
      send(base, agent, {
        method,
        path,
        query: [],
        headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
        body: body === undefined ? undefined : Buffer.from(JSON.stringify(body)),
        families: [],
      });

    // Users with tickets in several states, so valid requests reach the handlers' depths.
    const users = Array.from({ length: 6 }, (_, index) => 7_000_001 + index);
    const tickets: Fixture['tickets'] = [];
    for (const [index, user] of users.entries()) {
      const created = await call(
        'POST',
        '/api/tickets',
        { 'x-vk-launch-params': stack.launchParamsFor(user) },
        { category: index % 2 ? 'bug' : 'question', subject: 'Не открывается', description: 'Белый экран' },
      );
      const number = (JSON.parse(created.body) as { number: string }).number;
      tickets.push({ number, owner: user });
      if (index % 3 === 0) continue;
      const operator = { 'x-operator-token': ADMIN_TOKEN };
      await call('POST', `/api/ops/tickets/${number}/assign`, operator, {});
      await call('POST', `/api/ops/tickets/${number}/status`, operator, { status: 'resolved' });
    }
    const fixture: Fixture = {
      now: stack.clock.now(),
      users,
      tickets,
      slugs: [...knowledgeBase.list('ru'), ...knowledgeBase.list('en')].map((article) => article.slug),
      launchParamsFor: (user) => stack.launchParamsFor(user),
    };
    expect(tickets).toHaveLength(users.length);

    const document = openApiDocument(routes);
    const operations = operationsOf(document);
    const factory = new RequestFactory(new Random(SEED), fixture);
    const rows = stack.store.db.prepare(
      `SELECT ${WRITTEN_TABLES.map((table) => `(SELECT count(*) FROM ${table}${table === 'deferred_jobs' ? API_JOBS : ''}) AS ${table}`).join(', ')},
              (SELECT coalesce(sum(value), 0) FROM counters) AS counters`,
    );
    const serverErrors: Finding[] = [];
    const unexplained: Finding[] = [];
    const partialWrites: Finding[] = [];
    const untrue: Finding[] = [];
    const answeredOk = new Set<string>();
    let validated = 0;
    let sent = 0;
    let refused = 0;

    for (let round = 0; round < ROUNDS; round++) {
      for (const operation of operations) {
        const fuzzed = factory.build(operation);
        const before = JSON.stringify(rows.get());
        const finding = (status: number, detail: string): Finding => ({
          families: fuzzed.families,
          method: fuzzed.method,
          target: targetOf(fuzzed).slice(0, 160),
          status,
          detail: detail.slice(0, 300),
        });
        let answer: Answer;
        try {
          answer = await send(base, agent, fuzzed);
        } catch (error) {
          serverErrors.push(finding(0, `no answer: ${(error as Error).message}`));
          continue;
        } finally {
          sent++;
        }
        if (answer.status >= 500) {
          serverErrors.push(finding(answer.status, `${answer.body} ${errorLines.slice(-1).join('')}`));
          continue;
        }
        // Answers the API gave (not Node's parser, not the local server outside /api/) are as documented.
        if (
          answer.headers['content-type'] !== undefined &&
          pathOfTarget(targetOf(fuzzed)).startsWith('/api/')
        ) {
          // The operation the request reached: a mutated method or path may have made it another one.
          const sentPath = pathOfTarget(targetOf(fuzzed));
          const reached = operations.find(
            (candidate) =>
              candidate.method === fuzzed.method && templatePattern(candidate.template).test(sentPath),
          );
          const problems = undocumented(document, reached ?? operation, answer, reached !== undefined);
          if (problems.length > 0) untrue.push(finding(answer.status, problems.join('; ')));
          if (answer.status < 400) validated++;
        }
        if (answer.status < 400) {
          answeredOk.add(`${operation.method} ${operation.template}`);
          continue;
        }
        refused++;
        // A refusal from the API says what was wrong. Not the API's: Node's HTTP parser refusing a
        // request line or headers (400, 431: no body), the local server's 404 outside /api/ (it
        // resolves dot segments first, as a gateway does), and HEAD, whose answer has no body.
        const nodeRefused = answer.body === '' && answer.headers['content-type'] === undefined;
        const fromApi =
          !nodeRefused && fuzzed.method !== 'HEAD' && pathOfTarget(targetOf(fuzzed)).startsWith('/api/');
        if (fromApi) {
          const problem = (() => {
            try {
              return JSON.parse(answer.body) as { type?: unknown; status?: unknown; detail?: unknown };
            } catch {
              return {};
            }
          })();
          if (
            answer.headers['content-type'] !== 'application/problem+json' ||
            typeof problem.type !== 'string' ||
            problem.status !== answer.status ||
            typeof problem.detail !== 'string' ||
            problem.detail === ''
          )
            unexplained.push(finding(answer.status, answer.body));
        }
        const after = JSON.stringify(rows.get());
        if (after !== before) partialWrites.push(finding(answer.status, `${before} → ${after}`));
      }
    }

    console.log(
      `fuzz: ${thousands(sent)} requests (seed ${SEED}, ${operations.length} operations, ${thousands(refused)} refused), ` +
        `${serverErrors.length} × 5xx, ${partialWrites.length} partial writes, ` +
        `${thousands(validated)} successes checked against their response schemas, ${untrue.length} undocumented`,
    );
    const byDetail = new Map(untrue.map((found) => [found.detail, found]));
    expect({ count: untrue.length, kinds: [...byDetail.values()].slice(0, 12) }).toEqual({
      count: 0,
      kinds: [],
    });
    expect({ count: serverErrors.length, first: serverErrors.slice(0, 8) }).toEqual({ count: 0, first: [] });
    expect({ count: unexplained.length, first: unexplained.slice(0, 8) }).toEqual({ count: 0, first: [] });
    expect({ count: partialWrites.length, first: partialWrites.slice(0, 8) }).toEqual({
      count: 0,
      first: [],
    });
    // The valid requests got through: every operation was answered 2xx at least once.
    expect(
      operations
        .map((operation) => `${operation.method} ${operation.template}`)
        .filter((operation) => !answeredOk.has(operation)),
    ).toEqual([]);
  }, 120_000);

  it("takes any target on the function's entry, where API Gateway passes the path as sent (`url`)", async () => {
    const config = loadConfig({ ...devDefaults, MINI_APP_ORIGINS: ORIGIN }, ['miniApp', 'api']);
    const deps = {
      store: stack.store,
      logger: stack.logger,
      clock: stack.clock,
      tickets: stack.tickets,
      knowledgeBase,
      settings: apiSettingsFrom(config.miniApp, config.api),
    };
    const targets = [
      '//[/api/ping',
      '//evil.example/api/ping',
      '///api/ping',
      'https://gateway.example/api/ping?x=1',
      '/api/kb/%E0%A4%A',
      '/api/kb/%E0%A4%A?lang=%zz',
      '/api/tickets/%ED%A0%80',
      '/api/tickets/../ops/tickets',
      '/api/kb/é#fragment',
      '?',
      '',
    ];
    const answers = [];
    for (const url of targets) {
      const event = { httpMethod: 'GET', url, headers: {}, body: '', isBase64Encoded: false };
      const request = requestFromEvent(event as unknown as HttpEvent, 'fuzz');
      const answer = await handleApiRequest(request, deps);
      answers.push({
        url,
        path: request.path,
        status: answer.statusCode < 500 ? 'below 500' : answer.statusCode,
      });
    }
    expect(answers).toEqual(targets.map((url) => ({ url, path: pathOfTarget(url), status: 'below 500' })));
    expect(pathOfTarget('//[/api/ping')).toBe('//[/api/ping');
    expect(pathOfTarget('https://gateway.example/api/kb/x?q=1')).toBe('/api/kb/x');
    expect(pathOfTarget('/api/tickets/../ops?x#y')).toBe('/api/tickets/../ops');
  });
});
