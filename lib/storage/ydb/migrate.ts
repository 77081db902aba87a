import type { Logger } from '../../log/logger';
import { ydbSchema } from './schema';
import type { YdbStore } from './store';

/** Applies the schema; every statement is idempotent, so running it again changes nothing. */
export async function migrateYdb(store: YdbStore, logger: Logger): Promise<void> {
  for (const statement of ydbSchema) {
    const table = /CREATE TABLE IF NOT EXISTS (\w+)/.exec(statement)?.[1] ?? 'unknown';
    await store.sql(statement).timeout(60_000);
    logger.info('table ready', { table });
  }
}
