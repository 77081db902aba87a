import type { QuietHours } from '../storage/port';
import { localParts, parseClockTime, zonedTime } from './business-hours';

/**
 * If `now` falls in the quiet hours (local times in `timezone`; `from` after `to` spans midnight),
 * the instant they end; otherwise null.
 */
export function quietHoursEnd(quiet: QuietHours | null, now: number, timezone: string): number | null {
  if (!quiet) return null;
  const from = parseClockTime(quiet.from);
  const to = parseClockTime(quiet.to);
  if (from === to) return null;
  const local = localParts(now, timezone);
  const minute = local.hour * 60 + local.minute;
  const inQuiet = from < to ? minute >= from && minute < to : minute >= from || minute < to;
  if (!inQuiet) return null;
  const endsTomorrow = from > to && minute >= from;
  const day = endsTomorrow ? localParts(now + 86_400_000, timezone) : local;
  return zonedTime(day, to, timezone);
}
