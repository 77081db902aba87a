import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describeError } from '../../lib/errors';
import { type HttpRequest, pathOfTarget } from '../../lib/http/http';
import type { Logger } from '../../lib/log/logger';
import type { HttpResult } from '../../lib/platform/types';

/**
 * The local stack's one HTTP server, routing as API Gateway will: each request read into the shape the
 * functions' entries get (`HttpRequest`), answered by `route`. Port 0 picks a free one.
 */
export async function serveLocally(
  route: (request: HttpRequest) => Promise<HttpResult>,
  port: number,
  logger: Logger,
): Promise<{ server: Server; url: string }> {
  let requestCounter = 0;
  const server: Server = createServer((incoming, outgoing) => {
    readRequest(incoming, `local-${++requestCounter}`)
      .then(route)
      .then((result) => {
        // API Gateway decodes a base64 answer (a gzipped export) before it goes out; so does this.
        const body = result.isBase64Encoded ? Buffer.from(result.body ?? '', 'base64') : (result.body ?? '');
        outgoing.writeHead(result.statusCode, result.headers).end(body);
      })
      .catch((error: unknown) => {
        logger.error('local request failed', { error: describeError(error) });
        outgoing.writeHead(500).end('internal error');
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

function readRequest(incoming: IncomingMessage, requestId: string): Promise<HttpRequest> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('error', reject);
    incoming.on('end', () => {
      // The target read as the function's entry reads it (`pathOfTarget`): `new URL(target, base)`
      // takes `//x/…` for a host and throws on `//[…`.
      const target = incoming.url ?? '/';
      const queryAt = target.indexOf('?');
      const query = queryAt < 0 ? new URLSearchParams() : new URLSearchParams(target.slice(queryAt + 1));
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(incoming.headers)) {
        if (value !== undefined)
          headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
      }
      resolve({
        method: incoming.method ?? 'GET',
        path: pathOfTarget(target),
        headers,
        query: Object.fromEntries(query),
        body: Buffer.concat(chunks).toString('utf8'),
        requestId,
      });
    });
  });
}
