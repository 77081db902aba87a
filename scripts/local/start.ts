import { ConfigError } from '../../lib/config/schema';
import { DEV_USER_ID, startupBanner } from './banner';
import { startLocalStack } from './stack';

/** `npm start`: the whole system on embedded defaults, with nothing configured. */
async function main(): Promise<void> {
  let stack: Awaited<ReturnType<typeof startLocalStack>>;
  try {
    // The printed curl writes as the dev user, straight to /vk/callback: the sandbox (VK) lets the
    // bot answer them as if they had written through it.
    stack = await startLocalStack(process.env, { devUser: DEV_USER_ID });
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  console.log(startupBanner(stack).join('\n'));
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
