import type { FuzzOutcome } from './run';

/** 18200 → "18 200": the summary reads at a glance. */
const thousands = (count: number) => String(count).replace(/\B(?=(\d{3})+(?!\d))/g, ' ');

/** The one line a run prints: what was sent, and how many of each finding (all zero when it passes). */
export function summaryLine(outcome: FuzzOutcome, seed: number, operationCount: number): string {
  return (
    `fuzz: ${thousands(outcome.sent)} requests (seed ${seed}, ${operationCount} operations, ${thousands(outcome.refused)} refused), ` +
    `${outcome.serverErrors.length} × 5xx, ${outcome.partialWrites.length} partial writes, ` +
    `${thousands(outcome.validated)} successes checked against their response schemas, ${outcome.untrue.length} undocumented`
  );
}
