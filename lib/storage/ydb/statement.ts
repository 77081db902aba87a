import type { Value } from '@ydbjs/value';
import { typeToString } from '@ydbjs/value/print';

/** Named parameters of one statement, `$name` → a typed YDB value (see `yv`). */
export type Params = Record<string, Value>;

/** One row of a result set, by column name, already converted to JS (`toJs`). */
export type Row = Record<string, unknown>;

/**
 * What the adapter sends for one statement: a `DECLARE` per parameter, then the text. YDB's
 * Query service takes undeclared parameters too, but declaring them is what the SDK's builder does
 * and what the grammar check in CI parses, so the text checked is the text sent.
 */
export function renderStatement(text: string, params: Params = {}): string {
  const declarations = Object.entries(params).map(
    ([name, value]) =>
      `DECLARE ${name.startsWith('$') ? name : `$${name}`} AS ${typeToString(value.type)};\n`,
  );
  return declarations.join('') + text;
}

/**
 * The one thing repositories need from YDB: run a statement inside the current transaction and get
 * its result sets back. The store gives them a transaction's; the statement capture gives them a
 * recorder.
 */
export interface Statements {
  query(text: string, params?: Params): Promise<Row[][]>;
}
