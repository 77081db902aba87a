/**
 * A failure to play `times` times for calls of `method` (any method when absent: then it hits the
 * request, an `execute` included, never a call inside one). `lost_answer`: the call takes effect but
 * its answer is an HTTP 500 (the client must retry safely).
 */
export type Fault = {
  method?: string;
  error: FaultCode | 'http500' | 'timeout' | 'lost_answer';
  times: number;
};

export type FaultCode = 6 | 9 | 10 | 901;

/** A share of calls (of one method, or any) failing at random with one of `errors`: a flaky VK. */
export interface RandomFaults {
  method?: string;
  rate: number;
  errors: Array<Fault['error']>;
  random?: () => number;
}

/** What VK says with each error code a fault plays. */
export const faultMessages: Record<FaultCode, string> = {
  6: 'Too many requests per second',
  9: 'Flood control',
  10: 'Internal server error',
  901: "Can't send messages for users without permission",
};

/**
 * The fault to play for a request (`request`: a fault for its method or for any method) or for one
 * call inside `execute` (`call`: only a fault naming that call's method). Random faults likewise.
 * Takes one of the injected fault's `times`.
 */
export function takeFault(
  faults: Fault[],
  random: RandomFaults | undefined,
  method: string,
  scope: 'request' | 'call',
): Fault | undefined {
  const applies = (faultMethod?: string) =>
    faultMethod === method || (scope === 'request' && faultMethod === undefined);
  if (random && applies(random.method) && (random.random ?? Math.random)() < random.rate) {
    return {
      error: random.errors[Math.floor((random.random ?? Math.random)() * random.errors.length)]!,
      times: 1,
    };
  }
  const fault = faults.find((candidate) => candidate.times > 0 && applies(candidate.method));
  if (fault) fault.times--;
  return fault;
}
