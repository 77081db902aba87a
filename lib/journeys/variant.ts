import { assignVariant } from '../campaigns/segment';
import type { Journey } from './definition';

/**
 * The user's group in a journey (a variant's id, or `control`), from (user, journey) alone, hashed as
 * campaigns' variants are (lib/campaigns/segment.ts): the same user lands in the same group on every
 * run, so a control user stays the baseline instead of being nudged on their next trigger, and a
 * treated user keeps seeing one variant's texts. The draw above the control share is split by weight.
 */
export function assignJourneyVariant(
  journey: Pick<Journey, 'id' | 'controlPercent' | 'variants' | 'totalWeight'>,
  userId: number,
): string {
  return assignVariant(journey, userId);
}
