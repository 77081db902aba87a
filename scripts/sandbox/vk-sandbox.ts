import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { formParams, MAX_EXECUTE_CALLS, parseExecuteCode } from './vkscript';

/**
 * The VK sandbox: an HTTP server of ours that answers the VK API methods the product calls, in VK's
 * formats, and plays VK's side of the Callback API. Used by tests and by `npm start`; never bundled.
 *
 * - `POST /method/<name>` (form-encoded, like api.vk.com): records every call, drops a repeated
 *   `random_id` per peer (VK's dedup), enforces a requests-per-second limit per access token with
 *   error 6, and fails on demand with 6, 9, 10, 901, HTTP 5xx or a timeout.
 * - `execute` with `code` = `return [API.<method>({JSON}), …];` (what the product sends; anything else
 *   is error 12, a 26th call error 13): each call runs as a direct call would, and the answer is
 *   `{response: [result or false, …], execute_errors: [{method, error_code, error_msg}, …]}`. The
 *   request counts once against the rate limit.
 * - Like VK, it refuses `messages.send` to a user who never wrote and didn't allow messages (901),
 *   and echoes every message the community sends to a user back as a `message_reply` callback.
 * - `POST /sandbox/users/<id>/messages {text, payload?, photos?, buttonActions?, langId?}`,
 *   `/press {payload, conversationMessageId?}`, `/join`, `/leave`, `/allow {key?}`, `/deny`: a VK user
 *   acting, delivered as a real callback event (with the configured secret) to the callback URL.
 * - `POST /sandbox/admins/<id>/dialogs/<userId> {text}`: a community admin typing in a user's dialog
 *   (VK sends it as `message_reply` with `admin_author_id`).
 * - `POST /sandbox/chats/<peerId>/messages {from, text, replyTo?}` and `/press {from, payload}`: a
 *   member of a group chat (the operators' chat) writing, replying to a message by its
 *   conversation_message_id, or pressing a callback button.
 * - `messages.edit` changes a sent message in place (by conversation_message_id), as the user sees it.
 * - `notifications.sendMessage` answers per user as VK does: code 1 for users in `notificationsOff`,
 *   4 for `appNotInstalled`, 2 within an hour of the user's last notification, 3 past three a day,
 *   and a failure for the same text twice in a row; a repeated `random_id` is answered as the first
 *   call was, without delivering again. `randomFaults` fails a share of calls at random.
 * - `GET /sandbox/sent` (what the community sent), `GET /sandbox/event-answers` (snackbars),
 *   `GET /sandbox/calls`, `POST /sandbox/faults`, `POST /sandbox/reset`.
 */
export interface SandboxOptions {
  groupId: number;
  callbackSecret: string;
  /** Where played events go, e.g. http://127.0.0.1:8080/vk/callback. Settable later. */
  callbackUrl?: string;
  /** Requests per second per access token before error 6 (an `execute` is one); 0 for no limit. */
  rateLimitPerSecond?: number;
  apiVersion?: string;
  /** Group chats the community is in, with their members (`messages.getConversationMembers`). */
  chatMembers?: Record<number, number[]>;
  /** Echo community messages to users back as `message_reply` callbacks, as VK does (default true). */
  echoReplies?: boolean;
  log?: (line: string) => void;
  /** The sandbox's idea of now for VK's per-user notification limits (a test's clock); default real time. */
  now?: () => number;
  /** What `groups.getCallbackConfirmationCode` answers; VK expects it back from a new server. */
  confirmationCode?: string;
  /** A share of calls (of one method, or any) failing at random with one of `errors`: a flaky VK. */
  randomFaults?: { method?: string; rate: number; errors: Array<Fault['error']>; random?: () => number };
}

export interface RecordedCall {
  method: string;
  params: Record<string, string>;
  at: number;
  /** What the sandbox answered: `ok`, `duplicate`, `error <code>`, `http 500` or `timeout`. */
  outcome: string;
  /** Set on a call made inside an `execute` request (recorded before that request itself). */
  via?: 'execute';
}

