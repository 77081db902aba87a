import { type Agent, request as httpRequest } from 'node:http';
import type { FuzzRequest } from './fuzz-request';

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * The request target as sent: what the generator made, bad escapes and all, with only what HTTP/1.1
 * cannot carry (controls, spaces, characters past Latin-1) and the query's own separators escaped.
 */
export function targetOf(request: FuzzRequest): string {
  const sendable = (text: string, separators: RegExp) =>
    text
      .replace(/[^\u0021-\u00ff]|#/gu, (c) => encodeURIComponent(c))
      .replace(separators, (c) => encodeURIComponent(c));
  const path = sendable(request.path, /\?/g);
  const query = request.query.map(([name, value]) => `${sendable(name, /[&=]/g)}=${sendable(value, /&/g)}`);
  if (request.rawQuery !== undefined) query.push(sendable(request.rawQuery, /(?!)/g));
  return query.length > 0 ? `${path}?${query.join('&')}` : path;
}

/** Sends a request over the local stack's HTTP server (the path `npm start` serves), as it is. */
export function send(base: URL, agent: Agent, request: FuzzRequest): Promise<Answer> {
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
