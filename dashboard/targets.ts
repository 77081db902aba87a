/** Targets the team set itself (seed 004): 30-day retention 45 %, NPS 65, 80 % answered within an hour. */
export const TARGETS = { d30: 0.45, nps: 65, withinTargetPercent: 80 };
