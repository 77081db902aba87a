/**
 * The layout `terraform fmt` gives HCL, for files written here without a Terraform binary: two
 * spaces per open bracket (a line opening several counts once, as hclwrite does), `=` aligned
 * across consecutive one-line attributes, trailing comments aligned across consecutive lines, no
 * trailing spaces, one final newline. It re-lays out whitespace only and never touches tokens, so
 * `formatHcl(text) === text` is the check, and `npm run tf:fmt` writes the result.
 */

interface Line {
  /** The line's code without its leading and trailing space and without a trailing comment. */
  code: string;
  comment: string;
  /** Index of the attribute's `=` in `code`, when the line is a whole one-line attribute. */
  assignAt: number;
  brackets: number;
}

export function formatHcl(text: string): string {
  const lines = text.replace(/\r\n/g, '\n').replace(/\n+$/, '').split('\n').map(scanLine);
  indent(lines);
  alignChains(
    lines,
    (line) => line.assignAt >= 0,
    (line) => line.code.slice(0, line.assignAt).trimEnd().length,
    (line, width) => {
      const lead = line.code.slice(0, line.assignAt).trimEnd();
      line.code = `${lead.padEnd(width)} ${line.code.slice(line.assignAt).replace(/^=\s*/, '= ')}`;
    },
  );
  alignChains(
    lines,
    (line) => line.comment !== '' && line.code !== '',
    (line) => line.code.length,
    (line, width) => {
      line.code = line.code.padEnd(width);
    },
  );
  return `${lines.map((line) => `${' '.repeat(line.indent)}${[line.code, line.comment].filter(Boolean).join(' ')}`.trimEnd()).join('\n')}\n`;
}

type IndentedLine = Line & { indent: number };

function indent(lines: Line[]): asserts lines is IndentedLine[] {
  const levels: number[] = [];
  for (const line of lines as IndentedLine[]) {
    if (line.code === '' && line.comment === '') {
      line.indent = 0;
      continue;
    }
    if (line.brackets < 0) {
      let closed = -line.brackets;
      while (closed > 0 && levels.length > 0) {
        const top = levels[levels.length - 1] as number;
        if (closed >= top) {
          closed -= top;
          levels.pop();
        } else {
          levels[levels.length - 1] = top - closed;
          closed = 0;
        }
      }
    }
    line.indent = 2 * levels.length;
    if (line.brackets > 0) levels.push(line.brackets);
  }
}

/** Pads a property across each run of consecutive lines that have it, as hclwrite's cells do. */
function alignChains(
  lines: IndentedLine[],
  has: (line: IndentedLine) => boolean,
  width: (line: IndentedLine) => number,
  apply: (line: IndentedLine, width: number) => void,
): void {
  let start = -1;
  const close = (end: number) => {
    const chain = lines.slice(start, end);
    const widest = Math.max(...chain.map(width));
    for (const line of chain) apply(line, widest);
    start = -1;
  };
  lines.forEach((line, index) => {
    if (has(line)) {
      if (start < 0) start = index;
    } else if (start >= 0) close(index);
  });
  if (start >= 0) close(lines.length);
}

/**
 * Splits one line into code and trailing comment and counts its net brackets, skipping string
 * contents (but not the interpolations inside them, which nest strings of their own).
 */
function scanLine(raw: string): Line {
  const text = raw.trim();
  let brackets = 0;
  let assignAt = -1;
  let commentAt = -1;
  // A stack of contexts: 'code' (with its brace depth) or 'string'.
  const stack: Array<{ kind: 'code' | 'string'; depth: number }> = [{ kind: 'code', depth: 0 }];
  for (let i = 0; i < text.length; i++) {
    const top = stack[stack.length - 1] as { kind: 'code' | 'string'; depth: number };
    const char = text[i] as string;
    const next = text[i + 1];
    if (top.kind === 'string') {
      if (char === '\\') i++;
      else if (char === '"') stack.pop();
      else if ((char === '$' || char === '%') && next === '{') {
        if (text[i - 1] === char) continue; // $${ and %%{ are escapes
        stack.push({ kind: 'code', depth: 0 });
        i++;
      }
      continue;
    }
    if (char === '"') {
      stack.push({ kind: 'string', depth: 0 });
      continue;
    }
    if (char === '#' || (char === '/' && (next === '/' || next === '*'))) {
      if (stack.length === 1) {
        commentAt = i;
        break;
      }
    }
    if ('([{'.includes(char)) {
      top.depth++;
      if (stack.length === 1) brackets++;
    } else if (')]}'.includes(char)) {
      if (stack.length > 1 && char === '}' && top.depth === 0) {
        stack.pop(); // the end of an interpolation
        continue;
      }
      top.depth--;
      if (stack.length === 1) brackets--;
    } else if (
      char === '=' &&
      stack.length === 1 &&
      assignAt < 0 &&
      i > 0 &&
      brackets === 0 &&
      !'=!<>'.includes(text[i - 1] as string) &&
      next !== '=' &&
      next !== '>'
    ) {
      assignAt = i;
    }
  }
  const code = (commentAt >= 0 ? text.slice(0, commentAt) : text).trimEnd();
  const comment = commentAt >= 0 ? text.slice(commentAt) : '';
  // Like hclwrite: an attribute whose value opens more than it closes starts a multi-line value and
  // takes no part in alignment.
  const assignBrackets = assignAt >= 0 ? bracketsAfter(code, assignAt) : 0;
  return { code, comment, assignAt: assignAt >= 0 && assignBrackets === 0 ? assignAt : -1, brackets };
}

function bracketsAfter(code: string, from: number): number {
  return scanLine(code.slice(from + 1)).brackets;
}
