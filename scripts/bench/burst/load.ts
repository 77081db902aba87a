import { Agent, request as httpRequest } from 'node:http';
import { SqliteStore } from '../../../lib/storage/sqlite/store';
import { newUserRecord } from '../../../lib/users/account';
import type { VkSandbox } from '../../sandbox/vk-sandbox';
import { QUESTIONS } from './config';

/**
 * The burst bench's load: the users in the store, and their `message_new` events posted at once,
 * each timed to its ack.
 */

/** VK's connections to the instances: as many as there are events in flight, kept open. */
export const agent = new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });

/** Users who wrote before: their name and an idle dialog are in the store, as after a first conversation. */
export async function seedKnownUsers(file: string, userIds: number[]): Promise<void> {
  const store = new SqliteStore(file);
  const now = Date.now();
  await store.transaction(async (repositories) => {
    for (const userId of userIds) {
      await repositories.users.put(
        newUserRecord(userId, now, { language: 'ru', messagesAllowed: true, firstName: `User${userId}` }),
      );
      await repositories.dialogs.put({
        peerId: userId,
        userId,
        state: 'idle',
        data: {},
        operatorSilentUntil: null,
        updatedAt: now,
      });
    }
  });
  await store.close();
}

/**
 * Opens `perUrl` kept-alive connections to each instance (concurrent `GET /health`), as VK's senders
 * hold theirs open: the burst then measures the events' handling, not a thousand TCP handshakes.
 */
export async function openConnections(urls: string[], perUrl: number): Promise<void> {
  await Promise.all(
    urls.flatMap((url) =>
      Array.from(
        { length: perUrl },
        () =>
          new Promise<void>((resolve, reject) => {
            const request = httpRequest(`${url}/health`, { agent }, (response) => {
              response.resume();
              response.on('end', () => resolve());
            });
            request.on('error', reject);
            request.end();
          }),
      ),
    ),
  );
}

export interface Ack {
  userId: number;
  eventId: string;
  ms: number;
  ok: boolean;
  status?: number;
  answer?: string;
}

/** Each user's `message_new` posted at once to its instance, as VK would; each timed to its answer. */
export async function postAll(
  sandbox: VkSandbox,
  targets: Array<{ userId: number; url: string }>,
  prefix: string,
): Promise<Ack[]> {
  const prepared = targets.map(({ userId, url }, index) => {
    const eventId = `${prefix}${userId}x${Date.now().toString(36)}`;
    const question = QUESTIONS[index % QUESTIONS.length]!;
    return {
      userId,
      eventId,
      url: `${url}/vk/callback`,
      body: sandbox.callbackBody('message_new', sandbox.userMessageObject(userId, question), eventId),
    };
  });
  return Promise.all(
    prepared.map(async ({ userId, eventId, url, body }): Promise<Ack> => {
      const start = performance.now();
      try {
        const { status, answer, sentAt } = await post(url, body);
        return {
          userId,
          eventId,
          ms: performance.now() - sentAt,
          ok: status === 200 && answer === 'ok',
          status,
          answer: answer.slice(0, 100),
        };
      } catch (error) {
        return {
          userId,
          eventId,
          ms: performance.now() - start,
          ok: false,
          answer: error instanceof Error ? error.message : String(error),
        };
      }
    }),
  );
}

/**
 * One POST with node:http: about a third of `fetch`'s CPU per request, and the load generator shares
 * this machine's cores with the instances (the sandbox runs in this process too). `sentAt` is when
 * the request had left (written to its socket): VK times its answer from then, and this process's
 * own delay in getting a thousand requests out is not the instance's.
 */
export function post(url: string, body: string): Promise<{ status: number; answer: string; sentAt: number }> {
  return new Promise((resolve, reject) => {
    let sentAt = performance.now();
    const request = httpRequest(
      url,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        timeout: 30_000,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            answer: Buffer.concat(chunks).toString('utf8'),
            sentAt,
          }),
        );
        response.on('error', reject);
      },
    );
    request.on('finish', () => {
      sentAt = performance.now();
    });
    request.on('timeout', () => request.destroy(new Error('no answer in 30 s')));
    request.on('error', reject);
    request.end(body);
  });
}
