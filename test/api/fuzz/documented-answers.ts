import { problemSchema } from '../../../lib/api/responses';
import { routes } from '../../../lib/api/routes';
import type { OpenApiDocument, Operation } from './operations';
import type { Answer } from './send';

/** Headers whose presence the document must announce (CORS and content-type are said once, in `info`). */
const ANNOUNCED_HEADERS = ['retry-after', 'idempotent-replayed', 'content-disposition', 'location', 'allow'];

type DocumentedResponses = Record<string, { headers?: Record<string, unknown>; $ref?: string }>;

/**
 * What in an answer the document does not say: a success whose status is not listed or whose JSON
 * body fails the route's response schema (the one the document was generated from), or a header the
 * document does not list for that status. Empty when the answer is as documented.
 */
export function undocumented(
  document: OpenApiDocument,
  operation: Operation,
  answer: Answer,
  reachedOperation: boolean,
): string[] {
  const problems: string[] = [];
  const documented = (document.paths[operation.template]?.[operation.method.toLowerCase()] ?? {}) as {
    responses?: DocumentedResponses;
  };
  const responses = documented.responses ?? {};
  const listed = responses[String(answer.status)] ?? (answer.status >= 400 ? responses['4XX'] : undefined);
  if (!listed) return [`status ${answer.status} is not documented`];
  // Sent to this operation (its method, a path its template matches), a refusal is one it lists: only
  // the router's "no such route" and "method not allowed" are left to the catch-all 4XX.
  if (answer.status >= 400 && reachedOperation && !responses[String(answer.status)]) {
    const type = (() => {
      try {
        return String((JSON.parse(answer.body) as { type?: unknown }).type);
      } catch {
        return '';
      }
    })();
    if (!/\/(not_found|method_not_allowed)$/.test(type))
      problems.push(
        `status ${answer.status} (${type}) is not listed for ${operation.method} ${operation.template}`,
      );
  }
  const resolved = listed.$ref
    ? (document.components.responses as DocumentedResponses)[listed.$ref.split('/').pop() ?? '']
    : listed;
  const headers = Object.keys(resolved?.headers ?? {}).map((name) => name.toLowerCase());
  for (const name of ANNOUNCED_HEADERS)
    if (answer.headers[name] !== undefined && !headers.includes(name))
      problems.push(`header ${name} is not documented for ${answer.status}`);
  if (answer.status >= 400) {
    // The body a refusal has is the document's Problem (HEAD's has none).
    if (answer.body !== '') {
      const checked = (() => {
        try {
          return problemSchema.safeParse(JSON.parse(answer.body)).success;
        } catch {
          return false;
        }
      })();
      if (!checked) problems.push(`the ${answer.status} body is not a Problem`);
    }
    return problems;
  }
  const route = routes.find((r) => r.method === operation.method && r.path === operation.template);
  const spec = route?.responses[answer.status];
  const schema = typeof spec === 'object' ? spec.schema : undefined;
  if (!schema) return [...problems, `no response schema for ${answer.status}`];
  // A documented non-JSON body (a CSV export): its media type, and its text against the schema.
  const contentType = typeof spec === 'object' ? spec.contentType : undefined;
  if (contentType && !String(answer.headers['content-type']).startsWith(contentType))
    problems.push(`content-type ${answer.headers['content-type']} is not ${contentType}`);
  let body: unknown = answer.body;
  if (!contentType) {
    try {
      body = JSON.parse(answer.body);
    } catch {
      return [...problems, 'the body is not JSON'];
    }
  }
  const checked = schema.safeParse(body);
  if (!checked.success)
    problems.push(
      ...checked.error.issues.map(
        (issue) => `body.${issue.path.join('.')}: ${issue.message} (${issue.code})`,
      ),
    );
  return problems;
}

/** Whether a refusal says what was wrong: a problem+json (RFC 9457) with its type, status and a detail. */
export function explainsItself(answer: Answer): boolean {
  const problem = (() => {
    try {
      return JSON.parse(answer.body) as { type?: unknown; status?: unknown; detail?: unknown };
    } catch {
      return {};
    }
  })();
  return (
    answer.headers['content-type'] === 'application/problem+json' &&
    typeof problem.type === 'string' &&
    problem.status === answer.status &&
    typeof problem.detail === 'string' &&
    problem.detail !== ''
  );
}
