import { connect, type Socket } from 'node:net';
import { SqliteStore } from '../../../lib/storage/sqlite/store';
import { newUserRecord } from '../../../lib/users/account';
import type { VkSandbox } from '../../sandbox/vk-sandbox';
import { QUESTIONS } from './config';

/**
 * The burst bench's load: the users in the store, and their `message_new` events posted at once,
 * each timed to its ack.
 */

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
 * VK's side of the connections: raw kept-alive HTTP/1.1 sockets, each carrying one request at a time.
 * The load generator shares this machine's two cores with the instances (and the sandbox runs in
 * this process), so it does as little as a sender can: a request is one prepared buffer written to
 * its socket, an answer is read as a status line, a content length and a body. Node's HTTP client
 * spent about four times this process's CPU on the same thousand requests, and every millisecond it
 * takes is one the instances being measured don't get; VK's senders cost our servers nothing.
 */
class Connection {
  readonly #socket: Socket;
  #received: Buffer = Buffer.alloc(0);
  #waiting?: {
    resolve: (answer: { status: number; answer: string }) => void;
    reject: (error: Error) => void;
  };
  readonly ready: Promise<void>;

  constructor(
    readonly host: string,
    port: number,
  ) {
    this.#socket = connect({ host, port, noDelay: true });
    this.ready = new Promise((resolve, reject) => {
      this.#socket.once('connect', () => resolve());
      this.#socket.once('error', reject);
    });
    this.#socket.on('data', (chunk: Buffer) => this.#read(chunk));
    this.#socket.on('error', (error) => this.#fail(error));
    this.#socket.on('close', () => this.#fail(new Error('the instance closed the connection')));
  }

  /** Sends one request; resolves with its answer and the time the request had been handed to the socket. */
  request(head: string, body: string): Promise<{ status: number; answer: string; sentAt: number }> {
    if (this.#waiting) return Promise.reject(new Error('a connection carries one request at a time'));
    return new Promise((resolve, reject) => {
      let sentAt = performance.now();
      this.#waiting = { resolve: (answer) => resolve({ ...answer, sentAt }), reject };
      this.#socket.write(head + body, () => {
        sentAt = performance.now();
      });
    });
  }

  close(): void {
    this.#socket.destroy();
  }

  #read(chunk: Buffer): void {
    this.#received = this.#received.length ? Buffer.concat([this.#received, chunk]) : chunk;
    const headEnd = this.#received.indexOf('\r\n\r\n');
    if (headEnd < 0) return;
    const head = this.#received.toString('latin1', 0, headEnd);
    const bodyStart = headEnd + 4;
    let answer: string;
    if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) {
      // Chunked: read every chunk up to the empty last one.
      const parts: Buffer[] = [];
      let at = bodyStart;
      for (;;) {
        const sizeEnd = this.#received.indexOf('\r\n', at);
        if (sizeEnd < 0) return;
        const size = Number.parseInt(this.#received.toString('latin1', at, sizeEnd), 16);
        if (this.#received.length < sizeEnd + 2 + size + 2) return;
        if (size === 0) {
          at = sizeEnd + 4;
          break;
        }
        parts.push(this.#received.subarray(sizeEnd + 2, sizeEnd + 2 + size));
        at = sizeEnd + 2 + size + 2;
      }
      answer = Buffer.concat(parts).toString('utf8');
      this.#received = this.#received.subarray(at);
    } else {
      const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
      if (this.#received.length < bodyStart + length) return;
      answer = this.#received.toString('utf8', bodyStart, bodyStart + length);
      this.#received = this.#received.subarray(bodyStart + length);
    }
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.resolve({ status: Number(head.slice(9, 12)), answer });
  }

  #fail(error: Error): void {
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.reject(error);
  }
}

/** Idle connections by instance origin. */
const idle = new Map<string, Connection[]>();
const idleTo = (origin: string): Connection[] => {
  const connections = idle.get(origin) ?? [];
  idle.set(origin, connections);
  return connections;
};

/**
 * Opens `perUrl` kept-alive connections to each instance, as VK's senders hold theirs open: the burst
 * then measures the events' handling, not a thousand TCP handshakes.
 */
export async function openConnections(urls: string[], perUrl: number): Promise<void> {
  const opened = urls.flatMap((url) => {
    const { origin, hostname, port } = new URL(url);
    const connections = Array.from({ length: perUrl }, () => new Connection(hostname, Number(port)));
    idleTo(origin).push(...connections);
    return connections;
  });
  await Promise.all(opened.map((connection) => connection.ready));
}

/** Closes every connection the bench opened. */
export function closeConnections(): void {
  for (const connections of idle.values()) for (const connection of connections) connection.close();
  idle.clear();
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
 * One POST on an idle connection to `url`'s instance (a new one if none is idle). `sentAt` is when
 * the request had left (written to its socket): VK times its answer from then, and this process's
 * own delay in getting a thousand requests out is not the instance's.
 */
export async function post(
  url: string,
  body: string,
): Promise<{ status: number; answer: string; sentAt: number }> {
  const { origin, host, hostname, port, pathname } = new URL(url);
  const connection = idleTo(origin).pop() ?? new Connection(hostname, Number(port));
  await connection.ready;
  const head =
    `POST ${pathname} HTTP/1.1\r\nhost: ${host}\r\nconnection: keep-alive\r\n` +
    `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n`;
  try {
    return await connection.request(head, body);
  } finally {
    idleTo(origin).push(connection);
  }
}
