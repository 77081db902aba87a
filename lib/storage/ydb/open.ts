import type { ConfigSection } from '../../config/schema';
import { ydbCredentials } from './credentials';
import { YdbStore, type YdbStoreOptions } from './store';

/**
 * The YDB store of one invocation, from the storage config. This module is the door to everything
 * YDB (the SDK, gRPC, the protobuf descriptors): the build puts what lies behind it in a file of its
 * own beside each function's `index.js` (`ydb.js`), loaded by the first invocation that reaches the
 * store (`lazyStore`), so the others never parse it.
 */
export function openYdbStore(
  storage: ConfigSection<'storage'>,
  options: Omit<YdbStoreOptions, 'connectionString' | 'credentialsProvider'> & {
    contextToken?: { access_token: string };
  },
): YdbStore {
  const { contextToken, ...storeOptions } = options;
  return new YdbStore({
    ...storeOptions,
    connectionString: storage.YDB_CONNECTION_STRING,
    credentialsProvider: ydbCredentials(storage, contextToken),
  });
}
