import { ADMIN_TOKEN, OPERATOR_TOKEN } from '../../support/bot-harness';
import { type Fixture, ORIGIN } from './fixture';
import type { FuzzRequest, Mutation, MutationContext } from './fuzz-request';
import { bodyMutations } from './malformed-bodies';
import { headerMutations } from './malformed-headers';
import { pathMutations } from './malformed-paths';
import { queryMutations } from './malformed-queries';
import type { Operation } from './operations';
import type { Random } from './random';
import { sample } from './schema-values';

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'];

/** Builds the valid request of an operation, then breaks it one or two ways. */
export class RequestFactory {
  constructor(
    readonly random: Random,
    readonly fixture: Fixture,
  ) {}

  build(operation: Operation): FuzzRequest {
    const request = this.valid(operation);
    const mutations = this.mutationsFor(operation, request);
    const count = this.random.chance(0.15) ? 0 : this.random.chance(0.25) ? 2 : 1;
    for (let i = 0; i < count; i++) {
      const [family, mutate] = this.random.pick(mutations);
      request.families.push(family);
      mutate();
    }
    if (request.families.length === 0) request.families.push('valid');
    return request;
  }

  valid(operation: Operation): FuzzRequest {
    const { random, fixture } = this;
    // Mostly a ticket of the caller's, so that valid requests reach the handlers' depths.
    const ticket = random.pick(fixture.tickets);
    const user = random.chance(0.8) ? ticket.owner : random.pick(fixture.tickets).owner;
    let path = operation.template;
    for (const name of operation.pathParams) {
      const value =
        name === 'slug'
          ? random.pick(fixture.slugs)
          : random.chance(0.9)
            ? ticket.number
            : random.pick(['B-9999', 'Q-1', 'x']);
      path = path.replace(`{${name}}`, encodeURIComponent(value));
    }
    const query: Array<[string, string]> = operation.query
      .filter((parameter) => parameter.required || random.chance(0.4))
      .map((parameter) => [parameter.name, String(sample(parameter.schema, random, fixture.now))]);
    const headers: Record<string, string | string[]> = {};
    if (operation.auth === 'user') headers['x-vk-launch-params'] = fixture.launchParamsFor(user);
    if (operation.auth === 'operator')
      headers['x-operator-token'] = random.pick([ADMIN_TOKEN, OPERATOR_TOKEN]);
    if (random.chance(0.3)) headers.origin = ORIGIN;
    if (operation.method === 'POST' && operation.template === '/api/tickets' && random.chance(0.3))
      headers['idempotency-key'] = `key-${random.between(1, 40)}`;
    let body: Buffer | undefined;
    if (operation.body) {
      headers['content-type'] = 'application/json';
      body = Buffer.from(JSON.stringify(sample(operation.body, random, fixture.now)));
    }
    return { method: operation.method, path, query, headers, body, families: [] };
  }

  /**
   * Every way to break the request, one entry per family. The seed picks among them by position, so
   * the order (paths, queries, bodies, headers, method) is part of what a seed replays.
   */
  mutationsFor(operation: Operation, request: FuzzRequest): Mutation[] {
    const context: MutationContext = { random: this.random, fixture: this.fixture, operation, request };
    const { random } = this;
    return [
      ...pathMutations(context),
      ...queryMutations(context),
      ...bodyMutations(context),
      ...headerMutations(context),
      [
        'method',
        () => {
          request.method = random.pick(METHODS.filter((method) => method !== operation.method));
        },
      ],
    ];
  }
}
