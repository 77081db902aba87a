import { COMMAND_NAMES, ticketNumberIn } from '../../lib/bot/operators/commands';

/** Commands and ticket numbers as operators type them in their chat. */
describe('operators’ commands as typed', () => {
  it('reads a ticket number with or without its dash, in any case, with a Cyrillic look-alike letter', () => {
    for (const typed of [
      'B-1005',
      'b-1005',
      'b1005',
      'B 1005',
      'В-1005',
      'в1005',
      '(B-1005)',
      'B-1005, срочно',
    ])
      expect(ticketNumberIn(typed)).toBe('B-1005');
    expect(ticketNumberIn('Р-2001')).toBe('P-2001');
  });

  it('finds no number in words, short numbers, phone numbers or letters without a Latin twin', () => {
    for (const typed of ['', 'все', 'B-12', '89161234567', 'Б-1005', 'AB-1005', 'B-1005x'])
      expect(ticketNumberIn(typed)).toBeNull();
  });

  it('answers to the English names and the Russian ones', () => {
    expect(COMMAND_NAMES.статус).toBe('status');
    expect(COMMAND_NAMES.очередь).toBe('queue');
    expect(COMMAND_NAMES.взять).toBe('take');
    expect(COMMAND_NAMES.решено).toBe('resolve');
    expect(COMMAND_NAMES.переоткрыть).toBe('reopen');
    expect(COMMAND_NAMES.шаблон).toBe('t');
    expect(new Set(Object.values(COMMAND_NAMES))).toEqual(
      new Set(['queue', 'status', 'take', 'resolve', 'reopen', 't', 'help']),
    );
  });
});
