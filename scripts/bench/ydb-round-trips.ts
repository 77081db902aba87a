import type { Repositories, TransactionOptions } from '../../lib/storage/port';
import { SqliteStore } from '../../lib/storage/sqlite/store';
import { startLocalStack } from '../local/stack';

/**
 * `npm run bench:ydb-trips`: the calls one invocation makes to YDB, before and after the
 * transaction runner of lib/storage/ydb/transaction.ts, for the invocations users cause most.
 *
 * YDB can't run here, so the count is taken on the real flow over SQLite: every transaction and every
 * repository call of the invocation, each call weighted by the statements the YDB adapter sends for it
 * (an insert-if-absent is a probe plus an UPSERT when the key was free, a counter a read plus an
 * UPSERT, an event append two per new event). Then:
 * - before: @ydbjs/query's `begin` per transaction — createSession, attachSession, beginTransaction,
 *   the statements, commitTransaction, deleteSession: n + 5;
 * - after: one session per store — createSession, attachSession and deleteSession once — and per transaction the
 *   statements (the first begins it) and the commit: n + 1.
 * Both open one connection per invocation (TCP, TLS and HTTP/2 setup), not counted here.
 */
class CountingStore extends SqliteStore {
  transactions: number[] = [];

  override transaction<T>(work: (r: Repositories) => Promise<T>, options?: TransactionOptions): Promise<T> {
    return super.transaction((r) => this.#counted(r, work), options);
  }

  override read<T>(work: (r: Repositories) => Promise<T>): Promise<T> {
    return super.read((r) => this.#counted(r, work));
  }

  async #counted<T>(repositories: Repositories, work: (r: Repositories) => Promise<T>): Promise<T> {
    let statements = 0;
    const wrapped = Object.fromEntries(
      Object.entries(repositories).map(([name, repository]) => [
        name,
        Object.fromEntries(
          Object.entries(repository as Record<string, (...args: unknown[]) => Promise<unknown>>).map(
            ([method, call]) => [
              method,
              async (...args: unknown[]) => {
                const result = await call(...args);
                statements += ydbStatements(`${name}.${method}`, args, result);
                return result;
              },
            ],
          ),
        ),
      ]),
    ) as unknown as Repositories;
    const result = await work(wrapped);
    this.transactions.push(statements);
    return result;
  }
}

/** How many statements the YDB adapter sends for one repository call that returned `result`. */
function ydbStatements(method: string, args: unknown[], result: unknown): number {
  switch (method) {
    case 'tickets.create':
    case 'notifications.claim':
    case 'deliveries.plan':
    case 'surveys.create':
    case 'jobs.create':
      return result === true ? 2 : 1;
    case 'claims.take':
      return result === 'taken' ? 2 : 1;
    case 'counters.next':
      return 2;
    case 'events.append':
      return (args[0] as unknown[]).length + (result as number);
    default:
      return 1;
  }
}

async function measure(
  label: string,
  act: (stack: Awaited<ReturnType<typeof startLocalStack>>, store: CountingStore) => Promise<void>,
) {
  const store = new CountingStore(':memory:');
  const stack = await startLocalStack(
    { LOG_LEVEL: 'error' },
    { inMemory: true, store, pollMs: 5, sink: () => {} },
  );
  try {
    await act(stack, store);
    store.transactions = [];
    await act(stack, store);
    await stack.sandbox.settle();
  } finally {
    await stack.close();
  }
  const txs = store.transactions;
  const statements = txs.reduce((sum, n) => sum + n, 0);
  const before = statements + 5 * txs.length;
  const after = statements + txs.length + 3; // createSession, attachSession, deleteSession once
  console.log(
    `${label.padEnd(44)} ${String(txs.length).padStart(3)} tx ${String(statements).padStart(4)} statements   before ${String(before).padStart(4)} calls   after ${String(after).padStart(4)} calls (${(before / after).toFixed(2)}× fewer)`,
  );
}

async function main(): Promise<void> {
  await measure('vk-callback: a user writes "привет"', async (stack) => {
    await stack.sandbox.userSendsMessage(9001, 'привет');
    await stack.sandbox.settle();
  });
  await measure('vk-callback: a question the KB answers', async (stack) => {
    await stack.sandbox.userSendsMessage(9002, 'Не проходит оплата картой');
    await stack.sandbox.settle();
  });
  await measure('ticket-api: POST /api/tickets', async (stack) => {
    const user = ++nextUser;
    await fetch(`${stack.url}/api/tickets`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-vk-launch-params': stack.launchParamsFor(user) },
      body: JSON.stringify({
        category: 'question',
        subject: 'Как сменить тариф?',
        description: 'Где сменить тариф?',
      }),
    });
    await stack.sandbox.settle();
  });
  await measure('ticket-api: GET /api/tickets', async (stack) => {
    await fetch(`${stack.url}/api/tickets`, {
      headers: { 'x-vk-launch-params': stack.launchParamsFor(9003) },
    });
  });
}

let nextUser = 9100;
main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
