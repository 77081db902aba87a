import type { HttpError } from '../errors';
import type { HttpEvent, HttpResult } from '../platform/types';

/** A request as the code sees it, whatever carried it (Cloud Functions, API Gateway, the local server). */
export interface HttpRequest {
  method: string;
  path: string;
  /** Lower-cased names. */
  headers: Record<string, string>;
  query: Record<string, string>;
  body: string;
  requestId: string;
}

export function requestFromEvent(event: HttpEvent, requestId: string): HttpRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) headers[name.toLowerCase()] = value;
  const rawBody = event.body ?? '';
  const body = event.isBase64Encoded ? Buffer.from(rawBody, 'base64').toString('utf8') : rawBody;
  // Through API Gateway `path` is the route template and `url` the real path; direct calls have only `url` or neither.
  return {
    method: event.httpMethod,
    path: event.url ? pathOfTarget(event.url) : (event.path ?? '/'),
    headers,
    query: { ...(event.queryStringParameters ?? {}) },
    body,
    requestId,
  };
}

/**
 * The path of a request target (`/api/kb/x?q=1` → `/api/kb/x`), as sent: not resolved against a base
 * URL, which would read `//host/…` as another host, throw on `//[`, and turn `/a/../b` into `/b`.
 * Percent-escapes stay as they are; the router decodes each path parameter.
 *
 * @example pathOfTarget('/api/tickets/B-1?lang=en') // '/api/tickets/B-1'
 */
export function pathOfTarget(target: string): string {
  const withoutQuery = target.replace(/[?#].*$/s, '');
  const absolute = /^[a-z][a-z\d+.-]*:\/\/[^/]*/i.exec(withoutQuery);
  const path = absolute ? withoutQuery.slice(absolute[0].length) : withoutQuery;
  return path.startsWith('/') ? path : `/${path}`;
}

export function text(statusCode: number, body: string, headers: Record<string, string> = {}): HttpResult {
  return { statusCode, headers: { 'content-type': 'text/plain; charset=utf-8', ...headers }, body };
}

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResult {
  return {
    statusCode,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    body: JSON.stringify(body),
  };
}

/** RFC 9457 problem details. `type` is a stable URI per error code; `detail` is for humans. */
export function problem(error: HttpError, instance?: string): HttpResult {
  return {
    statusCode: error.status,
    headers: { 'content-type': 'application/problem+json', ...error.headers },
    body: JSON.stringify({
      type: `https://errors.support-backend.local/${error.code}`,
      title: error.code.replace(/_/g, ' '),
      status: error.status,
      detail: error.expose ? error.message : 'Internal error',
      ...(instance ? { instance } : {}),
      ...(error.expose ? error.extensions : {}),
    }),
  };
}

export function bodySize(request: HttpRequest): number {
  return Buffer.byteLength(request.body, 'utf8');
}
