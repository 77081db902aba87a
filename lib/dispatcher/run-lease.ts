import { randomUUID } from 'node:crypto';
import { type Clock, DAY, MINUTE } from '../clock';
import type { Store } from '../storage/port';

/**
 * A once-a-day run's lease, kept in a claim (the daily dispatch `dispatch:<day>`, the NPS survey
 * `nps-survey:<day>`): taken first, so a re-fired timer or two overlapping runs do the work once; its
 * state carries the run's cursor and heartbeat, so a run that died part way (a timeout) is resumed by
 * the next fire from its last checkpoint instead of being lost for the day.
 */

/** A run that stops heartbeating for this long is taken over by the next fire. */
export const RUN_LEASE = 3 * MINUTE;

export interface LeasedRunState {
  runId: string;
  startedAt: number;
  heartbeatAt: number;
  /** Set when the run is done: the day's later fires do nothing. */
  finishedAt: number | null;
}

export interface RunLease<S extends LeasedRunState> {
  /** The state the run starts from: fresh, or the dead run's to resume. */
  state: S;
  /** Records progress; false if another run took the lease meanwhile (this one then stops). */
  checkpoint(patch: Partial<S>): Promise<boolean>;
}

/**
 * Takes the lease under `key`, or null when the day's run is done or another one is alive. `start`
 * makes the state from the dead run's (`existing`, to resume) or none. Idempotent: after an unknown
 * commit the re-run finds the lease it took as its own.
 */
export async function takeRunLease<S extends LeasedRunState>(
  deps: { store: Store; clock: Clock },
  key: string,
  start: (run: { runId: string; now: number; existing: S | undefined }) => S,
): Promise<RunLease<S> | null> {
  const { store, clock } = deps;
  const now = clock.now();
  const runId = randomUUID();
  const save = (state: S) => ({
    key,
    value: state as unknown as Record<string, unknown>,
    createdAt: state.startedAt,
    expiresAt: state.startedAt + 30 * DAY,
  });
  const state = await store.transaction(
    async (r): Promise<S | null> => {
      const held = await r.claims.get(key, now);
      if (held?.mine) return held.value as unknown as S;
      const existing = held?.value as S | undefined;
      if (existing && (existing.finishedAt !== null || now - existing.heartbeatAt < RUN_LEASE)) return null;
      const fresh = start({ runId, now, existing });
      if (existing) await r.claims.put(save(fresh));
      else if ((await r.claims.take(save(fresh))) === 'held') return null;
      return fresh;
    },
    { idempotent: true },
  );
  if (!state) return null;
  return {
    state,
    checkpoint: (patch) =>
      store.transaction(async (r) => {
        const current = (await r.claims.get(key, clock.now()))?.value as S | undefined;
        if (!current || current.runId !== state.runId) return false;
        await r.claims.put(save({ ...current, ...patch, heartbeatAt: clock.now() }));
        return true;
      }),
  };
}
