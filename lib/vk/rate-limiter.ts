import { type Clock, sleep, systemClock } from '../clock';

/** Something a caller awaits before each request. */
export interface RateGate {
  take(signal?: AbortSignal): Promise<void>;
}

/**
 * A token bucket: `ratePerSecond` tokens a second, bursts up to `burst` (default 1: evenly spaced
 * calls, because VK counts requests per second and a burst on top of a full second trips error 6). Callers wait in arrival
 * order. It limits one process; several function instances share VK's limit, which is why the
 * client also backs off on error 6.
 */
export class TokenBucket implements RateGate {
  readonly ratePerSecond: number;
  readonly burst: number;
  #tokens: number;
  #updatedAt: number;
  #tail: Promise<void> = Promise.resolve();
  readonly #clock: Clock;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;

  constructor(
    ratePerSecond: number,
    options: {
      burst?: number;
      clock?: Clock;
      sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
    } = {},
  ) {
    if (!(ratePerSecond > 0)) throw new RangeError('ratePerSecond must be positive');
    this.ratePerSecond = ratePerSecond;
    this.burst = options.burst ?? 1;
    this.#clock = options.clock ?? systemClock;
    this.#sleep = options.sleep ?? sleep;
    this.#tokens = this.burst;
    this.#updatedAt = this.#clock.now();
  }

  /** Resolves when the caller may make one request. */
  take(signal?: AbortSignal): Promise<void> {
    const turn = this.#tail.then(() => this.#takeInTurn(signal));
    // The next caller waits for this one, whether it got its token or was aborted.
    this.#tail = turn.catch(() => {});
    return turn;
  }

  async #takeInTurn(signal?: AbortSignal): Promise<void> {
    for (;;) {
      signal?.throwIfAborted();
      this.#refill();
      if (this.#tokens >= 1) {
        this.#tokens -= 1;
        return;
      }
      const waitMs = Math.ceil(((1 - this.#tokens) * 1000) / this.ratePerSecond);
      await this.#sleep(waitMs, signal);
    }
  }

  #refill(): void {
    const now = this.#clock.now();
    const elapsed = Math.max(0, now - this.#updatedAt);
    this.#updatedAt = now;
    this.#tokens = Math.min(this.burst, this.#tokens + (elapsed * this.ratePerSecond) / 1000);
  }
}
