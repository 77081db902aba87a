import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The VK sandbox: an HTTP server of ours that answers the VK API methods the product calls, in VK's
 * formats, and plays VK's side of the Callback API. Used by tests and by `npm start`; never bundled.
 *
 * - `POST /method/<name>` (form-encoded, like api.vk.com): records every call, drops a repeated
 *   `random_id` per peer (VK's dedup), enforces a requests-per-second limit with error 6, and fails
 *   on demand with 6, 9, 10, 901, HTTP 5xx or a timeout.
 * - `POST /sandbox/users/<id>/messages {text, payload?}`, `/press {payload, conversationMessageId?}`,
 *   `/join`, `/leave`, `/allow`, `/deny`: a VK user acting, delivered as a real callback event (with
 *   the configured secret) to the callback URL.
 * - `GET /sandbox/sent` (what the bot sent), `GET /sandbox/calls`, `POST /sandbox/faults`, `POST /sandbox/reset`.
 */
export interface SandboxOptions {
  groupId: number;
  callbackSecret: string;
  /** Where played events go, e.g. http://127.0.0.1:8080/vk/callback. Settable later. */
  callbackUrl?: string;
  /** Requests per second before error 6; 0 for no limit. */
  rateLimitPerSecond?: number;
  apiVersion?: string;
  log?: (line: string) => void;
}

export interface RecordedCall {
  method: string;
  params: Record<string, string>;
  at: number;
  /** What the sandbox answered: `ok`, `duplicate`, or `error <code>`. */
  outcome: string;
}

export interface SentMessage {
  messageId: number;
  peerId: number;
  text: string;
  keyboard: unknown;
  randomId: number;
  conversationMessageId: number;
}

export type Fault = { method?: string; error: 6 | 9 | 10 | 901 | 'http500' | 'timeout'; times: number };

export interface CallbackDelivery {
  type: string;
  eventId: string;
  status: number;
  answer: string;
}

export class VkSandbox {
  readonly options: Required<Omit<SandboxOptions, 'callbackUrl' | 'log'>> &
    Pick<SandboxOptions, 'callbackUrl' | 'log'>;
  readonly calls: RecordedCall[] = [];
  readonly sent: SentMessage[] = [];
  readonly notifications: Array<{ userIds: number[]; text: string; fragment?: string }> = [];
  readonly deliveries: CallbackDelivery[] = [];
  readonly faults: Fault[] = [];
  #server: Server | undefined;
  #nextMessageId = 1;
  readonly #conversationMessageIds = new Map<number, number>();
  readonly #randomIds = new Map<string, number>();
  /** Arrival times of the last second's API calls: VK's per-second limit as a sliding window. */
  readonly #recentCalls: number[] = [];

  constructor(options: SandboxOptions) {
    this.options = { rateLimitPerSecond: 0, apiVersion: '5.199', ...options };
  }

  get url(): string {
    const address = this.#server?.address() as AddressInfo | undefined;
    if (!address) throw new Error('sandbox not started');
    return `http://127.0.0.1:${address.port}`;
  }

  /** The `VK_API_URL` that points the VK client here. */
  get apiUrl(): string {
    return `${this.url}/method`;
  }

  async start(port = 0): Promise<this> {
    this.#server = createServer((request, response) => {
      this.#route(request, response).catch((error: unknown) => {
        response.writeHead(500).end(String(error));
      });
    });
    await new Promise<void>((resolve, reject) => {
      this.#server!.once('error', reject);
      this.#server!.listen(port, '127.0.0.1', resolve);
    });
    return this;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  reset(): void {
    this.calls.length = 0;
    this.sent.length = 0;
    this.notifications.length = 0;
    this.deliveries.length = 0;
    this.faults.length = 0;
    this.#randomIds.clear();
  }

  injectFault(fault: Fault): void {
    this.faults.push({ ...fault });
  }

  // ---- playing a VK user: real Callback API events ----

  async userSendsMessage(
    userId: number,
    text: string,
    options: { payload?: unknown; buttonActions?: string[]; langId?: number } = {},
  ) {
    const messageId = this.#nextMessageId++;
    return this.deliver('message_new', {
      message: {
        id: messageId,
        date: Math.floor(Date.now() / 1000),
        peer_id: userId,
        from_id: userId,
        text,
        conversation_message_id: this.#nextConversationMessageId(userId),
        attachments: [],
        ...(options.payload === undefined ? {} : { payload: JSON.stringify(options.payload) }),
      },
      client_info: {
        button_actions: options.buttonActions ?? [
          'text',
          'vkpay',
          'open_app',
          'location',
          'open_link',
          'callback',
          'intent_subscribe',
          'intent_unsubscribe',
        ],
        keyboard: true,
        inline_keyboard: true,
        carousel: true,
        lang_id: options.langId ?? 0,
      },
    });
  }

  async userPressesButton(userId: number, payload: unknown, conversationMessageId?: number) {
    return this.deliver('message_event', {
      user_id: userId,
      peer_id: userId,
      event_id: randomUUID().replace(/-/g, '').slice(0, 12),
      payload,
      ...(conversationMessageId ? { conversation_message_id: conversationMessageId } : {}),
    });
  }

  userJoins(userId: number) {
    return this.deliver('group_join', { user_id: userId, join_type: 'join' });
  }

  userLeaves(userId: number) {
    return this.deliver('group_leave', { user_id: userId, self: 1 });
  }

  userAllowsMessages(userId: number, key?: string) {
    return this.deliver('message_allow', { user_id: userId, ...(key ? { key } : {}) });
  }

  userDeniesMessages(userId: number) {
    return this.deliver('message_deny', { user_id: userId });
  }

  /** Posts one callback event the way VK does; returns the callback's answer. */
  async deliver(
    type: string,
    object: unknown,
    options: { eventId?: string; retryCounter?: number } = {},
  ): Promise<CallbackDelivery> {
    const callbackUrl = this.options.callbackUrl;
    if (!callbackUrl) throw new Error('no callback URL configured');
    const eventId = options.eventId ?? randomUUID().replace(/-/g, '');
    const response = await fetch(callbackUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(options.retryCounter ? { 'x-retry-counter': String(options.retryCounter) } : {}),
      },
      body: JSON.stringify({
        group_id: this.options.groupId,
        type,
        event_id: eventId,
        v: this.options.apiVersion,
        object,
        secret: this.options.callbackSecret,
      }),
    });
    const delivery = { type, eventId, status: response.status, answer: await response.text() };
    this.deliveries.push(delivery);
    this.options.log?.(
      `sandbox → callback ${type} ${eventId}: ${delivery.status} ${JSON.stringify(delivery.answer)}`,
    );
    return delivery;
  }

  // ---- the VK API side ----

  async #route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://sandbox');
    const body = await readBody(request);
    if (url.pathname.startsWith('/method/'))
      return this.#apiCall(url.pathname.slice('/method/'.length), body, url, response);

    const send = (status: number, value: unknown): void => {
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
    };
    if (request.method === 'GET' && url.pathname === '/sandbox/sent') return send(200, this.sent);
    if (request.method === 'GET' && url.pathname === '/sandbox/calls') return send(200, this.calls);
    if (request.method === 'GET' && url.pathname === '/sandbox/deliveries') return send(200, this.deliveries);
    if (request.method === 'POST' && url.pathname === '/sandbox/reset') {
      this.reset();
      return send(200, { ok: true });
    }
    if (request.method === 'POST' && url.pathname === '/sandbox/faults') {
      const fault = JSON.parse(body || '{}') as Partial<Fault> & Pick<Fault, 'error'>;
      this.injectFault({ ...fault, times: fault.times ?? 1 });
      return send(200, { ok: true, faults: this.faults });
    }
    const acting = /^\/sandbox\/users\/(\d+)\/(messages|press|join|leave|allow|deny)$/.exec(url.pathname);
    if (request.method === 'POST' && acting) {
      const userId = Number(acting[1]);
      const input = (body ? JSON.parse(body) : {}) as {
        text?: string;
        payload?: unknown;
        conversationMessageId?: number;
        key?: string;
      };
      const action = acting[2];
      const delivery =
        action === 'messages'
          ? await this.userSendsMessage(
              userId,
              input.text ?? '',
              input.payload === undefined ? {} : { payload: input.payload },
            )
          : action === 'press'
            ? await this.userPressesButton(userId, input.payload ?? {}, input.conversationMessageId)
            : action === 'join'
              ? await this.userJoins(userId)
              : action === 'leave'
                ? await this.userLeaves(userId)
                : action === 'allow'
                  ? await this.userAllowsMessages(userId, input.key)
                  : await this.userDeniesMessages(userId);
      return send(200, delivery);
    }
    return send(404, { error: 'unknown sandbox route' });
  }

  async #apiCall(method: string, body: string, url: URL, response: ServerResponse): Promise<void> {
    const params: Record<string, string> = Object.fromEntries(new URLSearchParams(body));
    for (const [key, value] of url.searchParams) params[key] ??= value;
    const record = (outcome: string) => {
      const { access_token: _token, ...visible } = params;
      this.calls.push({ method, params: visible, at: Date.now(), outcome });
    };
    const vkError = (code: number, message: string) => {
      record(`error ${code}`);
      response.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          error: {
            error_code: code,
            error_msg: message,
            request_params: [{ key: 'method', value: method }],
          },
        }),
      );
    };
    const ok = (value: unknown, outcome = 'ok') => {
      record(outcome);
      response
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ response: value }));
    };

    if (!params.v) return vkError(8, 'Invalid request: v (version) is required');
    if (!params.access_token && !(response.req.headers.authorization ?? '').startsWith('Bearer ')) {
      return vkError(5, 'User authorization failed: no access_token passed.');
    }
    if (this.#overRateLimit()) return vkError(6, 'Too many requests per second');
    const fault = this.faults.find(
      (candidate) => candidate.times > 0 && (!candidate.method || candidate.method === method),
    );
    if (fault) {
      fault.times--;
      if (fault.error === 'http500') {
        record('http 500');
        response.writeHead(500).end('Internal Server Error');
        return;
      }
      if (fault.error === 'timeout') {
        record('timeout');
        // Never answers; the client's timeout fires. The connection is closed when the sandbox stops.
        return;
      }
      const messages: Record<number, string> = {
        6: 'Too many requests per second',
        9: 'Flood control',
        10: 'Internal server error',
        901: "Can't send messages for users without permission",
      };
      return vkError(fault.error, messages[fault.error] ?? 'error');
    }

    switch (method) {
      case 'messages.send': {
        const peerId = Number(params.peer_id ?? params.user_id);
        const randomId = Number(params.random_id ?? 0);
        if (!peerId) return vkError(100, 'One of the parameters specified was missing or invalid: peer_id');
        if ((params.message ?? '').length > 9000) return vkError(914, 'Message is too long');
        if (!params.message && !params.attachment)
          return vkError(100, 'One of the parameters specified was missing or invalid: message is empty');
        const dedupKey = `${peerId}:${randomId}`;
        if (randomId !== 0 && this.#randomIds.has(dedupKey))
          return ok(this.#randomIds.get(dedupKey), 'duplicate');
        const messageId = this.#nextMessageId++;
        const message: SentMessage = {
          messageId,
          peerId,
          text: params.message ?? '',
          keyboard: params.keyboard ? JSON.parse(params.keyboard) : null,
          randomId,
          conversationMessageId: this.#nextConversationMessageId(peerId),
        };
        if (randomId !== 0) this.#randomIds.set(dedupKey, messageId);
        this.sent.push(message);
        this.options.log?.(`sandbox ← messages.send to ${peerId}: ${message.text.slice(0, 200)}`);
        return ok(messageId);
      }
      case 'messages.edit': {
        const target = this.sent.find(
          (message) =>
            message.peerId === Number(params.peer_id) &&
            message.conversationMessageId === Number(params.conversation_message_id),
        );
        if (!target)
          return vkError(100, 'One of the parameters specified was missing or invalid: message not found');
        target.text = params.message ?? target.text;
        target.keyboard = params.keyboard ? JSON.parse(params.keyboard) : target.keyboard;
        return ok(1);
      }
      case 'messages.sendMessageEventAnswer':
        return ok(1);
      case 'messages.isMessagesFromGroupAllowed':
        return ok({ is_allowed: 1 });
      case 'users.get':
        return ok(
          String(params.user_ids ?? '')
            .split(',')
            .filter(Boolean)
            .map((id) => ({
              id: Number(id),
              first_name: `User${id}`,
              last_name: 'Sandbox',
              can_access_closed: true,
              is_closed: false,
            })),
        );
      case 'notifications.sendMessage': {
        const userIds = String(params.user_ids ?? '')
          .split(',')
          .filter(Boolean)
          .map(Number);
        if (userIds.length < 1 || userIds.length > 100) return vkError(100, 'user_ids: from 1 to 100 users');
        if ((params.message ?? '').length > 254) return vkError(100, 'message is too long');
        this.notifications.push({
          userIds,
          text: params.message ?? '',
          ...(params.fragment ? { fragment: params.fragment } : {}),
        });
        return ok(userIds.map((userId) => ({ user_id: userId, status: true })));
      }
      default:
        return vkError(3, 'Unknown method passed');
    }
  }

  #overRateLimit(): boolean {
    const limit = this.options.rateLimitPerSecond;
    if (!limit) return false;
    const now = Date.now();
    while (this.#recentCalls.length > 0 && now - this.#recentCalls[0]! >= 1000) this.#recentCalls.shift();
    if (this.#recentCalls.length >= limit) return true;
    this.#recentCalls.push(now);
    return false;
  }

  #nextConversationMessageId(peerId: number): number {
    const next = (this.#conversationMessageIds.get(peerId) ?? 0) + 1;
    this.#conversationMessageIds.set(peerId, next);
    return next;
  }
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}