export interface SentMessage {
  messageId: number;
  peerId: number;
  text: string;
  keyboard: unknown;
  randomId: number;
  conversationMessageId: number;
}

/**
 * A failure to play `times` times for calls of `method` (any method when absent: then it hits the
 * request, an `execute` included, never a call inside one). `lost_answer`: the call takes effect but
 * its answer is an HTTP 500 (the client must retry safely).
 */
export type Fault = {
  method?: string;
  error: FaultCode | 'http500' | 'timeout' | 'lost_answer';
  times: number;
};

type FaultCode = 6 | 9 | 10 | 901;

const faultMessages: Record<FaultCode, string> = {
  6: 'Too many requests per second',
  9: 'Flood control',
  10: 'Internal server error',
  901: "Can't send messages for users without permission",
};

/** A failed call inside `execute`, as VK lists it in `execute_errors`. */
interface ExecuteErrorEntry {
  method: string;
  error_code: number;
  error_msg: string;
}

/** One method's answer: its `response` (and how it was reached, e.g. `duplicate`), or a VK error. */
type MethodAnswer = { response: unknown; outcome?: string } | { error: number; message: string };

/** What an API request gets: an answer (with `execute_errors`), an error, or a broken transport. */
type Answer =
  | { response: unknown; outcome?: string; executeErrors?: ExecuteErrorEntry[]; loseAnswer?: boolean }
  | { error: number; message: string; loseAnswer?: boolean }
  | { transport: 'http500' | 'timeout' };

export interface CallbackDelivery {
  type: string;
  eventId: string;
  status: number;
  answer: string;
}

const refusals: Record<number, string> = {
  0: 'the same text as the previous notification',
  1: 'notifications are disabled',
  2: 'hourly limit reached',
  3: 'daily limit reached',
  4: 'application is not installed',
};

export class VkSandbox {
  readonly options: Required<Omit<SandboxOptions, 'callbackUrl' | 'log' | 'now' | 'randomFaults'>> &
    Pick<SandboxOptions, 'callbackUrl' | 'log' | 'now' | 'randomFaults'>;
  /** Users who turned the app's notifications off (VK answers them with code 1). */
  readonly notificationsOff = new Set<number>();
  /** Users who don't have the app (code 4). */
  readonly appNotInstalled = new Set<number>();
  /** Every notification VK delivered, per user: its limits (1 an hour, 3 a day, no repeated text) use it. */
  readonly #delivered = new Map<number, Array<{ at: number; text: string }>>();
  readonly #notificationAnswers = new Map<string, unknown>();
  /** Users who wrote to the community or allowed its messages: VK lets it write only to them. */
  readonly allowed = new Set<number>();
  readonly eventAnswers: Array<{ eventId: string; userId: number; peerId: number; eventData: unknown }> = [];
  readonly #echoes = new Set<Promise<unknown>>();
  readonly calls: RecordedCall[] = [];
  readonly sent: SentMessage[] = [];
  /** Accepted calls (a duplicate `random_id` is not one); `userIds` are the users it reached. */
  readonly notifications: Array<{ userIds: number[]; text: string; fragment?: string }> = [];
  readonly deliveries: CallbackDelivery[] = [];
  readonly faults: Fault[] = [];
  /** Calls refused with error 6 by the per-second limit (not by an injected fault). */
  rateLimited = 0;
  #server: Server | undefined;
  #nextMessageId = 1;
  readonly #conversationMessageIds = new Map<number, number>();
  readonly #randomIds = new Map<string, number>();
  /** The community's Callback API servers and their settings (`groups.*CallbackServer*`). */
  readonly callbackServers: Array<{
    id: number;
    title: string;
    url: string;
    secret_key: string;
    status: string;
    creator_id: number;
  }> = [];
  readonly callbackSettings = new Map<number, { api_version: string; events: Record<string, boolean> }>();
  /** Arrival times of the last second's API requests, per access token: VK's per-second limit. */
  readonly #recentCalls = new Map<string, number[]>();

