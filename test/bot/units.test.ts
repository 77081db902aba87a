import { parseContact } from '../../lib/bot/contact';
import { buildKeyboard } from '../../lib/bot/keyboard';
import { parseButtonPayload } from '../../lib/bot/payload';
import { splitText } from '../../lib/bot/turn';
import { describeMoment, greetingFor } from '../../lib/bot/wording';
import { HOUR } from '../../lib/clock';

const MSK = 'Europe/Moscow';
const wednesdayNoon = Date.UTC(2026, 10, 18, 9, 0);

describe('contacts the bot asks for', () => {
  it.each([
    ['Name@Example.com', { kind: 'email', value: 'name@example.com' }],
    ['+7 900 123-45-67', { kind: 'phone', value: '+79001234567' }],
    ['8 (900) 123-45-67', { kind: 'phone', value: '+79001234567' }],
    ['9001234567', { kind: 'phone', value: '+79001234567' }],
    ['+44 20 7946 0958', { kind: 'phone', value: '+442079460958' }],
  ])('accepts %s', (input, expected) => expect(parseContact(input)).toEqual(expected));

  it.each(['name@', '@example.com', 'позвоните мне', '12345', '+7 900 123-45-67-89-01-23-45', 'a@b'])(
    'refuses %s',
    (input) => expect(parseContact(input)).toBeNull(),
  );
});

describe('keyboards', () => {
  const rows = Array.from({ length: 8 }, (_, row) =>
    Array.from({ length: 3 }, (_, column) => ({
      label: `${row}:${column} ${'x'.repeat(50)}`,
      payload: { c: 'menu' as const },
    })),
  );

  it('keeps to VK inline limits: 6 rows, 10 buttons, labels of 40 characters', () => {
    const keyboard = buildKeyboard(rows, { callback: true, inline: true, keyboard: true }) as {
      inline: boolean;
      buttons: Array<Array<{ action: { type: string; label: string } }>>;
    };
    expect(keyboard.inline).toBe(true);
    expect(keyboard.buttons.flat()).toHaveLength(10);
    expect(keyboard.buttons.length).toBeLessThanOrEqual(6);
    expect(
      keyboard.buttons.flat().every((b) => [...b.action.label].length <= 40 && b.action.type === 'callback'),
    ).toBe(true);
  });

  it('falls back to a one-time keyboard of text buttons, or none', () => {
    const keyboard = buildKeyboard(rows, { callback: false, inline: false, keyboard: true }) as {
      one_time: boolean;
      buttons: Array<Array<{ action: { type: string } }>>;
    };
    expect(keyboard.one_time).toBe(true);
    expect(keyboard.buttons.flat().every((b) => b.action.type === 'text')).toBe(true);
    expect(buildKeyboard(rows, { callback: true, inline: false, keyboard: false })).toBeUndefined();
  });
});

describe('button payloads', () => {
  it('reads VK start, our commands from strings and objects, and refuses anything else', () => {
    expect(parseButtonPayload('{"command":"start"}')).toEqual({ kind: 'valid', payload: { c: 'start' } });
    expect(parseButtonPayload({ c: 'cat', id: 'bug' })).toEqual({
      kind: 'valid',
      payload: { c: 'cat', id: 'bug' },
    });
    expect(parseButtonPayload(undefined)).toEqual({ kind: 'none' });
    expect(parseButtonPayload('{"c":"cat","id":"bug","admin":true}')).toMatchObject({ kind: 'invalid' });
    expect(parseButtonPayload('{"c":"op","a":"take","t":"B-1; DROP"}')).toMatchObject({ kind: 'invalid' });
    expect(parseButtonPayload('x'.repeat(2000))).toEqual({ kind: 'invalid', reason: 'too_long' });
  });
});

describe('wording', () => {
  it('says when, relative to now, in the community timezone', () => {
    expect(describeMoment(wednesdayNoon + 3 * HOUR, wednesdayNoon, MSK, 'ru', 'by')).toBe('сегодня до 15:00');
    expect(describeMoment(wednesdayNoon + 21 * HOUR, wednesdayNoon, MSK, 'ru', 'from')).toBe('завтра с 9:00');
    expect(describeMoment(wednesdayNoon + 5 * 24 * HOUR, wednesdayNoon, MSK, 'en', 'from')).toBe(
      'on Monday from 12:00',
    );
    expect(describeMoment(wednesdayNoon + 10 * 24 * HOUR, wednesdayNoon, MSK, 'ru', 'at')).toBe(
      '28.11 в 12:00',
    );
    expect(describeMoment(wednesdayNoon - 2 * 24 * HOUR, wednesdayNoon, MSK, 'ru', 'at')).toBe(
      '16.11 в 12:00',
    );
  });

  it('greets by the local hour', () => {
    expect(greetingFor(Date.UTC(2026, 10, 18, 3, 0), MSK, 'ru')).toBe('Доброе утро'); // 06:00
    expect(greetingFor(wednesdayNoon, MSK, 'en')).toBe('Good afternoon');
    expect(greetingFor(Date.UTC(2026, 10, 18, 17, 0), MSK, 'ru')).toBe('Добрый вечер'); // 20:00
    expect(greetingFor(Date.UTC(2026, 10, 18, 23, 0), MSK, 'ru')).toBe('Доброй ночи'); // 02:00
  });
});

describe('long messages', () => {
  it('are split at line breaks into pieces VK shows whole', () => {
    const text = Array.from({ length: 300 }, (_, i) => `строка ${i} ${'ж'.repeat(20)}`).join('\n');
    const pieces = splitText(text, 4096);
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.every((piece) => piece.length <= 4096)).toBe(true);
    expect(pieces.join('\n')).toBe(text);
  });
});
