import { secretsMatch } from '../http/secret';
import type { OperatorActor } from '../tickets/audit';

export interface OperatorCredential extends OperatorActor {
  token: string;
}

/**
 * Finds the operator whose token was presented (`X-Operator-Token`). Every credential is compared,
 * each in constant time, so the answer takes as long whichever matched or none did.
 */
export function authenticateOperator(
  presented: string | undefined,
  credentials: readonly OperatorCredential[],
): OperatorActor | null {
  let found: OperatorActor | null = null;
  for (const credential of credentials) {
    if (secretsMatch(presented ?? '', credential.token) && presented) {
      found = { operatorId: credential.operatorId, role: credential.role };
    }
  }
  return found;
}
