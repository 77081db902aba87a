import { DAY } from '../clock';
import { localParts, parseClockTime, zonedTime } from './business-hours';

/**
 * Whether `name` is an IANA timezone this runtime knows (`Europe/Moscow`, `Asia/Vladivostok`):
 * what the mini app reports from `Intl.DateTimeFormat().resolvedOptions().timeZone`. Checked with
 * Intl itself, so quiet hours can never meet a zone that `Intl.DateTimeFormat` would throw on.
 */
export function isKnownTimezone(name: string): boolean {
  if (name.length === 0 || name.length > 64) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/**
 * The zone's canonical IANA name as Intl resolves it (`asia/vladivostok` → `Asia/Vladivostok`), so
 * what is stored and shown back is the name the user's device would report.
 */
export function canonicalTimezone(name: string): string {
  return new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
}

/**
 * When a variant with a send time (`sendAt`, "HH:MM" in the user's zone) goes out for a plan made
 * at `now`: that local time on the user's current day if it is still ahead and within the plan's
 * UTC day (a batch is dropped as expired after it), otherwise at once (a time already past today
 * is not worth a day's delay: the plan is for today).
 */
export function sendTimeFor(sendAt: string, now: number, timezone: string): number {
  const at = zonedTime(localParts(now, timezone), parseClockTime(sendAt), timezone);
  const endOfUtcDay = Math.floor(now / DAY) * DAY + DAY;
  return at > now && at < endOfUtcDay ? at : now;
}
