import { CONTROL } from '../campaigns/campaign';
import { unitHash } from '../campaigns/segment';
import type { Journey } from './definition';

/** The treated group's variant: journeys have one variant for now, so every treated run is `a`. */
export const TREATED = 'a';

/**
 * The user's group in a journey, from (user, journey) alone, hashed as campaigns' variants are
 * (lib/campaigns/segment.ts): the same user lands in the same group on every run, so a control user
 * stays the baseline instead of being nudged on their next trigger. The draw above the control share
 * is where variants would be split by weight.
 */
export function assignJourneyVariant(
  journey: Pick<Journey, 'id' | 'controlPercent'>,
  userId: number,
): string {
  return unitHash(`${journey.id}:${userId}`) < journey.controlPercent / 100 ? CONTROL : TREATED;
}