  constructor(options: SandboxOptions) {
    this.options = {
      rateLimitPerSecond: 0,
      apiVersion: '5.199',
      chatMembers: {},
      echoReplies: true,
      confirmationCode: 'sandbox-confirmation',
      ...options,
    };
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

  /** Waits for the `message_reply` echoes in flight. */
  async settle(): Promise<void> {
    while (this.#echoes.size > 0) await Promise.allSettled([...this.#echoes]);
  }

  async stop(): Promise<void> {
    this.options.echoReplies = false;
    await this.settle();
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
    this.eventAnswers.length = 0;
    this.#randomIds.clear();
    this.#delivered.clear();
    this.#notificationAnswers.clear();
  }

  injectFault(fault: Fault): void {
    this.faults.push({ ...fault });
  }

  // ---- playing a VK user: real Callback API events ----

  async userSendsMessage(
    userId: number,
    text: string,
    options: { payload?: unknown; buttonActions?: string[]; langId?: number; photos?: number } = {},
  ) {
    return this.deliver('message_new', this.userMessageObject(userId, text, options));
  }

  /**
   * The `object` of the `message_new` event VK sends for a user's message (the user now allows the
   * community's answers), without delivering it: `userSendsMessage` posts it, a bench may post it itself.
   */
  userMessageObject(
    userId: number,
    text: string,
    options: { payload?: unknown; buttonActions?: string[]; langId?: number; photos?: number } = {},
  ) {
    const messageId = this.#nextMessageId++;
    this.allowed.add(userId);
    return {
      message: {
        id: messageId,
        date: Math.floor(Date.now() / 1000),
        peer_id: userId,
        from_id: userId,
        text,
        conversation_message_id: this.#nextConversationMessageId(userId),
        attachments: Array.from({ length: options.photos ?? 0 }, (_, index) => ({
          type: 'photo',
          photo: {
            id: 457_239_000 + messageId * 10 + index,
            owner_id: userId,
            access_key: `k${messageId}x${index}`,
            sizes: [{ type: 'x', url: 'https://sun9-1.userapi.com/x.jpg', width: 604, height: 453 }],
          },
        })),
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
    };
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
    this.allowed.add(userId);
    return this.deliver('message_allow', { user_id: userId, ...(key ? { key } : {}) });
  }

  userDeniesMessages(userId: number) {
    this.allowed.delete(userId);
    return this.deliver('message_deny', { user_id: userId });
  }

  /** A community admin types in a user's dialog: VK shows it to the user and sends `message_reply`. */
  adminWrites(adminId: number, userId: number, text: string) {
    const message = this.#record(userId, text, null, 0);
    return this.deliver('message_reply', {
      ...this.#messageObject(message),
      admin_author_id: adminId,
    });
  }

  /** A member writes in a group chat, optionally replying to a message there by conversation_message_id. */
  memberWritesInChat(peerId: number, fromId: number, text: string, replyTo?: number) {
    const replied =
      replyTo === undefined
        ? undefined
        : this.sent.find((m) => m.peerId === peerId && m.conversationMessageId === replyTo);
    return this.deliver('message_new', {
      message: {
        id: 0,
        date: Math.floor(Date.now() / 1000),
        peer_id: peerId,
        from_id: fromId,
        text,
        conversation_message_id: this.#nextConversationMessageId(peerId),
        attachments: [],
        ...(replied
          ? {
              reply_message: {
                date: Math.floor(Date.now() / 1000),
                from_id: -this.options.groupId,
                text: replied.text,
                peer_id: peerId,
                id: 0,
                conversation_message_id: replied.conversationMessageId,
                attachments: [],
              },
            }
          : {}),
      },
      client_info: {
        button_actions: ['text', 'callback', 'open_link', 'open_app'],
        keyboard: true,
        inline_keyboard: true,
        carousel: true,
        lang_id: 0,
      },
    });
  }

  /** A chat member presses a callback button on a community message in the chat. */
  memberPressesInChat(peerId: number, userId: number, payload: unknown) {
    return this.deliver('message_event', {
      user_id: userId,
      peer_id: peerId,
      event_id: randomUUID().replace(/-/g, '').slice(0, 12),
      payload,
    });
  }

  /** The JSON body VK posts for one callback event: the envelope `deliver` sends, with the secret. */
  callbackBody(type: string, object: unknown, eventId: string): string {
    return JSON.stringify({
      group_id: this.options.groupId,
      type,
      event_id: eventId,
      v: this.options.apiVersion,
      object,
      secret: this.options.callbackSecret,
    });
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
      body: this.callbackBody(type, object, eventId),
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
    if (request.method === 'GET' && url.pathname === '/sandbox/event-answers')
      return send(200, this.eventAnswers);
    if (request.method === 'POST' && url.pathname === '/sandbox/reset') {
      this.reset();
      return send(200, { ok: true });
    }
    if (request.method === 'POST' && url.pathname === '/sandbox/faults') {
      const fault = JSON.parse(body || '{}') as Partial<Fault> & Pick<Fault, 'error'>;
      this.injectFault({ ...fault, times: fault.times ?? 1 });
      return send(200, { ok: true, faults: this.faults });
    }
    const admin = /^\/sandbox\/admins\/(\d+)\/dialogs\/(\d+)$/.exec(url.pathname);
    if (request.method === 'POST' && admin) {
      const input = (body ? JSON.parse(body) : {}) as { text?: string };
      return send(200, await this.adminWrites(Number(admin[1]), Number(admin[2]), input.text ?? ''));
    }
    const chat = /^\/sandbox\/chats\/(\d+)\/(messages|press)$/.exec(url.pathname);
    if (request.method === 'POST' && chat) {
      const input = (body ? JSON.parse(body) : {}) as {
        from?: number;
        text?: string;
        replyTo?: number;
        payload?: unknown;
      };
      const peerId = Number(chat[1]);
      const from = Number(input.from ?? 0);
      return send(
        200,
        chat[2] === 'messages'
          ? await this.memberWritesInChat(peerId, from, input.text ?? '', input.replyTo)
          : await this.memberPressesInChat(peerId, from, input.payload ?? {}),
      );
    }
    const acting = /^\/sandbox\/users\/(\d+)\/(messages|press|join|leave|allow|deny)$/.exec(url.pathname);
    if (request.method === 'POST' && acting) {
      const userId = Number(acting[1]);
      const input = (body ? JSON.parse(body) : {}) as {
        text?: string;
        payload?: unknown;
        conversationMessageId?: number;
        key?: string;
        photos?: number;
        buttonActions?: string[];
        langId?: number;
      };
      const action = acting[2];
      const delivery =
        action === 'messages'
          ? await this.userSendsMessage(userId, input.text ?? '', {
              ...(input.payload === undefined ? {} : { payload: input.payload }),
              ...(input.photos ? { photos: input.photos } : {}),
              ...(input.buttonActions ? { buttonActions: input.buttonActions } : {}),
              ...(input.langId === undefined ? {} : { langId: input.langId }),
            })
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
    const { access_token: tokenParam, ...visible } = params;
    const record = (outcome: string) => {
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

    if (!params.v) return vkError(8, 'Invalid request: v (version) is required');
    const authorization = response.req.headers.authorization ?? '';
    const token = tokenParam || (authorization.startsWith('Bearer ') ? authorization.slice(7) : '');
    if (!token) return vkError(5, 'User authorization failed: no access_token passed.');
    // VK counts a token's requests, whoever sends them; an `execute` is one request however many calls it holds.
    if (this.#overRateLimit(token)) {
      this.rateLimited++;
      return vkError(6, 'Too many requests per second');
    }
    const fault = this.#takeFault(method, 'request');
    if (fault?.error === 'http500') {
      record('http 500');
      response.writeHead(500).end('Internal Server Error');
      return;
    }
    if (fault?.error === 'timeout') {
      record('timeout');
      // Never answers; the client's timeout fires. The connection is closed when the sandbox stops.
      return;
    }
    if (typeof fault?.error === 'number') return vkError(fault.error, faultMessages[fault.error]);

    const answer: Answer =
      method === 'execute' ? await this.#execute(params) : await this.#invoke(method, params);
    if ('transport' in answer) {
      record(answer.transport === 'http500' ? 'http 500' : 'timeout');
      if (answer.transport === 'http500') response.writeHead(500).end('Internal Server Error');
      return;
    }
    if (fault?.error === 'lost_answer' || answer.loseAnswer) {
      // The call took effect, but the client sees a 500 and must retry without doubling it.
      record('error' in answer ? `error ${answer.error}` : (answer.outcome ?? 'ok'));
      response.writeHead(500).end('Internal Server Error');
      return;
    }
    if ('error' in answer) return vkError(answer.error, answer.message);
    record(answer.outcome ?? 'ok');
    response.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        response: answer.response,
        ...(answer.executeErrors?.length ? { execute_errors: answer.executeErrors } : {}),
      }),
    );
  }

  /**
   * `execute`: the calls of `return [API.<method>({…}), …];` run one by one exactly as direct calls
   * (same checks, dedup, effects, per-method faults), each recorded in `calls` with `via: 'execute'`.
   * A failed call is `false` in the answer and an entry in `execute_errors`, in order. Code outside
   * that form is VK's 12; a 26th call is VK's 13, after the first 25 took effect. A fault injected
   * for an inner call's method hits that call: a code fails it alone, `lost_answer` loses the whole
   * answer, `http500` and `timeout` end the request there (the calls before it took effect).
   */
  async #execute(params: Record<string, string>): Promise<Answer> {
    if (params.code === undefined)
      return {
        error: 100,
        message: 'One of the parameters specified was missing or invalid: code is undefined',
      };
    const script = parseExecuteCode(params.code);
    if ('compileError' in script) return { error: 12, message: script.compileError };
    const results: unknown[] = [];
    const executeErrors: ExecuteErrorEntry[] = [];
    let loseAnswer = false;
    for (const [index, call] of script.calls.entries()) {
      if (index >= MAX_EXECUTE_CALLS)
        return {
          error: 13,
          message: `Runtime error occurred during code invocation: Too many API calls (more than ${MAX_EXECUTE_CALLS})`,
          loseAnswer,
        };
      const fault = this.#takeFault(call.method, 'call');
      if (fault?.error === 'http500' || fault?.error === 'timeout') return { transport: fault.error };
      if (fault?.error === 'lost_answer') loseAnswer = true;
      const form = formParams(call.args);
      const answer: MethodAnswer =
        typeof fault?.error === 'number'
          ? { error: fault.error, message: faultMessages[fault.error] }
          : 'invalid' in form
            ? {
                error: 100,
                message: `One of the parameters specified was missing or invalid: ${form.invalid} is an object`,
              }
            : await this.#invoke(call.method, form);
      this.calls.push({
        method: call.method,
        params: 'invalid' in form ? {} : form,
        at: Date.now(),
        outcome: 'error' in answer ? `error ${answer.error}` : (answer.outcome ?? 'ok'),
        via: 'execute',
      });
      if ('error' in answer) {
        results.push(false);
        executeErrors.push({ method: call.method, error_code: answer.error, error_msg: answer.message });
      } else {
        results.push(answer.response);
      }
    }
    return { response: results, executeErrors, loseAnswer };
  }

  /** One API method, called directly or from `execute`: VK's checks, effects and answer. */
  async #invoke(method: string, params: Record<string, string>): Promise<MethodAnswer> {
    const fail = (code: number, message: string): MethodAnswer => ({ error: code, message });
    const ok = (value: unknown, outcome = 'ok'): MethodAnswer => ({ response: value, outcome });

    switch (method) {
      case 'messages.send': {
        const peerId = Number(params.peer_id ?? params.user_id);
        const randomId = Number(params.random_id ?? 0);
        if (!peerId) return fail(100, 'One of the parameters specified was missing or invalid: peer_id');
        if ((params.message ?? '').length > 9000) return fail(914, 'Message is too long');
        if (!params.message && !params.attachment)
          return fail(100, 'One of the parameters specified was missing or invalid: message is empty');
        const dedupKey = `${peerId}:${randomId}`;
        if (randomId !== 0 && this.#randomIds.has(dedupKey))
          return ok(this.#randomIds.get(dedupKey), 'duplicate');
        if (peerId < 2_000_000_000 && peerId > 0 && !this.allowed.has(peerId))
          return fail(901, "Can't send messages for users without permission");
        if (params.keyboard) {
          const problem = keyboardProblem(params.keyboard);
          if (problem) return fail(911, `Keyboard format is invalid: ${problem}`);
        }
        const message = this.#record(
          peerId,
          params.message ?? '',
          params.keyboard ? JSON.parse(params.keyboard) : null,
          randomId,
        );
        if (randomId !== 0) this.#randomIds.set(dedupKey, message.messageId);
        this.options.log?.(`sandbox ← messages.send to ${peerId}: ${message.text.slice(0, 200)}`);
        if (peerId < 2_000_000_000 && this.options.echoReplies) this.#echo(message);
        return ok(message.messageId);
      }
      case 'messages.edit': {
        const target = this.sent.find(
          (message) =>
            message.peerId === Number(params.peer_id) &&
            message.conversationMessageId === Number(params.conversation_message_id),
        );
        if (!target)
          return fail(100, 'One of the parameters specified was missing or invalid: message not found');
        target.text = params.message ?? target.text;
        target.keyboard = params.keyboard ? JSON.parse(params.keyboard) : target.keyboard;
        return ok(1);
      }
      case 'messages.sendMessageEventAnswer': {
        if (!params.event_id || !params.user_id || !params.peer_id)
          return fail(
            100,
            'One of the parameters specified was missing or invalid: event_id, user_id, peer_id',
          );
        const eventData = params.event_data ? JSON.parse(params.event_data) : null;
        if (eventData?.type === 'show_snackbar' && String(eventData.text ?? '').length > 90)
          return fail(100, 'event_data: snackbar text is longer than 90 characters');
        this.eventAnswers.push({
          eventId: params.event_id,
          userId: Number(params.user_id),
          peerId: Number(params.peer_id),
          eventData,
        });
        return ok(1);
      }
      case 'messages.isMessagesFromGroupAllowed':
        return ok({ is_allowed: this.allowed.has(Number(params.user_id)) ? 1 : 0 });
      case 'messages.getConversationMembers': {
        const members = this.options.chatMembers[Number(params.peer_id)];
        if (!members) return fail(917, "You don't have access to this chat");
        return ok({
          count: members.length,
          items: members.map((memberId) => ({
            member_id: memberId,
            invited_by: memberId,
            join_date: 1_700_000_000,
          })),
          profiles: members.map((id) => ({ id, first_name: `User${id}`, last_name: 'Sandbox' })),
        });
      }
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
        if (userIds.length < 1 || userIds.length > 100) return fail(100, 'user_ids: from 1 to 100 users');
        const text = params.message ?? '';
        if (!text) return fail(100, 'One of the parameters specified was missing or invalid: message');
        if (text.length > 254) return fail(100, 'message is too long');
        if ((params.fragment ?? '').length > 2047) return fail(100, 'fragment is too long');
        // VK drops a repeated random_id within the hour and answers as the first time.
        const dedupKey = `notify:${params.random_id ?? ''}`;
        if (params.random_id && this.#notificationAnswers.has(dedupKey))
          return ok(this.#notificationAnswers.get(dedupKey), 'duplicate');
        const now = this.options.now?.() ?? Date.now();
        const reached: number[] = [];
        const answer = userIds.map((userId) => {
          const code = this.#notificationRefusal(userId, text, now);
          if (code !== null)
            return { user_id: userId, status: false, error: { code, description: refusals[code] } };
          reached.push(userId);
          this.#delivered.set(userId, [...(this.#delivered.get(userId) ?? []), { at: now, text }]);
          return { user_id: userId, status: true };
        });
        if (params.random_id) this.#notificationAnswers.set(dedupKey, answer);
        this.notifications.push({
          userIds: reached,
          text,
          ...(params.fragment ? { fragment: params.fragment } : {}),
        });
        return ok(answer);
      }
      case 'groups.getCallbackConfirmationCode':
      case 'groups.getCallbackServers':
      case 'groups.addCallbackServer':
      case 'groups.editCallbackServer':
      case 'groups.setCallbackSettings':
      case 'groups.getCallbackSettings': {
        if (Number(params.group_id) !== this.options.groupId)
          return fail(15, 'Access denied: no access to this group');
        const answer = await this.#callbackServerMethod(method, params);
        return 'error' in answer ? answer : ok(answer.response);
      }
      default:
        return fail(3, 'Unknown method passed');
    }
  }

  /**
   * Callback API servers as VK keeps them: at most 10 per community, title ≤ 14 characters, secret
   * ≤ 50; adding or editing one sends it a `confirmation` event and the server is `ok` only if it
   * answers with the confirmation code, else `failed`.
   */
  async #callbackServerMethod(
    method: string,
    params: Record<string, string>,
  ): Promise<{ response: unknown } | { error: number; message: string }> {
    const invalid = (message: string) => ({
      error: 100,
      message: `One of the parameters specified was missing or invalid: ${message}`,
    });
    const server = this.callbackServers.find((candidate) => candidate.id === Number(params.server_id));
    switch (method) {
      case 'groups.getCallbackConfirmationCode':
        return { response: { code: this.options.confirmationCode } };
      case 'groups.getCallbackServers':
        return { response: { count: this.callbackServers.length, items: this.callbackServers } };
      case 'groups.addCallbackServer':
      case 'groups.editCallbackServer': {
        if (method === 'groups.editCallbackServer' && !server) return invalid('server_id');
        if (!params.url || !/^https?:\/\//.test(params.url)) return invalid('url');
        if (!params.title || params.title.length > 14) return invalid('title is longer than 14 characters');
        if ((params.secret_key ?? '').length > 50) return invalid('secret_key is longer than 50 characters');
        if (!server && this.callbackServers.length >= 10)
          return { error: 2000, message: 'Servers number limit is reached' };
        const target = server ?? {
          id: this.callbackServers.length + 1,
          creator_id: 1,
          title: '',
          url: '',
          secret_key: '',
          status: 'wait',
        };
        Object.assign(target, {
          title: params.title,
          url: params.url,
          secret_key: params.secret_key ?? '',
          status: 'wait',
        });
        if (!server) this.callbackServers.push(target);
        target.status = (await this.#confirms(target.url, target.secret_key)) ? 'ok' : 'failed';
        return { response: server ? 1 : { server_id: target.id } };
      }
      case 'groups.setCallbackSettings': {
        if (!server) return invalid('server_id');
        const settings = this.callbackSettings.get(server.id) ?? {
          api_version: this.options.apiVersion,
          events: {},
        };
        for (const [name, value] of Object.entries(params)) {
          if (name === 'api_version') settings.api_version = value;
          else if (!['group_id', 'server_id', 'v', 'access_token'].includes(name))
            settings.events[name] = value === '1';
        }
        this.callbackSettings.set(server.id, settings);
        return { response: 1 };
      }
      default: {
        if (!server) return invalid('server_id');
        return {
          response: this.callbackSettings.get(server.id) ?? {
            api_version: this.options.apiVersion,
            events: {},
          },
        };
      }
    }
  }

  async #confirms(url: string, secret: string): Promise<boolean> {
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          type: 'confirmation',
          group_id: this.options.groupId,
          ...(secret ? { secret } : {}),
        }),
        signal: AbortSignal.timeout(5000),
      });
      return response.ok && (await response.text()) === this.options.confirmationCode;
    } catch {
      return false;
    }
  }

  #record(peerId: number, text: string, keyboard: unknown, randomId: number): SentMessage {
    const message: SentMessage = {
      messageId: this.#nextMessageId++,
      peerId,
      text,
      keyboard,
      randomId,
      conversationMessageId: this.#nextConversationMessageId(peerId),
    };
    this.sent.push(message);
    return message;
  }

  #messageObject(message: SentMessage) {
    return {
      id: message.messageId,
      date: Math.floor(Date.now() / 1000),
      peer_id: message.peerId,
      from_id: -this.options.groupId,
      out: 1,
      text: message.text,
      conversation_message_id: message.conversationMessageId,
      attachments: [],
      random_id: message.randomId,
    };
  }

  /** VK reports what the community sent back to its callback server as `message_reply`. */
  #echo(message: SentMessage): void {
    if (!this.options.callbackUrl) return;
    const delivery = this.deliver('message_reply', this.#messageObject(message)).catch(() => undefined);
    this.#echoes.add(delivery);
    void delivery.finally(() => this.#echoes.delete(delivery));
  }

  /** VK's per-user refusals of a notification: codes 1–4, and (undocumented code 0) a repeated text. */
  #notificationRefusal(userId: number, text: string, now: number): number | null {
    if (this.appNotInstalled.has(userId)) return 4;
    if (this.notificationsOff.has(userId)) return 1;
    const history = this.#delivered.get(userId) ?? [];
    if (history.some((entry) => now - entry.at < 3_600_000)) return 2;
    if (history.filter((entry) => now - entry.at < 86_400_000).length >= 3) return 3;
    if (history[history.length - 1]?.text === text) return 0;
    return null;
  }

  /** VK's per-second limit per token, as a sliding window over the last second's requests. */
  #overRateLimit(token: string): boolean {
    const limit = this.options.rateLimitPerSecond;
    if (!limit) return false;
    const now = Date.now();
    const recent = this.#recentCalls.get(token) ?? [];
    this.#recentCalls.set(token, recent);
    while (recent.length > 0 && now - recent[0]! >= 1000) recent.shift();
    if (recent.length >= limit) return true;
    recent.push(now);
    return false;
  }

  /**
   * The fault to play for a request (`request`: a fault for its method or for any method) or for one
   * call inside `execute` (`call`: only a fault naming that call's method). Random faults likewise.
   */
  #takeFault(method: string, scope: 'request' | 'call'): Fault | undefined {
    const applies = (faultMethod?: string) =>
      faultMethod === method || (scope === 'request' && faultMethod === undefined);
    const random = this.options.randomFaults;
    if (random && applies(random.method) && (random.random ?? Math.random)() < random.rate) {
      return {
        error: random.errors[Math.floor((random.random ?? Math.random)() * random.errors.length)]!,
        times: 1,
      };
    }
    const fault = this.faults.find((candidate) => candidate.times > 0 && applies(candidate.method));
    if (fault) fault.times--;
    return fault;
  }

  #nextConversationMessageId(peerId: number): number {
    const next = (this.#conversationMessageIds.get(peerId) ?? 0) + 1;
    this.#conversationMessageIds.set(peerId, next);
    return next;
  }
}

