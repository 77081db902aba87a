import { DAY, MINUTE } from '../clock';

export const weekdays = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof weekdays)[number];

/** Local "HH:MM" periods per weekday, plus holidays ("YYYY-MM-DD", local) when nobody works. */
export interface BusinessHoursSpec {
  timezone: string;
  weekly: Record<Weekday, ReadonlyArray<readonly [string, string]>>;
  holidays: readonly string[];
}

interface LocalDate {
  year: number;
  month: number;
  day: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Intl formatters are costly to build (~0.1 ms): one per timezone for the life of the process. */
function formatterFor(timezone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timezone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timezone, formatter);
  }
  return formatter;
}

/**
 * Zones change their offset only at whole quarter hours of UTC (every offset in use is a multiple of
 * 15 minutes, and transitions happen at a local whole hour or half hour), so one quarter hour has one
 * offset: read once from Intl (formatToParts costs ~10 µs; a ticket's SLA asks dozens of times).
 */
const QUARTER_HOUR = 15 * MINUTE;
const offsets = new Map<string, number>();
const OFFSETS_KEPT = 50_000;

function zoneOffset(time: number, timezone: string): number {
  const start = Math.floor(time / QUARTER_HOUR) * QUARTER_HOUR;
  const key = `${timezone}|${start}`;
  const cached = offsets.get(key);
  if (cached !== undefined) return cached;
  const fields: Record<string, number> = {};
  for (const part of formatterFor(timezone).formatToParts(start)) {
    if (part.type !== 'literal') fields[part.type] = Number(part.value);
  }
  const wall = Date.UTC(
    fields.year ?? 1970,
    (fields.month ?? 1) - 1,
    fields.day ?? 1,
    fields.hour ?? 0,
    fields.minute ?? 0,
    fields.second ?? 0,
  );
  if (offsets.size >= OFFSETS_KEPT) offsets.clear();
  offsets.set(key, wall - start);
  return wall - start;
}

/** The wall-clock fields of an instant in a timezone. */
export function localParts(
  time: number,
  timezone: string,
): LocalDate & { hour: number; minute: number; second: number; weekday: Weekday } {
  const local = new Date(time + zoneOffset(time, timezone));
  return {
    year: local.getUTCFullYear(),
    month: local.getUTCMonth() + 1,
    day: local.getUTCDate(),
    hour: local.getUTCHours(),
    minute: local.getUTCMinutes(),
    second: local.getUTCSeconds(),
    weekday: weekdays[local.getUTCDay()] ?? 'sun',
  };
}

/** How far the zone is ahead of UTC at `time`, in ms. */
function offsetAt(time: number, timezone: string): number {
  return zoneOffset(time, timezone);
}

/** The instant when the wall clock in `timezone` shows `date` at `minutes` past midnight. */
export function zonedTime(date: LocalDate, minutesOfDay: number, timezone: string): number {
  const wall = Date.UTC(date.year, date.month - 1, date.day) + minutesOfDay * MINUTE;
  // Two passes settle the offset across a DST change (the second uses the offset at the guess).
  const guess = wall - offsetAt(wall, timezone);
  return wall - offsetAt(guess, timezone);
}

export function formatLocalDate(date: LocalDate): string {
  return `${date.year}-${String(date.month).padStart(2, '0')}-${String(date.day).padStart(2, '0')}`;
}

function nextDate(date: LocalDate): LocalDate {
  const next = new Date(Date.UTC(date.year, date.month - 1, date.day) + DAY);
  return { year: next.getUTCFullYear(), month: next.getUTCMonth() + 1, day: next.getUTCDate() };
}

export function parseClockTime(value: string): number {
  const match = /^([01]\d|2[0-4]):([0-5]\d)$/.exec(value);
  if (!match) throw new RangeError(`not a HH:MM time: ${value}`);
  return Number(match[1]) * 60 + Number(match[2]);
}

/** A year of days is the furthest any computation looks ahead; a schedule with no hours at all stops there. */
const HORIZON_DAYS = 366;

/**
 * Business time: when operators work, in the community's timezone. Pure functions of instants; the
 * SLA clock and the "operators answer tomorrow from 9:00" auto-reply are built on them.
 */
export class BusinessHours {
  readonly timezone: string;
  readonly #weekly: Record<Weekday, Array<[number, number]>>;
  readonly #holidays: ReadonlySet<string>;

  constructor(spec: BusinessHoursSpec) {
    this.timezone = spec.timezone;
    this.#holidays = new Set(spec.holidays);
    this.#weekly = Object.fromEntries(
      weekdays.map((day) => [
        day,
        (spec.weekly[day] ?? [])
          .map(([from, to]): [number, number] => [parseClockTime(from), parseClockTime(to)])
          .sort((a, b) => a[0] - b[0]),
      ]),
    ) as Record<Weekday, Array<[number, number]>>;
  }

  /** Working periods as instants, day by day from the local day holding `from`. */
  *#periods(from: number): Generator<[number, number]> {
    const start = localParts(from, this.timezone);
    let date: LocalDate = start;
    let weekdayIndex = weekdays.indexOf(start.weekday);
    for (let dayIndex = 0; dayIndex < HORIZON_DAYS; dayIndex++) {
      if (!this.#holidays.has(formatLocalDate(date))) {
        for (const [open, close] of this.#weekly[weekdays[weekdayIndex] ?? 'sun']) {
          const periodEnd = zonedTime(date, close, this.timezone);
          if (periodEnd > from) yield [zonedTime(date, open, this.timezone), periodEnd];
        }
      }
      date = nextDate(date);
      weekdayIndex = (weekdayIndex + 1) % 7;
    }
  }

  /** The working periods `[open, close)` as instants, from the one holding `from` on (a year ahead at most). */
  *periodsFrom(from: number): Generator<[number, number]> {
    yield* this.#periods(from);
  }

  isOpen(time: number): boolean {
    for (const [open] of this.#periods(time)) return open <= time;
    return false;
  }

  /** The first instant at or after `time` when operators work; null if none within a year. */
  nextOpening(time: number): number | null {
    for (const [open] of this.#periods(time)) return Math.max(open, time);
    return null;
  }

  /** The instant `duration` ms of business time after `start`; null if it doesn't fit in a year. */
  addBusinessTime(start: number, duration: number): number | null {
    let remaining = duration;
    for (const [open, close] of this.#periods(start)) {
      const from = Math.max(open, start);
      if (remaining <= close - from) return from + remaining;
      remaining -= close - from;
    }
    return null;
  }

  /** Business time between two instants, in ms (0 if `to` is not after `from`). */
  businessTimeBetween(from: number, to: number): number {
    let total = 0;
    for (const [open, close] of this.#periods(from)) {
      if (open >= to) break;
      total += Math.min(close, to) - Math.max(open, from);
    }
    return Math.max(0, total);
  }
}
