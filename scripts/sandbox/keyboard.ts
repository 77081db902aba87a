/** VK's keyboard rules (dev.vk.com/ru/api/bots/development/keyboard); null when the keyboard is fine. */
export function keyboardProblem(raw: string): string | null {
  let keyboard: { inline?: boolean; buttons?: unknown };
  try {
    keyboard = JSON.parse(raw);
  } catch {
    return 'not JSON';
  }
  if (!Array.isArray(keyboard.buttons)) return 'buttons must be an array';
  const rows = keyboard.buttons as Array<
    Array<{ action?: { type?: string; label?: string; payload?: string }; color?: string }>
  >;
  const limits = keyboard.inline ? { rows: 6, total: 10 } : { rows: 10, total: 40 };
  if (rows.length > limits.rows) return `more than ${limits.rows} rows`;
  if (rows.flat().length > limits.total) return `more than ${limits.total} buttons`;
  for (const row of rows) {
    if (!Array.isArray(row) || row.length > 5) return 'a row holds 1 to 5 buttons';
    for (const button of row) {
      const action = button.action;
      if (!action?.type) return 'a button needs an action type';
      if ((action.type === 'text' || action.type === 'callback') && [...(action.label ?? '')].length > 40)
        return 'label longer than 40';
      if (action.payload !== undefined && action.payload.length > 255) return 'payload longer than 255';
      if (button.color && !['primary', 'secondary', 'positive', 'negative'].includes(button.color))
        return 'unknown color';
    }
  }
  return null;
}
