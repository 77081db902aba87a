/** Time as a port: domain code asks a clock, tests move a fake one. Times are epoch milliseconds. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock that only moves when told to: for tests and for the local stack's "fast-forward". */
export class ManualClock implements Clock {
  #now: number;

  constructor(start: number | Date = Date.UTC(2026, 0, 15, 9, 0, 0)) {
    this.#now = typeof start === 'number' ? start : start.getTime();
  }

  now(): number {
    return this.#now;
  }

  advance(milliseconds: number): void {
    if (milliseconds < 0) throw new RangeError('a clock does not go back');
    this.#now += milliseconds;
  }

  set(time: number | Date): void {
    this.#now = typeof time === 'number' ? time : time.getTime();
  }
}

/**
 * A real clock shifted forward by an offset: the local stack's dev clock. `onAdvance` sees the new
 * offset before the clock takes it, so a failure to keep it (the stack writes it under DATA_DIR)
 * leaves the clock where it was.
 */
export class OffsetClock implements Clock {
  #offset: number;
  readonly #onAdvance: ((offset: number) => void) | undefined;

  constructor(offset = 0, onAdvance?: (offset: number) => void) {
    if (!Number.isFinite(offset) || offset < 0)
      throw new RangeError('a clock offset is a non-negative number');
    this.#offset = offset;
    this.#onAdvance = onAdvance;
  }

  now(): number {
    return Date.now() + this.#offset;
  }

  advance(milliseconds: number): void {
    if (!(milliseconds >= 0)) throw new RangeError('a clock does not go back');
    const offset = this.#offset + milliseconds;
    this.#onAdvance?.(offset);
    this.#offset = offset;
  }

  get offset(): number {
    return this.#offset;
  }
}

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

export function sleep(milliseconds: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, milliseconds);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
