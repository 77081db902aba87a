import { type Clock, sleep, systemClock } from '../clock';
import type { Logger } from '../log/logger';
import { isRetryableVkError, VkTransportError, vkApiError } from './errors';
import { randomIdFor } from './random-id';
import { type RateGate, TokenBucket } from './rate-limiter';

export type VkParamValue = string | number | boolean | undefined | null;

export interface VkClientOptions {
  apiUrl: string;
  version: string;
  token: string;
  /** Requests per second for this token (20 for a community token). */
  rateLimitPerSecond: number;
  timeoutMs: number;
  /** Attempts per call, the first included. */
  maxAttempts?: number;
  /** First backoff step; doubles each retry, with jitter, up to `maxBackoffMs`. */
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  clock?: Clock;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  logger?: Logger;
  /** Share one bucket between clients of the same token, or pace calls across processes. */
  bucket?: RateGate;
  /** The HTTP client (the bench wraps it to time VK's share of a request). */
  fetch?: typeof fetch;
}

/** The connection part of the client's options, from the `vkApi` config section. */
export function vkApiOptions(vkApi: {
  VK_API_URL: string;
  VK_API_VERSION: string;
  VK_API_TIMEOUT_MS: number;
}) {
  return { apiUrl: vkApi.VK_API_URL, version: vkApi.VK_API_VERSION, timeoutMs: vkApi.VK_API_TIMEOUT_MS };
}

export interface CallOptions {
  signal?: AbortSignal;
  /** The caller already took this token's turn (`takeTurn`): the first attempt uses it. */
  turnTaken?: boolean;
}

/** One message the community sends to one peer; `messageKey` is its idempotency key. */
export interface OutgoingMessage {
  peerId: number;
  /** Identifies this outgoing message (e.g. `reply:<event_id>:<step>`): it becomes `random_id`. */
  messageKey: string;
  text: string;
  keyboard?: object;
  attachment?: string;
  disableMentions?: boolean;
}

/** A failed API call inside `execute`, as VK lists it in `execute_errors`. */
export interface VkExecuteError {
  method: string;
  error_code: number;
  error_msg: string;
}

/** What `messages.send` answers: the message id (or, with `peer_ids`, one entry per peer). */
export type MessagesSendResult = number | Array<{ message_id: number }>;

/** `messages.send`'s parameters for one message, `random_id` derived from its key (direct or in `execute`). */
export function messagesSendParams(message: OutgoingMessage): Record<string, VkParamValue> {
  return {
    peer_id: message.peerId,
    random_id: randomIdFor(message.messageKey),
    message: message.text,
    keyboard: message.keyboard ? JSON.stringify(message.keyboard) : undefined,
    attachment: message.attachment,
    disable_mentions: message.disableMentions,
  };
}

/** The sent message's id from `messages.send`'s answer. */
export function sentMessageId(result: MessagesSendResult): number {
  return typeof result === 'number' ? result : (result[0]?.message_id ?? 0);
}

/**
 * The VK API over HTTPS: form-encoded POST, `v` pinned, errors mapped to typed errors by code,
 * retries with backoff for 6, 10, 5xx and timeouts (never for 9 or 900–902), and a token bucket
 * per token. Sends derive `random_id` from the outgoing message's key.
 */
export class VkClient {
  readonly #options: Required<Omit<VkClientOptions, 'logger' | 'bucket' | 'fetch'>> & { logger?: Logger };
  readonly #fetch: typeof fetch;
  readonly #bucket: RateGate;

