/**
 * Text templates with `{name}` variables and fallbacks: `{first_name|друг}` renders "друг" when the
 * first name is unknown or empty. Compiled once, when the text is loaded: a variable outside the
 * allowed set is a load error (it must never reach a user as a blank), and rendering without a value
 * for a variable that has no fallback throws instead of sending a gap.
 */

export class TemplateError extends Error {
  override readonly name = 'TemplateError';
}

type Part = string | { variable: string; fallback: string | null };

export interface CompiledTemplate {
  readonly source: string;
  /** Variable names in order of first use. */
  readonly variables: readonly string[];
  /** Variables without a fallback: rendering needs a value for each. */
  readonly required: readonly string[];
  readonly parts: readonly Part[];
}

const VARIABLE = /\{([a-z][a-z0-9_]*)(?:\|([^{}]*))?\}/g;

/**
 * Parses `source`. `allowed` names the variables the caller can supply; omit it to accept any name
 * (the caller's own catalog, whose variables the code passes).
 */
export function compileTemplate(
  source: string,
  allowed?: ReadonlySet<string>,
  label = 'template',
): CompiledTemplate {
  const parts: Part[] = [];
  const variables: string[] = [];
  const required = new Set<string>();
  let last = 0;
  const literal = (text: string) => {
    // A brace left outside a variable is a misspelt one (`{First_Name}`, `{name`): refuse it too.
    if (/[{}]/.test(text))
      throw new TemplateError(`${label}: malformed variable near "${text.slice(0, 40)}"`);
    if (text) parts.push(text);
  };
  for (const match of source.matchAll(VARIABLE)) {
    const [whole, variable = '', fallback] = match;
    if (allowed && !allowed.has(variable)) {
      throw new TemplateError(
        `${label}: unknown variable {${variable}}; known: ${[...allowed].map((name) => `{${name}}`).join(', ')}`,
      );
    }
    literal(source.slice(last, match.index));
    parts.push({ variable, fallback: fallback ?? null });
    if (!variables.includes(variable)) variables.push(variable);
    if (fallback === undefined) required.add(variable);
    last = match.index + whole.length;
  }
  literal(source.slice(last));
  return { source, variables, required: [...required], parts };
}

/** Renders a compiled template; a missing (or blank) value takes the fallback; missing without one throws. */
export function renderTemplate(
  template: CompiledTemplate,
  values: Readonly<Record<string, string | number | null | undefined>>,
  label = 'template',
): string {
  let out = '';
  for (const part of template.parts) {
    if (typeof part === 'string') {
      out += part;
      continue;
    }
    const value = values[part.variable];
    if (value === undefined || value === null) {
      if (part.fallback === null) throw new TemplateError(`${label} needs {${part.variable}}`);
      out += part.fallback;
    } else if (String(value).trim() === '' && part.fallback !== null) {
      out += part.fallback; // a blank name is as unknown as a missing one
    } else {
      out += String(value); // an empty optional line (`{attachments}`) renders as nothing
    }
  }
  return out;
}
