import { DAY } from '../../lib/clock';
import { contactNotice } from '../../lib/tickets/anonymise';

/** The FZ-152 notice names the retention as people say it, in either language. */
describe('the contact notice’s retention period', () => {
  it.each([
    [1, '1 день', '1 day'],
    [3, '3 дня', '3 days'],
    [21, '21 день', '21 days'],
    [180, '180 дней', '180 days'],
  ])('%i days: "%s", "%s"', (days, ru, en) => {
    expect(contactNotice('ru', days * DAY)).toContain(` ${ru} после закрытия обращения`);
    expect(contactNotice('en', days * DAY)).toContain(`for ${en} after the ticket is closed`);
  });
});
