import { type Clock, sleep, systemClock } from '../clock';
import type { Store } from '../storage/port';
import type { RateGate } from './rate-limiter';

/**
 * VK counts a token's requests per second wherever they come from, and the notification sender
 * runs in as many function instances as the queue trigger starts. This gate paces all of them
 * together: time is cut into slots of `1000 / rate` ms, and a caller claims the next free slot in
 * the store (a claim row, gone after a minute) and waits for its start. At most one call starts per
 * slot, so any second holds at most `rate` starts across every instance.
 *
 * VK sees arrivals, not starts: `headroom` (3 %) widens the slots so network jitter doesn't push
 * a second's worth of calls into a shorter window and trip error 6.
 */
/** How late after its slot's start a call may still start (well within the headroom's 30 ms a second). */
const LATE_START_MS = 10;
const MAX_LATE_RETAKES = 3;

export class SharedRateGate implements RateGate {
  readonly #store: Store;
  readonly #name: string;
  readonly #slotMs: number;
  readonly #lookahead: number;
  readonly #clock: Clock;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;

  constructor(
    store: Store,
    name: string,
    ratePerSecond: number,
    options: {
      headroom?: number;
      clock?: Clock;
      sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
    } = {},
  ) {
    if (!(ratePerSecond > 0)) throw new RangeError('ratePerSecond must be positive');
    this.#store = store;
    this.#name = name;
    this.#slotMs = 1000 / (ratePerSecond * (1 - (options.headroom ?? 0.03)));
    this.#lookahead = Math.max(2, Math.ceil(ratePerSecond));
    // Real time always: VK's limit is in real seconds, whatever a test's or the dev stack's clock says.
    this.#clock = options.clock ?? systemClock;
    this.#sleep = options.sleep ?? sleep;
  }

  async take(signal?: AbortSignal): Promise<void> {
    for (let late = 0; ; ) {
      signal?.throwIfAborted();
      // Idempotent: a re-run after an unknown commit finds the slot it took as `mine`, not someone else's.
      const slot = await this.#store.transaction(
        async (r) => {
          // The time inside the transaction: a store that waits before it runs the work (a queue of
          // transactions, a group commit) must not hand out a slot that has passed meanwhile.
          const now = this.#clock.now();
          const first = Math.ceil(now / this.#slotMs);
          for (let candidate = first; candidate < first + this.#lookahead; candidate++) {
            const outcome = await r.claims.take({
              key: `rate:${this.#name}:${candidate}`,
              value: {},
              createdAt: now,
              expiresAt: now + 60_000,
            });
            if (outcome !== 'held') return candidate;
          }
          return null;
        },
        { idempotent: true, urgent: true },
      );
      if (slot === null) {
        // Every slot of the next second is spoken for: come back when they have passed.
        await this.#sleep(this.#lookahead * this.#slotMs, signal);
        continue;
      }
      const start = slot * this.#slotMs;
      const wait = start - this.#clock.now();
      if (wait > 0) await this.#sleep(wait, signal);
      // A slot started too late (its claim committed, or its timer fired, after a busy moment) could
      // land next to the following one, and a second hold 21 starts: take a fresh slot instead. The
      // headroom leaves 3 % of a second for such jitter; a few tries, then go anyway (VK's error 6 is
      // retried by the client).
      if (this.#clock.now() - start > LATE_START_MS && late++ < MAX_LATE_RETAKES) continue;
      return;
    }
  }
}

/** The community token's gate: the bot's replies, lookups and the worker's sends, every instance. */
export const groupTokenGate = (store: Store, ratePerSecond: number) =>
  new SharedRateGate(store, 'vk-group-token', ratePerSecond);

/** The app's service token's gate: mini app notifications, campaigns, ticket updates and surveys. */
export const serviceTokenGate = (store: Store, ratePerSecond: number) =>
  new SharedRateGate(store, 'vk-service-token', ratePerSecond);
