import { AsyncLocalStorage } from 'node:async_hooks';
import { AppError } from '../errors';
import type { Store } from './port';

/**
 * A store opened on first use. The YDB driver and SDK (gRPC, HTTP/2, TLS, the protobuf descriptors
 * of YDB's API) are most of a function's load time, and many invocations never reach the store: CORS
 * preflights, launch params or a callback secret that don't check out, VK's confirmation request,
 * bad input. Those answer without loading it; the first invocation that does touch the store pays
 * for it then (`npm run bench` prints both figures). The loader is a dynamic `import()` of
 * lib/storage/ydb/open.ts, which the build turns into a `require` of `ydb.js` beside `index.js`.
 */
export function lazyStore(open: () => Promise<Store>): Store {
  let opened: Promise<Store> | undefined;
  const store = () => {
    opened ??= open();
    return opened;
  };
  return {
    transaction: async (work, options) => (await store()).transaction(work, options),
    read: async (work, options) => (await store()).read(work, options),
    ping: async (options) => (await store()).ping(options),
    afterErasure: async () => (await store()).afterErasure?.(),
    close: async () => {
      if (!opened) return; // never opened: nothing to close
      const store = await opened.catch(() => null);
      await store?.close();
    },
  };
}

/**
 * The store of whichever invocation is running, for parts that live across invocations (a VK
 * client's rate gate is built once per instance, but claims its slots in the store of the call it
 * serves). Each invocation runs inside `run`; using the store outside one is a bug and throws.
 */
export class InvocationStore implements Store {
  readonly #current = new AsyncLocalStorage<Store>();

  run<T>(store: Store, work: () => Promise<T>): Promise<T> {
    return this.#current.run(store, work);
  }

  #store(): Store {
    const store = this.#current.getStore();
    if (!store) throw new AppError('no_invocation', 'the invocation store was used outside an invocation');
    return store;
  }

  transaction: Store['transaction'] = (work, options) => this.#store().transaction(work, options);
  read: Store['read'] = (work, options) => this.#store().read(work, options);
  ping: Store['ping'] = (options) => this.#store().ping(options);
  afterErasure = async (): Promise<void> => this.#store().afterErasure?.();
  /** The invocation closes its own store. */
  close = async (): Promise<void> => {};
}
