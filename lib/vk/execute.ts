import { sleep as defaultSleep } from '../clock';
import type { Logger } from '../log/logger';
import {
  type CallOptions,
  type MessagesSendResult,
  messagesSendParams,
  type OutgoingMessage,
  sentMessageId,
  type VkClient,
  type VkExecuteError,
  type VkParamValue,
} from './client';
import { isRetryableVkError, vkApiError } from './errors';

/** What the batcher needs of the client: `execute`, and a turn at the rate gate when it has one. */
export type BatcherClient = Pick<VkClient, 'execute'> & Partial<Pick<VkClient, 'takeTurn'>>;

/** How long an observed turn at the gate still says something about the next one. */
const RECENT_TURN_MS = 2000;

/** VK runs at most 25 API calls in one `execute` (dev.vk.com/ru/execute). */
export const MAX_CALLS_PER_EXECUTE = 25;

export interface ExecuteBatcherOptions {
  /**
   * How long the oldest pending message waits for others, in ms. 0 (the default): until the event
   * loop's current turn ends (`setImmediate`), so sends started together go together.
   */
  windowMs?: number;
  /** Calls per `execute`, 1 to 25 (default 25): a batch goes out as soon as it is full. */
  maxCalls?: number;
  /**
   * Budget for one request's code, in UTF-8 bytes (default 64 KiB). VK documents no limit on the
   * code's size, only the 25 calls; this keeps a request's body bounded when texts are long. A call
   * larger than the budget on its own still goes, alone.
   */
  maxCodeBytes?: number;
  /**
   * Attempts for a message whose call failed inside `execute` with a retryable error (6, 10), the
   * first included (default 4, as `VkClient`). It rejoins a later batch with the same `random_id`.
   */
  maxAttempts?: number;
  /** First backoff step before such a retry; doubles each time, with jitter, up to 3 s. */
  baseBackoffMs?: number;
  /**
   * The token's pace, ms between requests (default 50: VK's 20 a second): the least one turn at the
   * gate takes in `estimatedWaitMs` when a backlog waits.
   */
  turnIntervalMs?: number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  logger?: Logger;
}

interface PendingCall {
  /** `API.messages.send({…})`. */
  code: string;
  bytes: number;
  attempt: number;
  signal?: AbortSignal;
  resolve(messageId: number): void;
  reject(error: unknown): void;
}

/**
 * Sends `messages.send` calls up to 25 per `execute` request, as vk-io does, instead of one request
 * each: VK counts an `execute` as one request against the token's rate limit.
 *
 * After the window (by default the end of the event loop's turn) a pump waits for the token's turn at
 * the client's rate gate and only then takes the batch: at VK's limit everything that piled up while
 * the gate was busy leaves together, 25 a request, instead of many small requests queued up. One
 * pump at a time, one request per turn; requests in flight don't hold the next one back.
 *
 * Each message keeps its own outcome. A call VK fails inside the script rejects that message alone
 * with the typed error a direct send would raise (`vkApiError`: 901/902 → `VkRecipientUnavailableError`,
 * 9 → `VkFloodControlError`, …); 6 and 10 are retried in a later batch. The request itself goes
 * through `VkClient.execute`, so the client's rate gate, retries and backoff apply to it as a whole;
 * a retried request repeats the same code, and every call's `random_id` (from its message key, as
 * `VkClient.sendMessage` derives it) makes VK drop what already went. If the request fails for good,
 * every message in it is rejected with that error.
 *
 * @example
 * const batcher = new ExecuteBatcher(vk);
 * const ids = await Promise.all(
 *   users.map((user) => batcher.sendMessage({ peerId: user.id, messageKey: `digest:${day}:${user.id}`, text })),
 * );
 */
export class ExecuteBatcher {
  readonly #client: BatcherClient;
  readonly #windowMs: number;
  readonly #maxCalls: number;
  readonly #maxCodeBytes: number;
  readonly #maxAttempts: number;
  readonly #baseBackoffMs: number;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly #logger: Logger | undefined;
  readonly #pending: PendingCall[] = [];
  readonly #inFlight = new Set<Promise<void>>();
  #cancelTimer: (() => void) | undefined;
  /** Whether the pump is waiting for a turn or filling a batch: one at a time. */
  #pumping = false;
  readonly #turnIntervalMs: number;
  /** Messages about to be sent (`reserve`), counted in the estimate before they arrive. */
  #reserved = 0;
  /** How long the last turns at the gate took (smoothed), and when the last one came. */
  #turnWaitMs = 0;
  #turnAt = 0;

