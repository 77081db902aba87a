import type { Fixture } from './fixture';
import type { Operation } from './operations';
import type { Random } from './random';

/** A request as the fuzzer builds it, before it is put on the wire (see `targetOf`). */
export interface FuzzRequest {
  method: string;
  /** The request target as sent: path and query, unnormalised. */
  path: string;
  query: Array<[string, string]>;
  /** Appended to the query as it is (separators included). */
  rawQuery?: string;
  headers: Record<string, string | string[]>;
  body: Buffer | undefined;
  /** Which mutations made it: the report groups findings by these. */
  families: string[];
}

/** A family's name (the report groups findings by it) and the edit it makes to the request. */
export type Mutation = [family: string, mutate: () => void];

/** What a family of malformed inputs breaks a valid request with. */
export interface MutationContext {
  random: Random;
  fixture: Fixture;
  operation: Operation;
  /** The valid request, edited in place. */
  request: FuzzRequest;
}
