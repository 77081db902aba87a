import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { captureYdbStatements } from './yql-statements';

/** Where `.ci/run` finds the statements for YDB's grammar (`node ../shared/tools/yql/check.cjs FILE`). */
const statementsFile = join(__dirname, '..', '..', 'test-output', 'yql-statements.json');
const checker = join(__dirname, '..', '..', '..', 'shared', 'tools', 'yql', 'check.cjs');

describe('every YQL statement the YDB adapter sends', () => {
  let captured: Awaited<ReturnType<typeof captureYdbStatements>>;

  beforeAll(async () => {
    captured = await captureYdbStatements();
    mkdirSync(join(statementsFile, '..'), { recursive: true });
    writeFileSync(statementsFile, `${JSON.stringify(captured.statements, null, 1)}\n`);
  });

  it('covers every method of every repository', () => {
    expect(captured.methods.filter((method) => !captured.covered.has(method))).toEqual([]);
  });

  it('declares every parameter it uses', () => {
    const undeclared = captured.statements.flatMap(({ site, text }) => {
      const declared = new Set([...text.matchAll(/DECLARE (\$\w+) AS/g)].map((match) => match[1]));
      const used = new Set(
        [...text.replace(/DECLARE \$\w+ AS [^;]+;/g, '').matchAll(/\$\w+/g)].map((m) => m[0]),
      );
      return [...used].filter((name) => !declared.has(name)).map((name) => `${site}: ${name}`);
    });
    expect(undeclared).toEqual([]);
  });

  it('quotes `variant`, a type keyword in YQL, wherever it names a column', () => {
    const bare = captured.statements.filter(({ text }) => /(?<![`$.\w])variant(?![`\w])/.test(text));
    expect(bare.map((statement) => statement.site)).toEqual([]);
  });

  it('updates rows with UPDATE, never UPSERT: a row deleted meanwhile is not brought back', () => {
    const updates = captured.statements.filter(({ site }) => /\.update\w*( |$)/.test(site));
    expect(updates.map(({ site }) => site).sort()).toEqual([
      'broadcasts.update',
      'jobs.update',
      'jobs.update (done)',
      'surveys.update',
      'tickets.update',
      'tickets.updateMessage',
    ]);
    expect(updates.filter(({ text }) => !/\nUPDATE \w+ SET /.test(text)).map(({ site }) => site)).toEqual([]);
  });

  // .ci/run runs the same check on the file; here it runs when ../shared is beside the checkout.
  (existsSync(checker) ? it : it.skip)('passes YDB’s own grammar', () => {
    const output = execFileSync(process.execPath, [checker, statementsFile], { encoding: 'utf8' });
    expect(output).toMatch(/, 0 rejected/);
  });
});
