/**
 * The part of VKScript (the language of VK's `execute`) that the sandbox runs: exactly what the
 * product sends, `return [API.<section>.<method>({JSON object}), …];`. VK runs far more (variables,
 * loops, `@.`, VKScript's own object syntax); the sandbox refuses all of that with VK's error 12, so a
 * change in what we send shows up in tests instead of passing unnoticed.
 *
 * VK's facts (dev.vk.com/ru/execute): the code ends with `return <expression>`, statements are
 * separated by `;`, and a script holds at most 25 API calls. Errors (vk-api-schema errors.json): 12
 * "Unable to compile code", 13 "Runtime error occurred during code invocation".
 */

/** VK's limit of API calls in one `execute`. */
export const MAX_EXECUTE_CALLS = 25;

export interface ScriptCall {
  /** `messages.send` for `API.messages.send(…)`. */
  method: string;
  /** The call's argument, a JSON object. */
  args: Record<string, unknown>;
}

export type ParsedScript = { calls: ScriptCall[] } | { compileError: string };

/** Parses the code of an `execute` call strictly; any other code is a compile error (VK's 12). */
export function parseExecuteCode(code: string): ParsedScript {
  const scanner = new Scanner(code);
  try {
    scanner.skipSpace();
    scanner.expectWord('return');
    scanner.skipSpace();
    scanner.expect('[');
    const calls: ScriptCall[] = [];
    scanner.skipSpace();
    if (!scanner.take(']')) {
      for (;;) {
        scanner.skipSpace();
        calls.push(scanner.apiCall());
        scanner.skipSpace();
        if (scanner.take(']')) break;
        scanner.expect(',');
      }
    }
    scanner.skipSpace();
    scanner.take(';');
    scanner.skipSpace();
    if (!scanner.atEnd()) scanner.fail('nothing may follow the return statement');
    return { calls };
  } catch (error) {
    if (error instanceof CompileError) return { compileError: error.message };
    throw error;
  }
}

/**
 * A call's JSON argument as the form parameters a direct call would carry: strings as they are,
 * numbers in decimal, booleans as 1/0, arrays comma-joined (as VK takes list parameters); null is
 * left out. A nested object has no form encoding: returns the offending parameter's name.
 */
export function formParams(args: Record<string, unknown>): Record<string, string> | { invalid: string } {
  const params: Record<string, string> = {};
  for (const [name, value] of Object.entries(args)) {
    if (value === null) continue;
    const encoded = Array.isArray(value)
      ? value.every(isScalar)
        ? value.map(encodeScalar).join(',')
        : undefined
      : isScalar(value)
        ? encodeScalar(value)
        : undefined;
    if (encoded === undefined) return { invalid: name };
    params[name] = encoded;
  }
  return params;
}

function isScalar(value: unknown): value is string | number | boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

function encodeScalar(value: string | number | boolean): string {
  return typeof value === 'boolean' ? (value ? '1' : '0') : String(value);
}

class CompileError extends Error {}

class Scanner {
  readonly #code: string;
  #at = 0;

  constructor(code: string) {
    this.#code = code;
  }

  atEnd(): boolean {
    return this.#at >= this.#code.length;
  }

  skipSpace(): void {
    while (!this.atEnd() && /\s/.test(this.#code[this.#at]!)) this.#at++;
  }

  take(text: string): boolean {
    if (!this.#code.startsWith(text, this.#at)) return false;
    this.#at += text.length;
    return true;
  }

  expect(text: string): void {
    if (!this.take(text)) this.fail(`expected ${JSON.stringify(text)}`);
  }

  expectWord(word: string): void {
    const start = this.#at;
    if (this.identifier() === word) return;
    this.#at = start;
    this.fail(`expected "${word}"`);
  }

  /** `API.<section>.<method>(<JSON object>)`. */
  apiCall(): ScriptCall {
    const start = this.#at;
    if (this.identifier() !== 'API') {
      this.#at = start;
      this.fail('expected an API call, API.<section>.<method>({…})');
    }
    this.expect('.');
    const section = this.identifier();
    this.expect('.');
    const name = this.identifier();
    if (!section || !name) this.fail('expected a method name, API.<section>.<method>');
    this.skipSpace();
    this.expect('(');
    this.skipSpace();
    const args = this.jsonObject();
    this.skipSpace();
    this.expect(')');
    return { method: `${section}.${name}`, args };
  }

  identifier(): string {
    const match = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.#code.slice(this.#at, this.#at + 100));
    if (!match) return '';
    this.#at += match[0].length;
    return match[0];
  }

  /** A JSON object literal: its extent found by bracket depth outside strings, then JSON.parse. */
  jsonObject(): Record<string, unknown> {
    const start = this.#at;
    if (this.#code[start] !== '{') this.fail('a call takes one JSON object, {"name": value, …}');
    let depth = 0;
    let inString = false;
    for (let index = start; index < this.#code.length; index++) {
      const char = this.#code[index];
      if (inString) {
        if (char === '\\') index++;
        else if (char === '"') inString = false;
        continue;
      }
      if (char === '"') inString = true;
      else if (char === '{' || char === '[') depth++;
      else if (char === '}' || char === ']') depth--;
      if (depth === 0) {
        const literal = this.#code.slice(start, index + 1);
        let value: unknown;
        try {
          value = JSON.parse(literal);
        } catch (error) {
          this.fail(`the argument is not a JSON object (${(error as Error).message})`);
        }
        if (typeof value !== 'object' || value === null || Array.isArray(value))
          this.fail('a call takes one JSON object');
        this.#at = index + 1;
        return value as Record<string, unknown>;
      }
    }
    return this.fail('unterminated object literal');
  }

  fail(problem: string): never {
    const near = this.#code.slice(this.#at, this.#at + 30);
    throw new CompileError(
      `Unable to compile code: ${problem} at offset ${this.#at}${near ? ` (near ${JSON.stringify(near)})` : ''}; the sandbox runs only "return [API.<method>({JSON}), …];"`,
    );
  }
}
