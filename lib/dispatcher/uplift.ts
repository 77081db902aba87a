/**
 * The difference of two proportions with a 95 % confidence interval, for a variant against the
 * control group. Newcombe's hybrid score interval (method 10 of Newcombe 1998, "Interval estimation
 * for the difference between independent proportions"): built from the two Wilson score intervals,
 * it keeps near 95 % coverage with small groups and rates near 0 or 1, where the Wald interval
 * (difference ± 1.96 standard errors) is too narrow and can leave [−1, 1]. No continuity correction.
 */

/** The 97.5th percentile of the standard normal distribution: a two-sided 95 % interval. */
const Z_95 = 1.959963984540054;

export interface Proportion {
  successes: number;
  total: number;
}

/** A difference of rates and its 95 % interval, all as fractions (0.1 is 10 percentage points). */
export interface DifferenceInterval {
  difference: number;
  low: number;
  high: number;
}

/** Wilson's score interval for one proportion; null without a denominator. */
export function wilsonInterval({ successes, total }: Proportion, z = Z_95): [number, number] | null {
  if (total <= 0 || successes < 0 || successes > total) return null;
  const rate = successes / total;
  const zz = z * z;
  const centre = 2 * total * rate + zz;
  const spread = z * Math.sqrt(zz + 4 * total * rate * (1 - rate));
  const scale = 2 * (total + zz);
  return [Math.max(0, (centre - spread) / scale), Math.min(1, (centre + spread) / scale)];
}

/**
 * `treated − control` with Newcombe's 95 % interval; null when either group is empty.
 * 56/70 − 48/80 = 0.2000, interval 0.0524 … 0.3339 (Newcombe's own example).
 */
export function differenceInterval(treated: Proportion, control: Proportion): DifferenceInterval | null {
  const treatedBounds = wilsonInterval(treated);
  const controlBounds = wilsonInterval(control);
  if (!treatedBounds || !controlBounds) return null;
  const p1 = treated.successes / treated.total;
  const p2 = control.successes / control.total;
  const [l1, u1] = treatedBounds;
  const [l2, u2] = controlBounds;
  const difference = p1 - p2;
  return {
    difference,
    low: difference - Math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2),
    high: difference + Math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2),
  };
}
