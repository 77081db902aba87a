import type * as z from 'zod';
import type { Clock } from '../clock';
import { AppError, describeError, HttpError, ValidationError } from '../errors';
import { type HttpRequest, json, problem } from '../http/http';
import type { KnowledgeBase } from '../kb/articles';
import type { Logger } from '../log/logger';
import type { HttpResult } from '../platform/types';
import { type Store, undeterminedCommit } from '../storage/port';
import type { OperatorActor } from '../tickets/audit';
import { TicketError } from '../tickets/errors';
import type { TicketService } from '../tickets/service';
import { type LaunchIdentity, verifyLaunchParams } from './launch-params';
import { authenticateOperator, type OperatorCredential } from './operator-auth';

export interface ApiSettings {
  appId: number;
  appSecret: string;
  launchParamsMaxAgeSeconds: number;
  allowedOrigins: readonly string[];
  operators: readonly OperatorCredential[];
}

export interface TicketApiDependencies {
  store: Store;
  logger: Logger;
  clock: Clock;
  tickets: TicketService;
  knowledgeBase: KnowledgeBase;
  settings: ApiSettings;
}

/** Bodies past this are refused before parsing. */
export const MAX_API_BODY_BYTES = 64 * 1024;

/** Who may call a route: anyone, the mini app's user, any operator token, or an admin's only. */
export type Auth = 'public' | 'user' | 'operator' | 'admin';
export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface RouteContext<Q, B> {
  request: HttpRequest;
  deps: TicketApiDependencies;
  params: Record<string, string>;
  query: Q;
  body: B;
  /** Set on `user` routes: who the verified launch params say the caller is. */
  user: LaunchIdentity;
  /** Set on `operator` routes. */
  operator: OperatorActor;
}

/** One documented answer of a route. */
export interface ResponseSpec {
  description: string;
  /** The JSON body's schema; required below 400 (the fuzzer validates every such answer against it). */
  schema?: z.ZodType;
  /**
   * The body's media type when it is not JSON (`text/csv` for an export): the document lists it under
   * that type, and `schema` (a string schema) describes the text.
   */
  contentType?: string;
  /** Headers this answer may carry: name → what it says. */
  headers?: Record<string, string>;
}

export interface Route<Q = unknown, B = unknown> {
  method: Method;
  /** An OpenAPI path template: `/api/tickets/{number}`. */
  path: string;
  auth: Auth;
  summary: string;
  tag: 'mini app' | 'knowledge base' | 'operators' | 'admins' | 'service';
  /**
   * A page for a browser (the operators' dashboard), not an API operation: its answer is HTML, so it
   * stays out of the OpenAPI document (and the fuzzer that reads it); the gateway routes it all the same.
   */
  page?: true;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  /**
   * Status → what it means, for the OpenAPI document: below 400 with the JSON body's schema (named in
   * lib/api/responses.ts) and the headers it carries; errors are problem+json (a description is enough).
   */
  responses: Record<number, string | ResponseSpec>;
  handle(context: RouteContext<Q, B>): Promise<HttpResult>;
}

/**
 * A JSON answer whose body the compiler checks against the schema the route documents for that status
 * (lib/api/responses.ts), so a field added to one and not the other fails `tsc`.
 */
export function jsonOf<S extends z.ZodType>(
  _schema: S,
  status: number,
  body: z.output<S>,
  headers: Record<string, string> = {},
): HttpResult {
  return json(status, body, headers);
}

/** Keeps each route's query and body types tied to its handler. */
export function route<Q = undefined, B = undefined>(definition: Route<Q, B>): Route {
  return definition as unknown as Route;
}

interface CompiledRoute {
  route: Route;
  pattern: RegExp;
  names: string[];
}

function compile(routes: readonly Route[]): CompiledRoute[] {
  return routes.map((route) => {
    const names: string[] = [];
    const source = route.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, (_match, name) => {
      names.push(name);
      return '([^/]+)';
    });
    return { route, pattern: new RegExp(`^${source}$`), names };
  });
}

