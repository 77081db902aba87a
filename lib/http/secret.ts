import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Compares a presented secret with the expected one in constant time. Both are hashed first so the
 * comparison takes the same time whatever their lengths.
 */
export function secretsMatch(presented: string | undefined, expected: string): boolean {
  if (presented === undefined) return false;
  const a = createHash('sha256').update(presented).digest();
  return timingSafeEqual(a, digestOf(expected));
}

/** The expected secrets' digests, kept: they come from the configuration, a handful per process. */
const expectedDigests = new Map<string, Buffer>();

function digestOf(expected: string): Buffer {
  let digest = expectedDigests.get(expected);
  if (!digest) {
    digest = createHash('sha256').update(expected).digest();
    if (expectedDigests.size < 64) expectedDigests.set(expected, digest);
  }
  return digest;
}
