import { differenceInterval, wilsonInterval } from '../../lib/dispatcher/uplift';

/** Known answers: Newcombe (1998), Statistics in Medicine 17:873–890, table II, method 10. */
describe("uplift over control: Newcombe's hybrid score interval for two proportions", () => {
  const interval = (a: number, n: number, b: number, m: number) =>
    differenceInterval({ successes: a, total: n }, { successes: b, total: m });

  it.each([
    [56, 70, 48, 80, 0.2, 0.0524, 0.3339],
    [9, 10, 3, 10, 0.6, 0.1705, 0.809],
    [0, 10, 0, 20, 0, -0.1611, 0.2775],
    [10, 10, 0, 20, 1, 0.6791, 1],
    [30, 100, 20, 100, 0.1, -0.0202, 0.2167],
  ])('%i/%i − %i/%i = %f, 95 %% interval %f … %f', (a, n, b, m, difference, low, high) => {
    const result = interval(a, n, b, m)!;
    expect(result.difference).toBeCloseTo(difference, 4);
    expect(result.low).toBeCloseTo(low, 4);
    expect(result.high).toBeCloseTo(high, 4);
  });

  it('stays within [−1, 1] and has a width where Wald has none (10/10 − 0/20)', () => {
    const result = interval(10, 10, 0, 20)!;
    expect(result.high).toBeLessThanOrEqual(1);
    // Wald would give 1 ± 0: a zero-width interval.
    expect(result.low).toBeLessThan(1);
  });

  it('has no answer for an empty group', () => {
    expect(interval(0, 0, 3, 10)).toBeNull();
    expect(interval(3, 10, 0, 0)).toBeNull();
  });

  it("gives Wilson's interval for one proportion (81/263: 0.2553 … 0.3662)", () => {
    const [low, high] = wilsonInterval({ successes: 81, total: 263 })!;
    expect(low).toBeCloseTo(0.2553, 4);
    expect(high).toBeCloseTo(0.3662, 4);
  });
});
