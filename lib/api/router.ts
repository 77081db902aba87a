import { HttpError } from '../errors';
import { type HttpRequest, json, problem } from '../http/http';
import type { Logger } from '../log/logger';
import type { HttpResult } from '../platform/types';
import type { Store } from '../storage/port';

export interface TicketApiDependencies {
  store: Store;
  logger: Logger;
}

/** Bodies past this are refused before parsing (ticket-api issue: 413 over 64 KB). */
export const MAX_API_BODY_BYTES = 64 * 1024;

/**
 * The mini app's HTTP API. The Foundation serves only the error contract (RFC 9457 problems, 413,
 * 404 for unknown routes); the endpoints arrive with the ticket-api issue.
 */
export async function handleApiRequest(
  request: HttpRequest,
  deps: TicketApiDependencies,
): Promise<HttpResult> {
  try {
    if (Buffer.byteLength(request.body, 'utf8') > MAX_API_BODY_BYTES) {
      throw new HttpError(413, 'payload_too_large', `The body is larger than ${MAX_API_BODY_BYTES} bytes.`);
    }
    if (request.method === 'GET' && request.path === '/api/ping') {
      return json(200, { ok: true });
    }
    throw new HttpError(404, 'not_found', `No route for ${request.method} ${request.path}.`);
  } catch (error) {
    if (error instanceof HttpError) {
      if (error.status >= 500) deps.logger.error('api request failed', { error: error.toJSON() });
      return problem(error, request.path);
    }
    deps.logger.error('api request failed', {
      error: error instanceof Error ? error.message : String(error),
    });
    return problem(new HttpError(500, 'internal', 'Internal error', { cause: error }), request.path);
  }
}
