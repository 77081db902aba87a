import type { Language } from '../storage/port';

/**
 * Every text users see, in ru and en. Templates use `{name}` variables; `render` refuses a variable
 * the caller did not give, and the catalog test checks both languages use the same variables.
 */
export const catalog = {
  ru: {
    'ticket.reply': '💬 Ответ по обращению {number}:\n\n{text}',
    'ticket.status': 'Обращение {number}: {status}',
    'ticket.reply.notification': 'Новый ответ по обращению {number}',
    'ticket.status.notification': 'Обращение {number}: {status}',
    'status.new': 'принято',
    'status.in_progress': 'взято в работу',
    'status.waiting_for_user': 'ждём вашего ответа',
    'status.resolved': 'решено ✅',
    'status.closed': 'закрыто',
    'sla.alert': '⏰ SLA нарушен: {number} ({category}), {target}. Назначено: {assignee}.',
    'sla.target.firstResponse': 'нет первого ответа',
    'sla.target.resolution': 'не решено в срок',
  },
  en: {
    'ticket.reply': '💬 Reply on ticket {number}:\n\n{text}',
    'ticket.status': 'Ticket {number}: {status}',
    'ticket.reply.notification': 'New reply on ticket {number}',
    'ticket.status.notification': 'Ticket {number}: {status}',
    'status.new': 'received',
    'status.in_progress': 'in progress',
    'status.waiting_for_user': 'waiting for your answer',
    'status.resolved': 'resolved ✅',
    'status.closed': 'closed',
    'sla.alert': '⏰ SLA breached: {number} ({category}), {target}. Assignee: {assignee}.',
    'sla.target.firstResponse': 'no first response',
    'sla.target.resolution': 'not resolved in time',
  },
} as const satisfies Record<Language, Record<string, string>>;

export type TextKey = keyof (typeof catalog)['ru'];

export function render(
  language: Language,
  key: TextKey,
  variables: Record<string, string | number> = {},
): string {
  return catalog[language][key].replace(/\{(\w+)\}/g, (_match, name: string) => {
    const value = variables[name];
    if (value === undefined) throw new RangeError(`text ${key} needs {${name}}`);
    return String(value);
  });
}
