import { DAY } from '../clock';
import type { Campaign, Condition } from './campaign';
import { CONTROL } from './campaign';

/** What a rule may look at for one user: their logged events in the loaded window, oldest first. */
export interface UserFacts {
  events: ReadonlyArray<{ name: string; occurredAt: number }>;
  /** Resolved tickets in the loaded window: when they were resolved and whether they were rated. */
  resolvedTickets: ReadonlyArray<{ resolvedAt: number; rated: boolean }>;
}

const inWindow = (time: number, window: readonly [number, number], now: number) =>
  time > now - window[1] * DAY && time <= now - window[0] * DAY;

/** Evaluates a segment (or exit) rule for one user at `now`. Pure: the facts are loaded by the caller. */
export function matches(condition: Condition, facts: UserFacts, now: number): boolean {
  if ('all' in condition) return condition.all.every((part) => matches(part, facts, now));
  if ('any' in condition) return condition.any.some((part) => matches(part, facts, now));
  if ('not' in condition) return !matches(condition.not, facts, now);
  if ('ticket' in condition)
    return facts.resolvedTickets.some(
      (ticket) => !ticket.rated && inWindow(ticket.resolvedAt, condition.daysAgo, now),
    );
  let since = Number.NEGATIVE_INFINITY;
  if (condition.after) {
    for (const event of facts.events)
      if (event.name === condition.after && event.occurredAt <= now) since = event.occurredAt;
  }
  const needed = condition.atLeast ?? 1;
  let count = 0;
  for (const event of facts.events) {
    if (condition.event !== '*' && event.name !== condition.event) continue;
    if (event.occurredAt <= since || !inWindow(event.occurredAt, condition.daysAgo, now)) continue;
    if (++count >= needed) return true;
  }
  return false;
}

/** How many days of events and of tickets one rule looks back. */
export function lookback(condition: Condition): { eventDays: number; ticketDays: number } {
  if ('all' in condition || 'any' in condition) {
    const parts = ('all' in condition ? condition.all : condition.any).map(lookback);
    return {
      eventDays: Math.max(0, ...parts.map((part) => part.eventDays)),
      ticketDays: Math.max(0, ...parts.map((part) => part.ticketDays)),
    };
  }
  if ('not' in condition) return lookback(condition.not);
  if ('ticket' in condition) return { eventDays: 0, ticketDays: condition.daysAgo[1] };
  return { eventDays: condition.daysAgo[1], ticketDays: 0 };
}

/** How far back the rules look, so the dispatcher loads just that much history per page of users. */
export function factsNeeded(list: readonly Campaign[]): { eventDays: number; ticketDays: number } {
  const windows = list
    .flatMap((campaign) => [campaign.segment, ...(campaign.exit ? [campaign.exit] : [])])
    .map(lookback);
  return {
    eventDays: Math.max(0, ...windows.map((window) => window.eventDays)),
    ticketDays: Math.max(0, ...windows.map((window) => window.ticketDays)),
  };
}

/**
 * A number in [0, 1) fixed by the text: FNV-1a with a murmur3 finaliser, so consecutive user ids
 * spread evenly. Deterministic across processes and days: a user stays in their variant.
 */
export function unitHash(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return (hash >>> 0) / 2 ** 32;
}

/** What a draw of variants needs: a campaign or a journey. */
export interface VariantDraw {
  id: string;
  controlPercent: number;
  totalWeight: number;
  variants: ReadonlyArray<{ id: string; weight: number }>;
}

/** The user's variant of a campaign or journey (or `control`), from (user, campaign) alone. */
export function assignVariant(campaign: VariantDraw, userId: number): string {
  const draw = unitHash(`${campaign.id}:${userId}`);
  const control = campaign.controlPercent / 100;
  if (draw < control) return CONTROL;
  let point = ((draw - control) / (1 - control)) * campaign.totalWeight;
  for (const variant of campaign.variants) {
    if (point < variant.weight) return variant.id;
    point -= variant.weight;
  }
  return campaign.variants[campaign.variants.length - 1]!.id;
}
