import { readFileSync } from 'node:fs';
import { routes } from '../../lib/api/routes';
import { type LocalStack, startLocalStack } from '../../scripts/local/stack';
import { openApiPath, renderOpenApi } from '../../scripts/openapi';

describe('the OpenAPI document', () => {
  const committed = JSON.parse(readFileSync(openApiPath, 'utf8')) as {
    paths: Record<string, Record<string, unknown>>;
  };

  it('is current: regenerating it from the route table changes nothing (run npm run openapi)', () => {
    expect(readFileSync(openApiPath, 'utf8')).toBe(renderOpenApi());
  });

  it('lists exactly the operations the code serves', () => {
    const documented = Object.entries(committed.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(documented.sort()).toEqual(routes.map((route) => `${route.method} ${route.path}`).sort());
  });

  describe('against the running handler', () => {
    let stack: LocalStack;
    beforeAll(async () => {
      stack = await startLocalStack({ LOG_LEVEL: 'error' }, { inMemory: true, sink: () => {} });
    });
    afterAll(() => stack.close());

    it('routes every documented operation (no 404 "no route", no 405)', async () => {
      for (const [path, methods] of Object.entries(committed.paths)) {
        for (const method of Object.keys(methods)) {
          const concrete = path.replace(/\{\w+\}/g, 'X-1');
          const response = await fetch(`${stack.url}${concrete}`, { method: method.toUpperCase() });
          const body = await response.text();
          expect({
            operation: `${method} ${path}`,
            status: response.status,
            unrouted: body.includes('No route for'),
          }).toEqual({
            operation: `${method} ${path}`,
            status: expect.not.stringMatching(/^405$/) as unknown as number,
            unrouted: false,
          });
        }
      }
    });
  });
});