  constructor(client: BatcherClient, options: ExecuteBatcherOptions = {}) {
    const maxCalls = options.maxCalls ?? MAX_CALLS_PER_EXECUTE;
    if (!Number.isInteger(maxCalls) || maxCalls < 1 || maxCalls > MAX_CALLS_PER_EXECUTE)
      throw new RangeError(`maxCalls must be 1 to ${MAX_CALLS_PER_EXECUTE}`);
    this.#client = client;
    this.#windowMs = options.windowMs ?? 0;
    this.#maxCalls = maxCalls;
    this.#maxCodeBytes = options.maxCodeBytes ?? 65_536;
    this.#maxAttempts = options.maxAttempts ?? 4;
    this.#baseBackoffMs = options.baseBackoffMs ?? 200;
    this.#sleep = options.sleep ?? defaultSleep;
    this.#logger = options.logger;
    this.#turnIntervalMs = options.turnIntervalMs ?? 50;
  }

  /**
   * How long a message sent now would wait before its request leaves: a turn at the gate for each
   * full batch ahead of it and one for its own, each as long as the token's pace or as the recent
   * turns took (other instances share the gate). With nothing waiting, the recent turns' wait alone.
   */
  estimatedWaitMs(): number {
    const recent = Date.now() - this.#turnAt < RECENT_TURN_MS ? this.#turnWaitMs : 0;
    const ahead = this.#pending.length + this.#reserved;
    if (ahead === 0 && !this.#pumping) return recent;
    return (Math.floor(ahead / this.#maxCalls) + 1) * Math.max(this.#turnIntervalMs, recent);
  }

  /** Counts one message about to be sent in `estimatedWaitMs` until the returned release is called. */
  reserve(): () => void {
    this.#reserved++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#reserved--;
    };
  }

  /**
   * `messages.send` to one peer in the next batch; resolves with the message id, as
   * `VkClient.sendMessage` does. An abort before the batch leaves withdraws the message.
   */
  sendMessage(message: OutgoingMessage, options: CallOptions = {}): Promise<number> {
    const code = executeCallCode('messages.send', messagesSendParams(message));
    return new Promise<number>((resolve, reject) => {
      this.#enqueue({
        code,
        bytes: Buffer.byteLength(code),
        attempt: 1,
        ...(options.signal ? { signal: options.signal } : {}),
        resolve,
        reject,
      });
    });
  }

