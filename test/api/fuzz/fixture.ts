import type { Agent } from 'node:http';
import { knowledgeBase } from '../../../lib/kb/articles';
import type { LocalStack } from '../../../scripts/local/stack';
import { ADMIN_TOKEN } from '../../support/bot-harness';
import type { Json } from './schema-values';
import { send } from './send';

/** The mini app's origin the stack allows (CORS), sent by some valid requests. */
export const ORIGIN = 'https://app.example';

/** What the fuzzer's valid requests refer to: users, their tickets, the knowledge base's articles. */
export interface Fixture {
  now: number;
  users: number[];
  tickets: Array<{ number: string; owner: number }>;
  slugs: string[];
  launchParamsFor(userId: number): string;
}

/** Users with tickets in several states, so valid requests reach the handlers' depths. */
export async function seedFixture(stack: LocalStack, agent: Agent): Promise<Fixture> {
  const base = new URL(stack.url);
  const call = (method: string, path: string, headers: Record<string, string>, body?: Json) =>
    send(base, agent, {
      method,
      path,
      query: [],
      headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
      body: body === undefined ? undefined : Buffer.from(JSON.stringify(body)),
      families: [],
    });

  const users = Array.from({ length: 6 }, (_, index) => 7_000_001 + index);
  const tickets: Fixture['tickets'] = [];
  for (const [index, user] of users.entries()) {
    const created = await call(
      'POST',
      '/api/tickets',
      { 'x-vk-launch-params': stack.launchParamsFor(user) },
      { category: index % 2 ? 'bug' : 'question', subject: 'Не открывается', description: 'Белый экран' },
    );
    const number = (JSON.parse(created.body) as { number: string }).number;
    tickets.push({ number, owner: user });
    if (index % 3 === 0) continue;
    const operator = { 'x-operator-token': ADMIN_TOKEN };
    await call('POST', `/api/ops/tickets/${number}/assign`, operator, {});
    await call('POST', `/api/ops/tickets/${number}/status`, operator, { status: 'resolved' });
  }
  return {
    now: stack.clock.now(),
    users,
    tickets,
    slugs: [...knowledgeBase.list('ru'), ...knowledgeBase.list('en')].map((article) => article.slug),
    launchParamsFor: (user) => stack.launchParamsFor(user),
  };
}
