import { ConfigError } from '../../lib/config/schema';
import { startLocalStack } from './stack';

/** `npm start`: the whole system on embedded defaults, with nothing configured. */
async function main(): Promise<void> {
  let stack: Awaited<ReturnType<typeof startLocalStack>>;
  try {
    stack = await startLocalStack(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  const { url, sandbox, defaulted, config } = stack;
  const lines = [
    '',
    'Local stack is up (SQLite store, embedded queue, VK sandbox):',
    `  API Gateway routes  ${url}  (POST /vk/callback, /api/*)`,
    `  health              ${url}/health`,
    `  VK sandbox API      ${sandbox.apiUrl}`,
    `  what the bot sent   ${sandbox.url}/sandbox/sent`,
    `  fire the dispatcher curl -X POST ${url}/dev/dispatch`,
    `  fast-forward clock  curl -X POST ${url}/dev/clock/advance -d '{"minutes":60}'`,
    `  talk to the bot     npm run chat -- --user 1001   (or: curl -X POST ${sandbox.url}/sandbox/users/1001/messages -d '{"text":"Привет"}')`,
    `  mini app identity   curl ${url}/dev/launch-params?user=1001   (signed X-VK-Launch-Params)`,
    `  operator token      X-Operator-Token: ${defaulted.includes('OPERATOR_TOKENS') ? 'dev-admin-token-0123456789ab' : '(from OPERATOR_TOKENS)'}`,
    `  data                ${config.local.DATA_DIR}/local.sqlite`,
    defaulted.length > 0 ? `  dev defaults for    ${defaulted.join(', ')}` : '  no dev defaults used',
    '',
  ];
  console.log(lines.join('\n'));
  const shutdown = () => {
    stack.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

void main();