  /** Sends everything pending now, and resolves once every message so far has its outcome. */
  async flush(): Promise<void> {
    while (this.#pending.length > 0 || this.#inFlight.size > 0 || this.#pumping) {
      this.#stopTimer();
      await this.#pump();
      await Promise.allSettled([...this.#inFlight]);
    }
  }

  /** Messages waiting for their batch to leave. */
  get pendingCount(): number {
    return this.#pending.length;
  }

  #enqueue(call: PendingCall): void {
    if (call.signal?.aborted) {
      call.reject(call.signal.reason);
      return;
    }
    this.#pending.push(call);
    call.signal?.addEventListener('abort', () => this.#withdraw(call), { once: true });
    // The pump (already waiting for a turn, or started after the window) takes it with the others.
    if (!this.#pumping) this.#startTimer();
  }

  /**
   * Sends batches while messages wait: first a turn at the token's rate gate, then the batch, so a
   * batch holds everything that piled up while the gate was busy (at VK's limit, full batches of
   * 25 rather than many small requests queued behind each other). One turn, one request.
   */
  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (this.#pending.length > 0) {
        let turnTaken = false;
        if (this.#client.takeTurn) {
          try {
            const asked = Date.now();
            await this.#client.takeTurn();
            turnTaken = true;
            const waited = Date.now() - asked;
            this.#turnWaitMs = this.#turnAt === 0 ? waited : (this.#turnWaitMs + waited) / 2;
            this.#turnAt = Date.now();
          } catch (error) {
            // The gate itself failed (its store): the batch that would have gone fails with it.
            for (const call of this.#takeBatch()) call.reject(error);
            continue;
          }
        }
        this.#send(this.#takeBatch(), turnTaken);
      }
    } finally {
      this.#pumping = false;
    }
  }

  #withdraw(call: PendingCall): void {
    const index = this.#pending.indexOf(call);
    if (index < 0) return; // already sent: a request in flight can't be taken back
    this.#pending.splice(index, 1);
    call.reject(call.signal?.reason);
    if (this.#pending.length === 0) this.#stopTimer();
  }

  /** The oldest pending calls that fit in one request: at most `maxCalls`, within the code budget. */
  #takeBatch(): PendingCall[] {
    let count = 0;
    while (
      count < this.#pending.length &&
      count < this.#maxCalls &&
      (count === 0 || scriptBytes(this.#pending.slice(0, count + 1)) <= this.#maxCodeBytes)
    )
      count++;
    return this.#pending.splice(0, count);
  }

  #startTimer(): void {
    if (this.#cancelTimer) return;
    const fire = () => {
      this.#cancelTimer = undefined;
      void this.#pump();
    };
    if (this.#windowMs > 0) {
      const timer = setTimeout(fire, this.#windowMs);
      this.#cancelTimer = () => clearTimeout(timer);
    } else {
      const immediate = setImmediate(fire);
      this.#cancelTimer = () => clearImmediate(immediate);
    }
  }

  #stopTimer(): void {
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
  }

  #send(batch: PendingCall[], turnTaken: boolean): void {
    if (batch.length === 0) return;
    const request = this.#client
      .execute<unknown>(`return [${batch.map((call) => call.code).join(',')}];`, { turnTaken })
      .then(({ response, executeErrors }) => this.#settle(batch, response, executeErrors))
      .catch((error: unknown) => {
        // The request failed for good (or the answer was unreadable): no call's outcome is known.
        for (const call of batch) call.reject(error);
      })
      .finally(() => this.#inFlight.delete(request));
    this.#inFlight.add(request);
  }

  /** Each call's result or its `execute_errors` entry (VK lists failed calls in order) back to its message. */
  async #settle(batch: PendingCall[], response: unknown, executeErrors: VkExecuteError[]): Promise<void> {
    const results = Array.isArray(response) ? response : [];
    // VK may add an entry for `execute` itself after a failed call's own; only the calls' entries count.
    const errors = executeErrors.filter((entry) => entry.method !== 'execute');
    let nextError = 0;
    const retries: PendingCall[] = [];
    for (const [index, call] of batch.entries()) {
      const result = results[index];
      if (result !== false && result !== undefined && result !== null) {
        call.resolve(sentMessageId(result as MessagesSendResult));
        continue;
      }
      const entry = errors[nextError++];
      const error = entry
        ? vkApiError(entry.method, Number(entry.error_code), String(entry.error_msg))
        : vkApiError('messages.send', 0, 'execute answered neither a result nor an error for this call');
      if (isRetryableVkError(error) && call.attempt < this.#maxAttempts) {
        this.#logger?.warn('vk call in execute retried', {
          method: error.method,
          attempt: call.attempt,
          error: error.code,
        });
        retries.push(call);
      } else {
        call.reject(error);
      }
    }
    if (retries.length === 0) return;
    const attempt = Math.min(...retries.map((call) => call.attempt));
    const backoff = Math.min(3000, this.#baseBackoffMs * 2 ** (attempt - 1));
    await this.#sleep(Math.round(backoff / 2 + Math.random() * (backoff / 2)));
    for (const call of retries) this.#enqueue({ ...call, attempt: call.attempt + 1 });
  }
}

/**
 * One API call as VKScript, `API.<method>({…})`: the parameters as one JSON object literal (undefined
 * and null left out, booleans as 1/0 like the form encoding). JSON's string escapes are VKScript's
 * (quotes, backslashes, newlines, control characters), and every other character, Cyrillic and emoji
 * included, stays as it is: the form encoding carries it as UTF-8.
 */
export function executeCallCode(method: string, params: Record<string, VkParamValue>): string {
  if (!/^[a-z]+\.[A-Za-z]+$/.test(method)) throw new RangeError(`not an API method name: ${method}`);
  const args: Record<string, string | number> = {};
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined || value === null) continue;
    args[name] = typeof value === 'boolean' ? (value ? 1 : 0) : value;
  }
  return `API.${method}(${JSON.stringify(args)})`;
}

/** The UTF-8 size of `return [<calls joined by commas>];`. */
function scriptBytes(calls: readonly PendingCall[]): number {
  return (
    'return [];'.length + Math.max(0, calls.length - 1) + calls.reduce((sum, call) => sum + call.bytes, 0)
  );
}
