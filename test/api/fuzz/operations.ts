import type { openApiDocument } from '../../../lib/api/openapi';
import type { Schema } from './schema-values';

export type OpenApiDocument = ReturnType<typeof openApiDocument>;

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required: boolean;
  schema: Schema;
}

/** An operation of the document, as much of it as the fuzzer needs to build a valid request. */
export interface Operation {
  method: string;
  template: string;
  auth: 'public' | 'user' | 'operator';
  pathParams: string[];
  query: Parameter[];
  body: Schema | undefined;
}

interface DocumentedOperation {
  security?: Array<Record<string, unknown>>;
  parameters?: Parameter[];
  requestBody?: { content: { 'application/json': { schema: Schema } } };
}

/** Every operation the OpenAPI document lists, in the document's order (the seed's draws follow it). */
export function operationsOf(document: OpenApiDocument): Operation[] {
  return Object.entries(document.paths).flatMap(([template, methods]) =>
    Object.entries(methods).map(([method, documented]) => {
      const operation = documented as DocumentedOperation;
      const schemes = (operation.security ?? []).flatMap((requirement) => Object.keys(requirement));
      const parameters = operation.parameters ?? [];
      return {
        method: method.toUpperCase(),
        template,
        auth: schemes.includes('launchParams')
          ? 'user'
          : schemes.includes('operatorToken')
            ? 'operator'
            : 'public',
        pathParams: parameters.filter((p) => p.in === 'path').map((p) => p.name),
        query: parameters.filter((p) => p.in === 'query'),
        body: operation.requestBody?.content['application/json'].schema,
      } satisfies Operation;
    }),
  );
}

/** A path template as the router matches it: `{name}` is one segment. */
const templatePattern = (template: string) => new RegExp(`^${template.replace(/\{\w+\}/g, '[^/]+')}$`);

/**
 * The operation a request reached: a mutated method or path may have made it another one than the
 * operation it was built from, or none.
 */
export function operationReached(
  operations: readonly Operation[],
  method: string,
  path: string,
): Operation | undefined {
  return operations.find(
    (candidate) => candidate.method === method && templatePattern(candidate.template).test(path),
  );
}