  constructor(options: VkClientOptions) {
    this.#options = {
      maxAttempts: 4,
      baseBackoffMs: 200,
      maxBackoffMs: 3000,
      clock: systemClock,
      sleep,
      ...options,
    };
    this.#fetch = options.fetch ?? fetch;
    this.#bucket =
      options.bucket ??
      new TokenBucket(options.rateLimitPerSecond, { clock: this.#options.clock, sleep: this.#options.sleep });
  }

  /** One API method with retries. Resolves with `response`, throws a `VkApiError` or `VkTransportError`. */
  async call<T>(method: string, params: Record<string, VkParamValue>, options: CallOptions = {}): Promise<T> {
    let turnTaken = options.turnTaken === true;
    const payload = await this.#withRetries(
      method,
      () => {
        const skipGate = turnTaken;
        turnTaken = false; // a retry waits for a turn of its own
        return this.#callOnce<T>(method, params, options.signal, skipGate);
      },
      options,
    );
    return payload.response;
  }

  /**
   * `execute` with retries, as one request: resolves with VK's `response` (the script's value; a failed
   * API call inside it is `false` there) and `execute_errors` (one entry per failed call, in order). A
   * retried request repeats the very same code, so calls keyed by `random_id` are never doubled.
   */
  async execute<T>(
    code: string,
    options: CallOptions = {},
  ): Promise<{ response: T; executeErrors: VkExecuteError[] }> {
    let turnTaken = options.turnTaken === true;
    const payload = await this.#withRetries(
      'execute',
      () => {
        const skipGate = turnTaken;
        turnTaken = false; // a retry waits for a turn of its own
        return this.#callOnce<T>('execute', { code }, options.signal, skipGate);
      },
      options,
    );
    return { response: payload.response, executeErrors: payload.executeErrors };
  }

  /**
   * Waits for this token's next turn at the rate gate, for a request the caller makes right after
   * with `turnTaken` (the `ExecuteBatcher` fills its batch only once it may send, so the batch holds
   * everything that piled up meanwhile).
   */
  async takeTurn(signal?: AbortSignal): Promise<void> {
    await this.#bucket.take(signal);
  }

  async #withRetries<R>(method: string, attempt: () => Promise<R>, options: CallOptions): Promise<R> {
    const { maxAttempts, baseBackoffMs, maxBackoffMs } = this.#options;
    for (let attemptNumber = 1; ; attemptNumber++) {
      try {
        return await attempt();
      } catch (error) {
        if (!isRetryableVkError(error) || attemptNumber >= maxAttempts || options.signal?.aborted)
          throw error;
        const backoff = Math.min(maxBackoffMs, baseBackoffMs * 2 ** (attemptNumber - 1));
        const delay = Math.round(backoff / 2 + Math.random() * (backoff / 2));
        this.#options.logger?.warn('vk call retried', {
          method,
          attempt: attemptNumber,
          delayMs: delay,
          error: errorCode(error),
        });
        await this.#options.sleep(delay, options.signal);
      }
    }
  }

  async #callOnce<T>(
    method: string,
    params: Record<string, VkParamValue>,
    signal?: AbortSignal,
    skipGate = false,
  ): Promise<{ response: T; executeErrors: VkExecuteError[] }> {
    if (!skipGate) await this.#bucket.take(signal);
    const form = new URLSearchParams();
    for (const [key, value] of Object.entries(params)) {
      if (value !== undefined && value !== null)
        form.set(key, typeof value === 'boolean' ? (value ? '1' : '0') : String(value));
    }
    form.set('v', this.#options.version);
    const timeout = AbortSignal.timeout(this.#options.timeoutMs);
    let response: Response;
    try {
      response = await this.#fetch(`${this.#options.apiUrl}/${method}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Bearer ${this.#options.token}`,
        },
        body: form,
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (error) {
      if (signal?.aborted) throw error;
      throw new VkTransportError(method, timeout.aborted ? 'timed out' : 'network failure', { cause: error });
    }
    if (response.status >= 500) {
      await response.body?.cancel();
      throw new VkTransportError(method, `HTTP ${response.status}`);
    }
    let payload: {
      response?: T;
      error?: { error_code?: number; error_msg?: string };
      execute_errors?: VkExecuteError[];
    };
    try {
      payload = (await response.json()) as typeof payload;
    } catch (error) {
      throw new VkTransportError(method, `unreadable answer (HTTP ${response.status})`, { cause: error });
    }
    if (payload.error) {
      throw vkApiError(
        method,
        Number(payload.error.error_code ?? 0),
        String(payload.error.error_msg ?? 'unknown'),
      );
    }
    if (!('response' in payload)) throw new VkTransportError(method, 'answer without response');
    return { response: payload.response as T, executeErrors: payload.execute_errors ?? [] };
  }

  /** `messages.send` to one peer. `messageKey` identifies this outgoing message: it becomes `random_id`. */
  async sendMessage(message: OutgoingMessage, options?: CallOptions): Promise<number> {
    return sentMessageId(
      await this.call<MessagesSendResult>('messages.send', messagesSendParams(message), options),
    );
  }

  /**
   * `messages.edit` of a message the community sent, by its conversation message id: `cmid`, as VK's
   * schema (5.199) names the parameter.
   */
  async editMessage(
    edit: { peerId: number; conversationMessageId: number; text: string; keyboard?: object },
    options?: CallOptions,
  ): Promise<void> {
    await this.call<number>(
      'messages.edit',
      {
        peer_id: edit.peerId,
        cmid: edit.conversationMessageId,
        message: edit.text,
        keyboard: edit.keyboard ? JSON.stringify(edit.keyboard) : undefined,
      },
      options,
    );
  }

  /** Answers a callback-button press (valid about a minute after the press), with a snackbar if given. */
  async answerMessageEvent(
    answer: { eventId: string; userId: number; peerId: number; snackbarText?: string },
    options?: CallOptions,
  ): Promise<void> {
    await this.call<number>(
      'messages.sendMessageEventAnswer',
      {
        event_id: answer.eventId,
        user_id: answer.userId,
        peer_id: answer.peerId,
        // Without event_data the press is just acknowledged (the button stops spinning).
        event_data:
          answer.snackbarText === undefined
            ? undefined
            : JSON.stringify({ type: 'show_snackbar', text: answer.snackbarText.slice(0, 90) }),
      },
      options,
    );
  }

  async isMessagesFromGroupAllowed(groupId: number, userId: number, options?: CallOptions): Promise<boolean> {
    const result = await this.call<{ is_allowed: number }>(
      'messages.isMessagesFromGroupAllowed',
      { group_id: groupId, user_id: userId },
      options,
    );
    return result.is_allowed === 1;
  }

  async getUsers(
    userIds: readonly number[],
    language?: 'ru' | 'en',
    options?: CallOptions,
  ): Promise<Array<{ id: number; first_name: string; last_name: string }>> {
    return this.call('users.get', { user_ids: userIds.join(','), lang: language }, options);
  }

  /** Member ids of a chat the community is in (it must be an admin there). */
  async getConversationMemberIds(peerId: number, options?: CallOptions): Promise<number[]> {
    const result = await this.call<{ items: Array<{ member_id: number }> }>(
      'messages.getConversationMembers',
      { peer_id: peerId },
      options,
    );
    return result.items.map((item) => item.member_id);
  }

  /**
   * `notifications.sendMessage` with the mini app's service token: up to 100 users, one text.
   * Returns VK's per-user results (status, and error code 1–4 where it failed).
   */
  async sendNotification(
    notification: { userIds: readonly number[]; text: string; fragment?: string; sendKey: string },
    options?: CallOptions,
  ): Promise<Array<{ user_id: number; status: boolean; error?: { code: number; description?: string } }>> {
    if (notification.userIds.length < 1 || notification.userIds.length > 100) {
      throw new RangeError('notifications.sendMessage takes 1 to 100 users');
    }
    return this.call(
      'notifications.sendMessage',
      {
        user_ids: notification.userIds.join(','),
        message: notification.text,
        fragment: notification.fragment,
        random_id: randomIdFor(notification.sendKey),
      },
      options,
    );
  }
}

function errorCode(error: unknown): string {
  return error instanceof Error && 'code' in error ? String(error.code) : 'unknown';
}
