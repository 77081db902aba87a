import { type Config, type ConfigSectionName, loadConfig } from '../config/schema';
import { describeError } from '../errors';
import { createLogger, type Logger } from '../log/logger';
import type { FunctionContext } from '../platform/types';
import { lazyQueue } from '../queue/lazy';
import type { MessageQueue } from '../queue/port';
import { InvocationStore, lazyStore } from '../storage/lazy';
import type { Store } from '../storage/port';

type CloudSections = 'storage' | 'queue' | 'runtime';

/**
 * The composition root of every deployed function: config parsed once at cold start (a bad value
 * throws here, naming every bad variable, and the platform reports the failed start), YDB, Message
 * Queue and the real VK API. The store (driver, connection, one session) is opened per invocation,
 * on its first use (`lazyStore`: the YDB SDK is loaded only by invocations that reach the store), and
 * closed after it, as YDB's serverless guidance asks (a connection kept across an instance
 * freeze hangs); see the README's YDB section for the measured cost.
 */
export function createCloudRuntime<const S extends ConfigSectionName>(
  functionName: string,
  sections: readonly S[],
) {
  const config: Config<S | CloudSections> = loadConfig(process.env, [
    ...sections,
    'storage',
    'queue',
    'runtime',
  ]);
  const rootLogger = createLogger({ level: config.runtime.LOG_LEVEL, fields: { fn: functionName } });
  const queueConfig = config.queue;
  const queue: MessageQueue = lazyQueue(async () => {
    const { YandexMessageQueue } = await import('../queue/message-queue');
    return new YandexMessageQueue({
      endpoint: queueConfig.YMQ_ENDPOINT,
      region: queueConfig.YMQ_REGION,
      accessKeyId: queueConfig.YMQ_ACCESS_KEY_ID,
      secretAccessKey: queueConfig.YMQ_SECRET_ACCESS_KEY,
      queueUrls: {
        deferred: queueConfig.YMQ_DEFERRED_QUEUE_URL,
        notify: queueConfig.YMQ_NOTIFY_QUEUE_URL,
        crm: queueConfig.YMQ_CRM_QUEUE_URL,
        'deferred-dlq': queueConfig.YMQ_DEFERRED_DLQ_URL,
        'notify-dlq': queueConfig.YMQ_NOTIFY_DLQ_URL,
        'crm-dlq': queueConfig.YMQ_CRM_DLQ_URL,
      },
    });
  });

  /**
   * The running invocation's store, for parts built once per instance: the VK clients' shared rate
   * gates claim their slots in it (`lib/vk/shared-rate-gate.ts`).
   */
  const invocationStore = new InvocationStore();

  /** Runs one invocation with its own logger and store, and one error boundary that logs once. */
  async function invoke<T>(
    context: FunctionContext,
    work: (scope: { store: Store; logger: Logger }) => Promise<T>,
  ): Promise<T> {
    const logger = rootLogger.child({ requestId: context.requestId });
    const store = lazyStore(async () => {
      const { openYdbStore } = await import('../storage/ydb/open');
      return openYdbStore(config.storage, {
        ...(context.token ? { contextToken: context.token } : {}),
        timeoutMs: Math.min(
          config.storage.YDB_TIMEOUT_MS,
          Math.max(1000, context.getRemainingTimeInMillis() - 500),
        ),
        ownerPrefix: context.requestId,
        onRetry: ({ attempt, error, delayMs }) =>
          logger.warn('ydb transaction retried', { attempt, delayMs, error: describeError(error) }),
      });
    });
    try {
      return await invocationStore.run(store, () => work({ store, logger }));
    } catch (error) {
      logger.error('invocation failed', { error: describeError(error) });
      throw error;
    } finally {
      await store.close();
    }
  }

  return { config, logger: rootLogger, queue, invoke, invocationStore };
}
