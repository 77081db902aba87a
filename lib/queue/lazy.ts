import type { MessageQueue } from './port';

/**
 * A queue whose real adapter is created on first use. Most invocations of the HTTP functions never
 * enqueue anything, so they need not evaluate the adapter and its signer at cold start (small since
 * the SDK went, but still work a first request would pay for). The loader is a dynamic `import()`,
 * which esbuild keeps in the same bundle but evaluates only when called.
 */
export function lazyQueue(load: () => Promise<MessageQueue>): MessageQueue {
  let pending: Promise<MessageQueue> | undefined;
  const queue = () => {
    pending ??= load().catch((error: unknown) => {
      pending = undefined; // a failed load is retried by the next call, not cached
      throw error;
    });
    return pending;
  };
  return {
    send: async (name, message) => (await queue()).send(name, message),
    sendBatch: async (name, messages) => (await queue()).sendBatch(name, messages),
    receive: async (name, options) => (await queue()).receive(name, options),
    delete: async (name, receiptHandle) => (await queue()).delete(name, receiptHandle),
    depth: async (name) => (await queue()).depth(name),
  };
}