const CORS_HEADERS = 'content-type, x-vk-launch-params, idempotency-key, x-operator-token';
/** Response headers the mini app's scripts may read (a browser hides all but a few safe ones). */
const CORS_EXPOSED_HEADERS = 'Retry-After, Idempotent-Replayed, Content-Disposition';

/**
 * The ticket-api's HTTP handling: CORS, size limit, routing by method and path template,
 * identity (launch params or operator token), zod validation of query and body, and one error
 * boundary mapping typed errors to RFC 9457 problems. Unexpected errors are 500 and logged once.
 */
export function createApiHandler(routes: readonly Route[]) {
  const compiled = compile(routes);
  return async function handleApiRequest(
    request: HttpRequest,
    deps: TicketApiDependencies,
  ): Promise<HttpResult> {
    const origin = request.headers.origin;
    const corsHeaders: Record<string, string> =
      origin && deps.settings.allowedOrigins.includes(origin)
        ? {
            'access-control-allow-origin': origin,
            'access-control-expose-headers': CORS_EXPOSED_HEADERS,
            vary: 'Origin',
          }
        : {};
    const withCors = (result: HttpResult): HttpResult => ({
      ...result,
      headers: { ...result.headers, ...corsHeaders },
    });
    try {
      if (request.method === 'OPTIONS') {
        return withCors({
          statusCode: 204,
          headers: corsHeaders['access-control-allow-origin']
            ? {
                'access-control-allow-methods': 'GET, POST, PUT, DELETE, OPTIONS',
                'access-control-allow-headers': CORS_HEADERS,
                'access-control-max-age': '600',
              }
            : {},
          body: '',
        });
      }
      if (Buffer.byteLength(request.body, 'utf8') > MAX_API_BODY_BYTES) {
        throw new HttpError(413, 'payload_too_large', `The body is larger than ${MAX_API_BODY_BYTES} bytes.`);
      }
      const matches = compiled
        .map((entry) => ({ entry, match: entry.pattern.exec(request.path) }))
        .filter((candidate) => candidate.match);
      if (matches.length === 0) {
        throw new HttpError(404, 'not_found', `No route for ${request.method} ${request.path}.`);
      }
      const found = matches.find((candidate) => candidate.entry.route.method === request.method);
      if (!found?.match) {
        const allow = matches.map((candidate) => candidate.entry.route.method).join(', ');
        throw new HttpError(405, 'method_not_allowed', `${request.path} accepts ${allow}.`, {
          headers: { allow },
        });
      }
      const { route, names } = found.entry;
      const params = decodeParams(names, found.match);
      const context = {
        request,
        deps,
        params,
        query: route.query ? validate(route.query, decodedQuery(request.query), 'query') : undefined,
        body: route.body ? validate(route.body, parseJson(request.body), 'body') : undefined,
        ...identify(route.auth, request, deps),
      } as unknown as RouteContext<unknown, unknown>;
      return withCors(await route.handle(context));
    } catch (error) {
      return withCors(answerError(error, request, deps.logger));
    }
  };
}

/**
 * The query as the gateway decoded it. A malformed escape (`?q=%E0%A4`) reaches us decoded with
 * U+FFFD in its place, which no client means to send: the caller's error, named, not an empty search.
 */
function decodedQuery(
  query: Readonly<Record<string, string | undefined>>,
): Record<string, string | undefined> {
  const issues = Object.entries(query)
    .filter(([, value]) => value?.includes('\uFFFD'))
    .map(([name]) => ({ path: `query.${name}`, message: 'not valid percent-encoded UTF-8' }));
  if (issues.length > 0) {
    throw new ValidationError(
      `The query is invalid: ${issues.map((issue) => `${issue.path} ${issue.message}`).join('; ')}.`,
      issues,
    );
  }
  return { ...query };
}

/** The path's `{name}` segments, percent-decoded; a malformed escape is the caller's error, not ours. */
function decodeParams(names: readonly string[], match: RegExpExecArray): Record<string, string> {
  const params: Record<string, string> = {};
  const issues: Array<{ path: string; message: string }> = [];
  names.forEach((name, index) => {
    const raw = match[index + 1] ?? '';
    try {
      params[name] = decodeURIComponent(raw);
    } catch {
      issues.push({ path: `path.${name}`, message: 'not valid percent-encoded UTF-8' });
    }
  });
  if (issues.length > 0) {
    throw new ValidationError(
      `The path is invalid: ${issues.map((issue) => `${issue.path} ${issue.message}`).join('; ')}.`,
      issues,
    );
  }
  return params;
}

