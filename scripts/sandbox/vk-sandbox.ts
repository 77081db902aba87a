import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { invokeMethod } from './api-methods';
import { chatMessageEvent, communityMessage, pressEventId, userMessageEvent } from './callback-events';
import { type Fault, takeFault } from './faults';
import { route, type SandboxControls } from './http-routes';
import type { ApiSteps, MethodContext } from './method-context';
import { PerTokenRateLimit } from './rate-limit';
import type {
  CallbackDelivery,
  CallbackServer,
  CallbackSettings,
  EventAnswer,
  NotificationRecord,
  RecordedCall,
  ResolvedSandboxOptions,
  SandboxOptions,
  SandboxState,
  SentMessage,
  UserMessageOptions,
} from './types';

export type { Fault } from './faults';
export { keyboardProblem } from './keyboard';
export type { CallbackDelivery, RecordedCall, SandboxOptions, SentMessage } from './types';

/**
 * The VK sandbox: an HTTP server of ours that answers the VK API methods the product calls, in VK's
 * formats, and plays VK's side of the Callback API. Used by tests and by `npm start`; never bundled.
 *
 * - `POST /method/<name>` (form-encoded, like api.vk.com; `api-request.ts`): records every call, drops
 *   a repeated `random_id` per peer (VK's dedup), enforces a requests-per-second limit per access
 *   token with error 6 (`rate-limit.ts`), and fails on demand with 6, 9, 10, 901, HTTP 5xx or a
 *   timeout (`faults.ts`). The methods are in `api-methods.ts`, `notifications.ts` and
 *   `callback-servers.ts`; keyboards are checked as VK does (`keyboard.ts`).
 * - `execute` with `code` = `return [API.<method>({JSON}), …];` (what the product sends; anything else
 *   is error 12, a 26th call error 13; `execute.ts`, `vkscript.ts`): each call runs as a direct call
 *   would, and the answer is `{response: [result or false, …], execute_errors: [{method, error_code,
 *   error_msg}, …]}`. The request counts once against the rate limit.
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
 * - `messages.edit` changes a sent message in place (by `cmid`, its conversation_message_id), as the
 *   user sees it.
 * - `notifications.sendMessage` answers per user as VK does: code 1 for users in `notificationsOff`,
 *   4 for `appNotInstalled`, 2 within an hour of the user's last notification, 3 past three a day,
 *   and a failure for the same text twice in a row; a repeated `random_id` is answered as the first
 *   call was, without delivering again. `randomFaults` fails a share of calls at random.
 * - `GET /sandbox/sent` (what the community sent), `GET /sandbox/event-answers` (snackbars),
 *   `GET /sandbox/calls`, `POST /sandbox/faults`, `POST /sandbox/reset` (`http-routes.ts`).
 */
export class VkSandbox implements SandboxControls, SandboxState {
  readonly options: ResolvedSandboxOptions;
  /** Users who turned the app's notifications off (VK answers them with code 1). */
  readonly notificationsOff = new Set<number>();
  /** Users who don't have the app (code 4). */
  readonly appNotInstalled = new Set<number>();
  /** Users who wrote to the community or allowed its messages: VK lets it write only to them. */
  readonly allowed = new Set<number>();
  readonly eventAnswers: EventAnswer[] = [];
  readonly calls: RecordedCall[] = [];
  readonly sent: SentMessage[] = [];
  /** Accepted calls (a duplicate `random_id` is not one); `userIds` are the users it reached. */
  readonly notifications: NotificationRecord[] = [];
  readonly deliveries: CallbackDelivery[] = [];
  readonly faults: Fault[] = [];
  /** Calls refused with error 6 by the per-second limit (not by an injected fault). */
  rateLimited = 0;
  /**
   * Requests played as timeouts whose clients still wait: a test that waits for the stack's VK calls
   * to end (`LocalStack.busy`) leaves these to the client's own timeout.
   */
  unanswered = 0;
  /** The community's Callback API servers and their settings (`groups.*CallbackServer*`). */
  readonly callbackServers: CallbackServer[] = [];
  readonly callbackSettings = new Map<number, CallbackSettings>();
  #server: Server | undefined;
  #nextMessageId = 1;
  readonly #conversationMessageIds = new Map<number, number>();
  readonly #echoes = new Set<Promise<unknown>>();
  readonly #rateLimit = new PerTokenRateLimit();
  /** What the API methods see and change of this sandbox. */
  readonly #methods: MethodContext;
  /** The steps of an API request, wired to this sandbox. */
  readonly #api: ApiSteps;

