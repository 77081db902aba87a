import type { Store } from './port';

/**
 * A store opened on first use. The YDB driver and SDK (gRPC, HTTP/2, TLS, the protobuf descriptors
 * of YDB's API) are most of a function's load time, and many invocations never reach the store: CORS
 * preflights, launch params or a callback secret that don't check out, VK's confirmation request,
 * bad input. Those answer without loading it; the first invocation that does touch the store pays
 * for it then (`npm run bench` prints both figures). Like `lazyQueue`, the loader is a dynamic
 * `import()` that esbuild keeps in the same bundle but evaluates only when called.
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
    close: async () => {
      if (!opened) return; // never opened: nothing to close
      const store = await opened.catch(() => null);
      await store?.close();
    },
  };
}