function identify(auth: Auth, request: HttpRequest, deps: TicketApiDependencies) {
  if (auth === 'user') {
    const verified = verifyLaunchParams(request.headers['x-vk-launch-params'], {
      appSecret: deps.settings.appSecret,
      appId: deps.settings.appId,
      now: deps.clock.now(),
      maxAgeSeconds: deps.settings.launchParamsMaxAgeSeconds,
    });
    if (!verified.ok) {
      const detail = {
        missing: 'The X-VK-Launch-Params header is missing or has no sign.',
        bad_signature: 'The launch params signature does not match.',
        stale: 'The launch params are too old (vk_ts); reopen the app.',
        wrong_app: 'The launch params are for another app.',
        malformed: 'The launch params lack vk_user_id or vk_ts.',
      }[verified.reason];
      throw new HttpError(401, `launch_params_${verified.reason}`, detail);
    }
    return { user: verified.identity };
  }
  if (auth === 'operator' || auth === 'admin') {
    const operator = authenticateOperator(request.headers['x-operator-token'], deps.settings.operators);
    if (!operator) throw new HttpError(401, 'operator_unauthorized', 'A valid X-Operator-Token is required.');
    // Operators handle tickets; exports, erasure and the audit are an admin's.
    if (auth === 'admin' && operator.role !== 'admin')
      throw new HttpError(403, 'admin_only', 'This needs an admin token; an operator token may not do it.');
    return { operator };
  }
  return {};
}

function parseJson(body: string): unknown {
  if (body.trim() === '') return undefined;
  try {
    return JSON.parse(body);
  } catch {
    throw new ValidationError('The body is not valid JSON.', [{ path: '', message: 'invalid JSON' }]);
  }
}

export function validate<T>(schema: z.ZodType<T>, input: unknown, where: 'query' | 'body'): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({
    path: [where, ...issue.path.map(String)].join('.'),
    message: issue.message,
  }));
  throw new ValidationError(
    `The ${where} is invalid: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}.`,
    issues,
  );
}

/** Domain error codes and the HTTP status each maps to. */
const statusByCode: Record<string, number> = {
  ticket_not_found: 404,
  article_not_found: 404,
  unknown_category: 400,
  too_many_tickets: 429,
  idempotency_key_reused: 422,
  invalid_transition: 409,
  ticket_closed: 409,
  not_resolved: 409,
  already_rated: 409,
  survey_closed: 409,
};

function answerError(error: unknown, request: HttpRequest, logger: Logger): HttpResult {
  if (error instanceof HttpError) {
    if (error.status >= 500) logger.error('api request failed', { error: error.toJSON() });
    return problem(error, request.path);
  }
  if (error instanceof AppError && statusByCode[error.code]) {
    const retryAfter = error instanceof TicketError ? error.retryAfterSeconds : undefined;
    return problem(
      new HttpError(statusByCode[error.code] ?? 400, error.code, error.message, {
        headers: retryAfter ? { 'retry-after': String(retryAfter) } : {},
      }),
      request.path,
    );
  }
  // By code, not instanceof: in a function the YDB store lives in a file of its own (ydb.js) with its
  // own copy of the class.
  if (error instanceof Error && (error as { code?: unknown }).code === undeterminedCommit) {
    // The database may have stored it: the caller should look before repeating (or repeat with the same Idempotency-Key).
    logger.error('api request failed', { error: describeError(error) });
    return problem(
      new HttpError(
        503,
        undeterminedCommit,
        'The change may or may not have been saved: check before repeating it.',
        {
          headers: { 'retry-after': '1' },
        },
      ),
      request.path,
    );
  }
  logger.error('api request failed', {
    error: error instanceof Error ? { name: error.name, message: error.message } : String(error),
  });
  return problem(new HttpError(500, 'internal', 'Internal error', { cause: error }), request.path);
}
