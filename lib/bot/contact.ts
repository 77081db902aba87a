import * as z from 'zod';

export type Contact = { kind: 'email'; value: string } | { kind: 'phone'; value: string };

const email = z.email().max(254);

/**
 * A contact the bot asked for: an e-mail, or a phone number normalised to `+<digits>` (a Russian
 * `8 9xx…` becomes `+7 9xx…`). Anything else is null: the bot re-asks with an example and stores nothing.
 */
export function parseContact(input: string): Contact | null {
  const text = input.trim();
  if (text.includes('@')) {
    const parsed = email.safeParse(text.toLowerCase());
    return parsed.success ? { kind: 'email', value: parsed.data } : null;
  }
  if (!/^\+?[\d\s()-]{7,25}$/.test(text)) return null;
  let digits = text.replace(/\D/g, '');
  if (digits.length === 11 && digits.startsWith('8') && !text.startsWith('+')) digits = `7${digits.slice(1)}`;
  if (digits.length === 10 && digits.startsWith('9') && !text.startsWith('+')) digits = `7${digits}`;
  if (digits.length < 10 || digits.length > 15) return null;
  return { kind: 'phone', value: `+${digits}` };
}
