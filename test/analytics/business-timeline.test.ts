import { BusinessTimeline } from '../../lib/analytics/business-timeline';
import { DAY, HOUR, MINUTE } from '../../lib/clock';
import { BusinessHours } from '../../lib/schedule/business-hours';
import { supportSettings } from '../../lib/support/settings';

const hours = new BusinessHours({ timezone: 'Europe/Moscow', ...supportSettings.businessHours });

describe('business time by lookup', () => {
  it('equals the business hours’ own walk for any two instants, across lunches, weekends and the new year holidays', () => {
    const since = Date.UTC(2026, 11, 1);
    const until = since + 90 * DAY;
    const timeline = new BusinessTimeline(hours, since, until);
    let seed = 11;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    const mismatches: string[] = [];
    for (let round = 0; round < 3000; round++) {
      const from = since + Math.floor(random() * 80 * DAY);
      // Minutes, hours or days later, and now and then before (0) or outside the window (asked of the hours).
      const span = [MINUTE * 90, HOUR * 30, DAY * 12, -HOUR, DAY * 40][round % 5] ?? 0;
      const to = from + Math.floor(random() * span);
      const expected = hours.businessTimeBetween(from, to);
      const got = timeline.businessTimeBetween(from, to);
      if (got !== expected)
        mismatches.push(
          `${new Date(from).toISOString()} → ${new Date(to).toISOString()}: ${got} ≠ ${expected}`,
        );
    }
    expect(mismatches).toEqual([]);
  });

  it('asks the business hours past the year they list', () => {
    const since = Date.UTC(2026, 0, 12);
    const timeline = new BusinessTimeline(hours, since, since + 800 * DAY);
    const to = since + 500 * DAY;
    expect(timeline.businessTimeBetween(since + 450 * DAY, to)).toBe(
      hours.businessTimeBetween(since + 450 * DAY, to),
    );
  });
});
