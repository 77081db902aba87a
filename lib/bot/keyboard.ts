import type { ButtonPayload } from './payload';

/** What the user's VK client can show, from `client_info` of their last message. */
export interface ClientCapabilities {
  callback: boolean;
  inline: boolean;
  keyboard: boolean;
}

/** When VK told us nothing (a join, a leave): text buttons in an inline keyboard work on every current client. */
export const assumedCapabilities: ClientCapabilities = { callback: false, inline: true, keyboard: true };

export function capabilitiesFrom(clientInfo: {
  button_actions: readonly string[];
  keyboard: boolean;
  inline_keyboard: boolean;
}): ClientCapabilities {
  return {
    callback: clientInfo.button_actions.includes('callback'),
    inline: clientInfo.inline_keyboard,
    keyboard: clientInfo.keyboard,
  };
}

export type ButtonColor = 'primary' | 'secondary' | 'positive' | 'negative';

export interface Button {
  label: string;
  payload: ButtonPayload;
  color?: ButtonColor;
}

/** VK's limits (https://dev.vk.com/ru/api/bots/development/keyboard). */
const LIMITS = {
  inline: { rows: 6, perRow: 5, total: 10 },
  normal: { rows: 10, perRow: 5, total: 40 },
  label: 40,
} as const;

/**
 * A VK keyboard for this client: inline where it can show inline keyboards (a normal one-time
 * keyboard otherwise, none if it shows neither), callback buttons only where `button_actions` lists
 * `callback`, text buttons otherwise (their press arrives as a message with the same payload).
 * `placement: 'normal'` asks for the normal keyboard whatever the client (more buttons than an inline
 * one holds: the NPS survey's eleven); none where the client shows no normal keyboard.
 */
export function buildKeyboard(
  rows: readonly (readonly Button[])[],
  client: ClientCapabilities,
  options: { placement?: 'auto' | 'normal' } = {},
): object | undefined {
  const inline = options.placement === 'normal' ? false : client.inline;
  if (!inline && !client.keyboard) return undefined;
  const limits = inline ? LIMITS.inline : LIMITS.normal;
  let budget = limits.total;
  const buttons = [];
  for (const row of rows.slice(0, limits.rows)) {
    const cells = row.slice(0, Math.min(limits.perRow, budget)).map((button) => ({
      action: {
        type: client.callback ? 'callback' : 'text',
        label: truncate(button.label, LIMITS.label),
        payload: JSON.stringify(button.payload),
      },
      color: button.color ?? 'secondary',
    }));
    budget -= cells.length;
    if (cells.length > 0) buttons.push(cells);
    if (budget <= 0) break;
  }
  return inline ? { inline: true, buttons } : { one_time: true, buttons };
}

function truncate(label: string, max: number): string {
  const characters = [...label];
  return characters.length <= max ? label : `${characters.slice(0, max - 1).join('')}…`;
}
