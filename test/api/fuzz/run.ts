import type { Agent } from 'node:http';
import { pathOfTarget } from '../../../lib/http/http';
import { explainsItself, undocumented } from './documented-answers';
import { type OpenApiDocument, type Operation, operationReached } from './operations';
import type { RequestFactory } from './request-factory';
import { type Answer, send, targetOf } from './send';

/** A request that broke a rule, as the report shows it. */
export interface Finding {
  families: string[];
  method: string;
  target: string;
  status: number;
  detail: string;
}

export interface FuzzRun {
  /** The local stack's HTTP server, and one keep-alive connection to it. */
  base: URL;
  agent: Agent;
  document: OpenApiDocument;
  operations: Operation[];
  factory: RequestFactory;
  /** Requests per operation. */
  rounds: number;
  /** The row counts a request may change (see `writtenRowCounts`). */
  writtenRows: () => string;
  /** The stack's error log: a 5xx's finding quotes its last line. */
  errorLines: readonly string[];
}

export interface FuzzOutcome {
  sent: number;
  refused: number;
  /** Successes checked against their route's response schema. */
  validated: number;
  serverErrors: Finding[];
  /** Refusals from the API that are not a problem with a detail. */
  unexplained: Finding[];
  /** Refusals that wrote rows all the same. */
  partialWrites: Finding[];
  /** Answers not as the document says. */
  untrue: Finding[];
  /** `METHOD /template` of each operation answered 2xx at least once. */
  answeredOk: Set<string>;
}

/** Sends `rounds` fuzzed requests per operation, one at a time, and sorts what broke a rule. */
export async function runFuzzer(run: FuzzRun): Promise<FuzzOutcome> {
  const { base, agent, document, operations, factory, writtenRows, errorLines } = run;
  const outcome: FuzzOutcome = {
    sent: 0,
    refused: 0,
    validated: 0,
    serverErrors: [],
    unexplained: [],
    partialWrites: [],
    untrue: [],
    answeredOk: new Set<string>(),
  };

  for (let round = 0; round < run.rounds; round++) {
    for (const operation of operations) {
      const fuzzed = factory.build(operation);
      const before = writtenRows();
      const finding = (status: number, detail: string): Finding => ({
        families: fuzzed.families,
        method: fuzzed.method,
        target: targetOf(fuzzed).slice(0, 160),
        status,
        detail: detail.slice(0, 300),
      });
      let answer: Answer;
      try {
        answer = await send(base, agent, fuzzed);
      } catch (error) {
        outcome.serverErrors.push(finding(0, `no answer: ${(error as Error).message}`));
        continue;
      } finally {
        outcome.sent++;
      }
      if (answer.status >= 500) {
        outcome.serverErrors.push(finding(answer.status, `${answer.body} ${errorLines.slice(-1).join('')}`));
        continue;
      }
      // Answers the API gave (not Node's parser, not the local server outside /api/) are as documented.
      if (
        answer.headers['content-type'] !== undefined &&
        pathOfTarget(targetOf(fuzzed)).startsWith('/api/')
      ) {
        const reached = operationReached(operations, fuzzed.method, pathOfTarget(targetOf(fuzzed)));
        const problems = undocumented(document, reached ?? operation, answer, reached !== undefined);
        if (problems.length > 0) outcome.untrue.push(finding(answer.status, problems.join('; ')));
        if (answer.status < 400) outcome.validated++;
      }
      if (answer.status < 400) {
        outcome.answeredOk.add(`${operation.method} ${operation.template}`);
        continue;
      }
      outcome.refused++;
      // A refusal from the API says what was wrong. Not the API's: Node's HTTP parser refusing a
      // request line or headers (400, 431: no body), the local server's 404 outside /api/ (it
      // resolves dot segments first, as a gateway does), and HEAD, whose answer has no body.
      const nodeRefused = answer.body === '' && answer.headers['content-type'] === undefined;
      const fromApi =
        !nodeRefused && fuzzed.method !== 'HEAD' && pathOfTarget(targetOf(fuzzed)).startsWith('/api/');
      if (fromApi && !explainsItself(answer)) outcome.unexplained.push(finding(answer.status, answer.body));
      const after = writtenRows();
      if (after !== before) outcome.partialWrites.push(finding(answer.status, `${before} → ${after}`));
    }
  }
  return outcome;
}
