/**
 * How operators type commands in their chat: English names or the Russian ones the team says
 * aloud, and ticket numbers as people type them (`B-1005`, `b1005`, `B 1005`, or with the Cyrillic
 * letter that looks the same, `В-1005`, typed without switching the keyboard).
 */

/** The chat's commands, by every name they answer to (lower case). */
export const COMMAND_NAMES: Readonly<Record<string, string>> = {
  queue: 'queue',
  очередь: 'queue',
  status: 'status',
  статус: 'status',
  take: 'take',
  взять: 'take',
  беру: 'take',
  resolve: 'resolve',
  решено: 'resolve',
  решить: 'resolve',
  reopen: 'reopen',
  переоткрыть: 'reopen',
  t: 't',
  т: 't',
  шаблон: 't',
  help: 'help',
  помощь: 'help',
  команды: 'help',
};

/** Cyrillic capitals that look like the Latin ones ticket numbers are made of. */
const LOOKALIKES: Readonly<Record<string, string>> = {
  А: 'A',
  В: 'B',
  Е: 'E',
  К: 'K',
  М: 'M',
  Н: 'H',
  О: 'O',
  Р: 'P',
  С: 'C',
  Т: 'T',
  У: 'Y',
  Х: 'X',
};

const TYPED_NUMBER = /(?:^|[\s(«"'])([A-ZА-ЯЁ])[-\s]?(\d{4,9})(?=$|[\s.,;:!?)»"'])/u;

/** The ticket number an argument names, as tickets are numbered (`B-1005`); null if none. */
export function ticketNumberIn(argument: string): string | null {
  const match = TYPED_NUMBER.exec(argument.toUpperCase());
  if (!match?.[1] || !match[2]) return null;
  const letter = LOOKALIKES[match[1]] ?? match[1];
  return /^[A-Z]$/.test(letter) ? `${letter}-${match[2]}` : null;
}
