import type { CredentialsProvider } from '@ydbjs/auth';
import { AccessTokenCredentialsProvider } from '@ydbjs/auth/access-token';
import { AnonymousCredentialsProvider } from '@ydbjs/auth/anonymous';
import { MetadataCredentialsProvider } from '@ydbjs/auth/metadata';
import type { ConfigSection } from '../../config/schema';
import { AppError } from '../../errors';

/**
 * How the YDB driver proves who it is. In a Cloud Function the platform hands each call an IAM
 * token for the function's service account (`context.token`); ops scripts on a VM use the metadata
 * service; a local YDB in Docker takes anonymous access.
 */
export function ydbCredentials(
  storage: ConfigSection<'storage'>,
  contextToken?: { access_token: string },
): CredentialsProvider {
  switch (storage.YDB_AUTH) {
    case 'context-token':
      if (!contextToken)
        throw new AppError('ydb_auth', 'YDB_AUTH=context-token needs the function context token');
      return new AccessTokenCredentialsProvider({ token: contextToken.access_token });
    case 'access-token':
      if (!storage.YDB_ACCESS_TOKEN)
        throw new AppError('ydb_auth', 'YDB_AUTH=access-token needs YDB_ACCESS_TOKEN');
      return new AccessTokenCredentialsProvider({ token: storage.YDB_ACCESS_TOKEN });
    case 'metadata':
      return new MetadataCredentialsProvider();
    case 'anonymous':
      return new AnonymousCredentialsProvider();
  }
}