/** VK's keyboard rules (dev.vk.com/ru/api/bots/development/keyboard); null when the keyboard is fine. */
export function keyboardProblem(raw: string): string | null {
  let keyboard: { inline?: boolean; buttons?: unknown };
  try {
    keyboard = JSON.parse(raw);
  } catch {
    return 'not JSON';
  }
  if (!Array.isArray(keyboard.buttons)) return 'buttons must be an array';
  const rows = keyboard.buttons as Array<
    Array<{ action?: { type?: string; label?: string; payload?: string }; color?: string }>
  >;
  const limits = keyboard.inline ? { rows: 6, total: 10 } : { rows: 10, total: 40 };
  if (rows.length > limits.rows) return `more than ${limits.rows} rows`;
  if (rows.flat().length > limits.total) return `more than ${limits.total} buttons`;
  for (const row of rows) {
    if (!Array.isArray(row) || row.length > 5) return 'a row holds 1 to 5 buttons';
    for (const button of row) {
      const action = button.action;
      if (!action?.type) return 'a button needs an action type';
      if ((action.type === 'text' || action.type === 'callback') && [...(action.label ?? '')].length > 40)
        return 'label longer than 40';
      if (action.payload !== undefined && action.payload.length > 255) return 'payload longer than 255';
      if (button.color && !['primary', 'secondary', 'positive', 'negative'].includes(button.color))
        return 'unknown color';
    }
  }
  return null;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}
