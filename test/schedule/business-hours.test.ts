import { HOUR, MINUTE } from '../../lib/clock';
import { BusinessHours, localParts } from '../../lib/schedule/business-hours';
import { quietHoursEnd } from '../../lib/schedule/quiet-hours';

// Moscow is UTC+3 all year; 2026-11-20 is a Friday.
const hours = new BusinessHours({
  timezone: 'Europe/Moscow',
  weekly: {
    mon: [
      ['09:00', '13:00'],
      ['14:00', '18:00'],
    ],
    tue: [['09:00', '18:00']],
    wed: [['09:00', '18:00']],
    thu: [['09:00', '18:00']],
    fri: [['09:00', '18:00']],
    sat: [],
    sun: [],
  },
  holidays: ['2026-11-23'],
});
const msk = (iso: string) => Date.parse(`${iso}+03:00`);

describe('business hours', () => {
  it('knows when operators work, with lunch breaks, weekends and holidays', () => {
    expect(hours.isOpen(msk('2026-11-20T10:00:00'))).toBe(true);
    expect(hours.isOpen(msk('2026-11-20T18:00:00'))).toBe(false);
    expect(hours.isOpen(msk('2026-11-21T12:00:00'))).toBe(false); // Saturday
    expect(hours.nextOpening(msk('2026-11-20T19:00:00'))).toBe(msk('2026-11-24T09:00:00')); // Monday is a holiday
    expect(hours.nextOpening(msk('2026-11-24T10:30:00'))).toBe(msk('2026-11-24T10:30:00'));
  });

  it('adds business time across the evening, the weekend and a holiday', () => {
    expect(hours.addBusinessTime(msk('2026-11-20T17:00:00'), 2 * HOUR)).toBe(msk('2026-11-24T10:00:00'));
    expect(hours.addBusinessTime(msk('2026-11-20T23:00:00'), 30 * MINUTE)).toBe(msk('2026-11-24T09:30:00'));
    expect(hours.addBusinessTime(msk('2026-11-30T12:30:00'), 1 * HOUR)).toBe(msk('2026-11-30T14:30:00')); // over lunch
  });

  it('measures business time between two instants', () => {
    expect(hours.businessTimeBetween(msk('2026-11-20T17:00:00'), msk('2026-11-24T10:00:00'))).toBe(2 * HOUR);
    expect(hours.businessTimeBetween(msk('2026-11-24T10:00:00'), msk('2026-11-20T17:00:00'))).toBe(0);
  });

  it('answers null when a schedule has no hours at all', () => {
    const never = new BusinessHours({
      timezone: 'UTC',
      weekly: { mon: [], tue: [], wed: [], thu: [], fri: [], sat: [], sun: [] },
      holidays: [],
    });
    expect(never.addBusinessTime(0, HOUR)).toBeNull();
    expect(never.nextOpening(0)).toBeNull();
  });
});

describe('quiet hours', () => {
  it('ends the next morning when they span midnight, and are null outside them', () => {
    const quiet = { from: '22:00', to: '08:00' };
    expect(quietHoursEnd(quiet, msk('2026-11-20T23:30:00'), 'Europe/Moscow')).toBe(
      msk('2026-11-21T08:00:00'),
    );
    expect(quietHoursEnd(quiet, msk('2026-11-21T03:00:00'), 'Europe/Moscow')).toBe(
      msk('2026-11-21T08:00:00'),
    );
    expect(quietHoursEnd(quiet, msk('2026-11-21T12:00:00'), 'Europe/Moscow')).toBeNull();
    expect(quietHoursEnd(null, msk('2026-11-21T03:00:00'), 'Europe/Moscow')).toBeNull();
  });
});

describe('local wall-clock time', () => {
  it('agrees with Intl at every instant tried, across DST changes and half- and quarter-hour zones', () => {
    const zones = [
      'Europe/Moscow',
      'Europe/Berlin',
      'America/New_York',
      'Asia/Kolkata',
      'Asia/Kathmandu',
      'Australia/Lord_Howe',
    ];
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (const timeZone of zones) {
      const intl = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
      // Random instants over two years, and every minute around this zone's 2026 spring and autumn changes.
      const instants = Array.from(
        { length: 2000 },
        () => Date.UTC(2026, 0, 1) + Math.floor(random() * 2 * 365 * 86_400_000),
      );
      for (const day of [
        Date.UTC(2026, 2, 8),
        Date.UTC(2026, 2, 29),
        Date.UTC(2026, 3, 5),
        Date.UTC(2026, 9, 4),
        Date.UTC(2026, 9, 25),
        Date.UTC(2026, 10, 1),
      ])
        for (let minute = 0; minute < 24 * 60; minute += 7) instants.push(day + minute * 60_000 + 13_000);
      for (const time of instants) {
        const fields = Object.fromEntries(
          intl
            .formatToParts(time)
            .filter((part) => part.type !== 'literal')
            .map((part) => [part.type, Number(part.value)]),
        );
        const local = localParts(time, timeZone);
        expect({ timeZone, time, ...local, weekday: undefined }).toEqual({
          timeZone,
          time,
          ...fields,
          weekday: undefined,
        });
      }
    }
  });
});
