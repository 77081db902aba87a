import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import ts from 'typescript';
import { type LocalStack, startLocalStack } from '../../scripts/local/stack';

/**
 * The README's "Typed client" example, exactly as written there: it typechecks against the generated
 * types (openapi/ticket-api.d.ts), a mistake in it does not, and it files a ticket on the local stack.
 */
const ROOT = resolve(__dirname, '../..');
const OUTPUT = join(ROOT, 'test-output', 'readme-client');

function readmeExample(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const block = /<!-- typed-client:start -->\s*```ts\n([\s\S]*?)```\s*<!-- typed-client:end -->/.exec(readme);
  if (!block?.[1]) throw new Error('README.md has no typed-client block');
  return block[1];
}

/** The example written next to the repository's root as the README has it (`./openapi/…` → `../../openapi/…`). */
function writeExample(name: string, source: string): string {
  mkdirSync(OUTPUT, { recursive: true });
  const file = join(OUTPUT, name);
  writeFileSync(file, source.replaceAll("'./openapi/", "'../../openapi/"));
  return file;
}

/** tsc's diagnostics for one file, under the mini app's likely settings (strict, ES modules, DOM-free). */
function typeErrors(file: string): string[] {
  const program = ts.createProgram([file], {
    strict: true,
    noUncheckedIndexedAccess: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.Preserve,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    lib: ['lib.es2023.d.ts'],
    types: ['node'],
    typeRoots: [join(ROOT, 'node_modules/@types')],
    skipLibCheck: true,
    noEmit: true,
  });
  return ts
    .getPreEmitDiagnostics(program)
    .map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
}

describe("the README's typed client", () => {
  const example = readmeExample();

  it('typechecks against the generated types', () => {
    expect(typeErrors(writeExample('example.ts', example))).toEqual([]);
  });

  it('does not typecheck with a body field or a path the API lacks (the types bite)', () => {
    const misspelt = example.replace('subject:', 'subjekt:');
    const wrongPath = example.replace("api.GET('/api/tickets'", "api.GET('/api/ticket'");
    expect(misspelt).not.toBe(example);
    expect(wrongPath).not.toBe(example);
    expect(typeErrors(writeExample('misspelt.ts', misspelt)).join('\n')).toMatch(/subjekt/);
    expect(typeErrors(writeExample('wrong-path.ts', wrongPath)).join('\n')).toMatch(/\/api\/ticket/);
  }, 60_000);

  describe('on the local stack', () => {
    let stack: LocalStack;
    beforeAll(async () => {
      stack = await startLocalStack({ LOG_LEVEL: 'error' }, { inMemory: true, sink: () => {} });
    });
    afterAll(() => stack.close());

    it('files a ticket and finds it among the user’s latest', async () => {
      const compiled = ts.transpileModule(example, {
        compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
      }).outputText;
      const file = join(OUTPUT, 'example.cjs');
      writeFileSync(file, compiled);
      const { fileTicket } = require(file) as {
        fileTicket: (baseUrl: string, launchParams: string) => Promise<Array<{ number: string }>>;
      };
      const log = jest.spyOn(console, 'log').mockImplementation(() => {});
      try {
        const tickets = await fileTicket(stack.url, stack.launchParamsFor(1001));
        expect(tickets).toHaveLength(1);
        expect(log).toHaveBeenCalledWith(tickets[0]?.number, expect.any(String));
      } finally {
        log.mockRestore();
      }
    });
  });
});