  constructor(options: SandboxOptions) {
    this.options = {
      rateLimitPerSecond: 0,
      apiVersion: '5.199',
      chatMembers: {},
      echoReplies: true,
      confirmationCode: 'sandbox-confirmation',
      ...options,
    };
    this.#methods = {
      options: this.options,
      allowed: this.allowed,
      sent: this.sent,
      eventAnswers: this.eventAnswers,
      notifications: this.notifications,
      notificationsOff: this.notificationsOff,
      appNotInstalled: this.appNotInstalled,
      callbackServers: this.callbackServers,
      callbackSettings: this.callbackSettings,
      randomIds: new Map(),
      delivered: new Map(),
      notificationAnswers: new Map(),
      record: (peerId, text, keyboard, randomId) => this.#record(peerId, text, keyboard, randomId),
      echo: (message) => this.#echo(message),
    };
    this.#api = {
      calls: this.calls,
      refusedByRateLimit: (token) => {
        if (!this.#rateLimit.refuses(token, this.options.rateLimitPerSecond)) return false;
        this.rateLimited++;
        return true;
      },
      takeFault: (method, scope) => takeFault(this.faults, this.options.randomFaults, method, scope),
      invoke: (method, params) => invokeMethod(method, params, this.#methods),
      leaveUnanswered: (response) => {
        this.unanswered++;
        response.once('close', () => this.unanswered--);
      },
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
      route(request, response, this, this.#api).catch((error: unknown) => {
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
    this.#methods.randomIds.clear();
    this.#methods.delivered.clear();
    this.#methods.notificationAnswers.clear();
  }

  injectFault(fault: Fault): void {
    this.faults.push({ ...fault });
  }

  // ---- playing a VK user: real Callback API events ----

  async userSendsMessage(userId: number, text: string, options: UserMessageOptions = {}) {
    return this.deliver('message_new', this.userMessageObject(userId, text, options));
  }

  /**
   * The `object` of the `message_new` event VK sends for a user's message (the user now allows the
   * community's answers), without delivering it: `userSendsMessage` posts it, a bench may post it itself.
   */
  userMessageObject(userId: number, text: string, options: UserMessageOptions = {}) {
    const messageId = this.#nextMessageId++;
    this.allowed.add(userId);
    return userMessageEvent({
      messageId,
      userId,
      text,
      conversationMessageId: this.#nextConversationMessageId(userId),
      options,
    });
  }

  async userPressesButton(userId: number, payload: unknown, conversationMessageId?: number) {
    return this.deliver('message_event', {
      user_id: userId,
      peer_id: userId,
      event_id: pressEventId(),
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
      ...communityMessage(message, this.options.groupId),
      admin_author_id: adminId,
    });
  }

  /** A member writes in a group chat, optionally replying to a message there by conversation_message_id. */
  memberWritesInChat(peerId: number, fromId: number, text: string, replyTo?: number) {
    const replied =
      replyTo === undefined
        ? undefined
        : this.sent.find((m) => m.peerId === peerId && m.conversationMessageId === replyTo);
    return this.deliver(
      'message_new',
      chatMessageEvent({
        peerId,
        fromId,
        text,
        conversationMessageId: this.#nextConversationMessageId(peerId),
        groupId: this.options.groupId,
        replied,
      }),
    );
  }

  /**
   * A member leaves a group chat (`byId` absent) or is removed from it by `byId`: VK drops them from
   * the chat's members and posts the chat's service message, `action.type` `chat_kick_user`.
   */
  memberLeavesChat(peerId: number, memberId: number, byId: number = memberId) {
    const members = this.options.chatMembers[peerId];
    if (members) this.options.chatMembers[peerId] = members.filter((id) => id !== memberId);
    return this.#chatAction(peerId, byId, { type: 'chat_kick_user', member_id: memberId });
  }

  /** `byId` adds a member to a group chat: `chat_invite_user`. */
  memberJoinsChat(peerId: number, memberId: number, byId: number) {
    const members = this.options.chatMembers[peerId] ?? [];
    if (!members.includes(memberId)) this.options.chatMembers[peerId] = [...members, memberId];
    return this.#chatAction(peerId, byId, { type: 'chat_invite_user', member_id: memberId });
  }

  #chatAction(peerId: number, fromId: number, action: { type: string; member_id: number }) {
    return this.deliver(
      'message_new',
      chatMessageEvent({
        peerId,
        fromId,
        text: '',
        conversationMessageId: this.#nextConversationMessageId(peerId),
        groupId: this.options.groupId,
        replied: undefined,
        action,
      }),
    );
  }

  /** A chat member presses a callback button on a community message in the chat. */
  memberPressesInChat(peerId: number, userId: number, payload: unknown) {
    return this.deliver('message_event', {
      user_id: userId,
      peer_id: peerId,
      event_id: pressEventId(),
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

  // ---- what the community sent ----

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

  /** VK reports what the community sent back to its callback server as `message_reply`. */
  #echo(message: SentMessage): void {
    if (!this.options.callbackUrl) return;
    const delivery = this.deliver('message_reply', communityMessage(message, this.options.groupId)).catch(
      () => undefined,
    );
    this.#echoes.add(delivery);
    void delivery.finally(() => this.#echoes.delete(delivery));
  }

  #nextConversationMessageId(peerId: number): number {
    const next = (this.#conversationMessageIds.get(peerId) ?? 0) + 1;
    this.#conversationMessageIds.set(peerId, next);
    return next;
  }
}
