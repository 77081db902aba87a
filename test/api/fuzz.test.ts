import { Agent } from 'node:http';
import { openApiDocument } from '../../lib/api/openapi';
import { handleApiRequest, routes } from '../../lib/api/routes';
import { loadConfig } from '../../lib/config/schema';
import { pathOfTarget, requestFromEvent } from '../../lib/http/http';
import { knowledgeBase } from '../../lib/kb/articles';
import type { HttpEvent } from '../../lib/platform/types';
import { apiSettingsFrom } from '../../lib/tickets/compose';
import { devDefaults, type LocalStack, startLocalStack } from '../../scripts/local/stack';
import { ORIGIN, seedFixture } from './fuzz/fixture';
import { operationsOf } from './fuzz/operations';
import { Random } from './fuzz/random';
import { summaryLine } from './fuzz/report';
import { RequestFactory } from './fuzz/request-factory';
import { runFuzzer } from './fuzz/run';
import { writtenRowCounts } from './fuzz/written-rows';

/**
 * The ticket-api under a seeded fuzzer, through the local stack's HTTP server (the path `npm start`
 * serves): every operation of the OpenAPI document the API builds, sent as the mini app or an
 * operator would and then broken — paths (bad percent-escapes, overlong segments, unicode, dot
 * segments), queries, bodies (wrong types, missing and extra fields, huge strings, deep nesting,
 * invalid JSON, wrong content types, bytes that are not UTF-8), headers (forged or malformed launch
 * params, bad operator tokens, huge headers) and methods.
 *
 * Nothing may answer 5xx; every 4xx the API gives is a problem (RFC 9457) with a detail; a request
 * answered 4xx writes nothing; and every answer is as the document says: a documented status, only
 * documented headers (Retry-After, Idempotent-Replayed, Content-Disposition, Allow), and a success's
 * body valid against the route's response schema (lib/api/responses.ts, strict: no undocumented
 * field). The requests are a pure function of the seed (FUZZ_SEED, FUZZ_ROUNDS to explore further),
 * bounded to a few seconds of CI.
 *
 * The machinery lives in ./fuzz/: the seeded source and schema values, the malformed-input families,
 * the request factory, sending, the partial-write check, the document check and the summary.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 19);
/** Requests per operation. */
const ROUNDS = Number(process.env.FUZZ_ROUNDS ?? 520);

describe('the ticket-api under a seeded fuzzer', () => {
  let stack: LocalStack;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const errorLines: string[] = [];

  beforeAll(async () => {
    stack = await startLocalStack(
      { LOG_LEVEL: 'error', MINI_APP_ORIGINS: ORIGIN },
      { inMemory: true, pollMs: 10, sink: (line) => errorLines.push(line) },
    );
  });
  afterAll(async () => {
    agent.destroy();
    await stack.close();
  });

  it('answers no request with a 5xx, refuses as problems, and writes nothing it refused', async () => {
    const fixture = await seedFixture(stack, agent);
    expect(fixture.tickets).toHaveLength(fixture.users.length);

    const document = openApiDocument(routes);
    const operations = operationsOf(document);
    const outcome = await runFuzzer({
      base: new URL(stack.url),
      agent,
      document,
      operations,
      factory: new RequestFactory(new Random(SEED), fixture),
      rounds: ROUNDS,
      writtenRows: writtenRowCounts(stack.store.db),
      errorLines,
    });

    console.log(summaryLine(outcome, SEED, operations.length));
    const { serverErrors, unexplained, partialWrites, untrue, answeredOk } = outcome;
    const byDetail = new Map(untrue.map((found) => [found.detail, found]));
    expect({ count: untrue.length, kinds: [...byDetail.values()].slice(0, 12) }).toEqual({
      count: 0,
      kinds: [],
    });
    expect({ count: serverErrors.length, first: serverErrors.slice(0, 8) }).toEqual({ count: 0, first: [] });
    expect({ count: unexplained.length, first: unexplained.slice(0, 8) }).toEqual({ count: 0, first: [] });
    expect({ count: partialWrites.length, first: partialWrites.slice(0, 8) }).toEqual({
      count: 0,
      first: [],
    });
    // The valid requests got through: every operation was answered 2xx at least once.
    expect(
      operations
        .map((operation) => `${operation.method} ${operation.template}`)
        .filter((operation) => !answeredOk.has(operation)),
    ).toEqual([]);
    // About 20 s alone; beside the other suites on CI's two cores it has taken 57–121 s. Its work is
    // bounded by the seed and the request count, so the limit only guards against a hang.
  }, 300_000);

  it("takes any target on the function's entry, where API Gateway passes the path as sent (`url`)", async () => {
    const config = loadConfig({ ...devDefaults, MINI_APP_ORIGINS: ORIGIN }, ['miniApp', 'api']);
    const deps = {
      store: stack.store,
      logger: stack.logger,
      clock: stack.clock,
      tickets: stack.tickets,
      knowledgeBase,
      settings: apiSettingsFrom(config.miniApp, config.api),
    };
    const targets = [
      '//[/api/ping',
      '//evil.example/api/ping',
      '///api/ping',
      'https://gateway.example/api/ping?x=1',
      '/api/kb/%E0%A4%A',
      '/api/kb/%E0%A4%A?lang=%zz',
      '/api/tickets/%ED%A0%80',
      '/api/tickets/../ops/tickets',
      '/api/kb/é#fragment',
      '?',
      '',
    ];
    const answers = [];
    for (const url of targets) {
      const event = { httpMethod: 'GET', url, headers: {}, body: '', isBase64Encoded: false };
      const request = requestFromEvent(event as unknown as HttpEvent, 'fuzz');
      const answer = await handleApiRequest(request, deps);
      answers.push({
        url,
        path: request.path,
        status: answer.statusCode < 500 ? 'below 500' : answer.statusCode,
      });
    }
    expect(answers).toEqual(targets.map((url) => ({ url, path: pathOfTarget(url), status: 'below 500' })));
    expect(pathOfTarget('//[/api/ping')).toBe('//[/api/ping');
    expect(pathOfTarget('https://gateway.example/api/kb/x?q=1')).toBe('/api/kb/x');
    expect(pathOfTarget('/api/tickets/../ops?x#y')).toBe('/api/tickets/../ops');
  });
});
