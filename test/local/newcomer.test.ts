import { execFile, execFileSync } from 'node:child_process';
import { callbackEnvelopeSchema, messageNewSchema } from '../../lib/callback/events';
import { DEV_USER_ID, devCallbackCurl, devMessageNew, startupBanner } from '../../scripts/local/banner';
import { type LocalStack, startLocalStack } from '../../scripts/local/stack';

/** The curl of `npm start`'s banner, as a newcomer would copy it: from `curl` to the closing quote. */
function printedCurl(banner: string[]): string {
  const start = banner.findIndex((line) => line.trimStart().startsWith('curl -sS -w'));
  const end = banner.findIndex((line, index) => index >= start && line.endsWith("}'"));
  expect(start).toBeGreaterThan(0);
  expect(end).toBeGreaterThanOrEqual(start);
  return banner
    .slice(start, end + 1)
    .join('\n')
    .trimStart();
}

/** Runs a command in `sh`, as pasted into a terminal. */
function runInShell(command: string, environment: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('sh', ['-c', command], { env: { ...process.env, ...environment } }, (error, stdout, stderr) =>
      error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout),
    );
  });
}

const hasCurl = (() => {
  try {
    execFileSync('curl', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const withCurl = hasCurl ? it : it.skip;

async function repliesTo(stack: LocalStack, userId: number): Promise<string[]> {
  for (let waited = 0; waited < 5000; waited += 50) {
    const texts = stack.sandbox.sent.filter((message) => message.peerId === userId).map((m) => m.text);
    if (texts.length > 0) return texts;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return [];
}

describe('what npm start prints for a newcomer', () => {
  let stack: LocalStack;
  afterEach(async () => {
    await stack?.close();
  });

  it('shows the dev group id, callback URL, secret and confirmation code, and where the answer is', async () => {
    stack = await startLocalStack(
      { LOG_LEVEL: 'error' },
      { inMemory: true, sink: () => {}, devUser: DEV_USER_ID },
    );
    const text = startupBanner(stack).join('\n');
    expect(text).toContain('group id            100000001');
    expect(text).toContain(`callback URL        ${stack.url}/vk/callback`);
    expect(text).toContain('callback secret     dev-callback-secret');
    expect(text).toContain('confirmation code   dev-confirmation');
    expect(text).toContain(`${stack.sandbox.url}/sandbox/sent`);
    expect(text).toContain(`npm run chat -- --user ${DEV_USER_ID}`);
    expect(text).not.toContain('dev clock'); // at offset 0
  });

  it('builds a message_new as VK posts it (API 5.199), which the callback answers ok and the bot replies to', async () => {
    stack = await startLocalStack(
      { LOG_LEVEL: 'error' },
      { inMemory: true, sink: () => {}, devUser: DEV_USER_ID },
    );
    const body = devMessageNew(
      { groupId: 100000001, secret: 'dev-callback-secret', apiVersion: '5.199' },
      { eventId: 'test-event-1', date: Math.floor(Date.now() / 1000) },
    );
    expect(callbackEnvelopeSchema.safeParse(body).success).toBe(true);
    expect(messageNewSchema.safeParse(body.object).success).toBe(true);
    expect(body).toMatchObject({ type: 'message_new', v: '5.199', group_id: 100000001 });

    const response = await fetch(`${stack.url}/vk/callback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('ok');
    expect((await repliesTo(stack, DEV_USER_ID)).length).toBeGreaterThan(0);
  });

  withCurl(
    'the printed curl, run in a shell, posts a callback the stack answers ok, and the bot replies',
    async () => {
      stack = await startLocalStack(
        { LOG_LEVEL: 'error' },
        { inMemory: true, sink: () => {}, devUser: DEV_USER_ID },
      );
      const command = printedCurl(startupBanner(stack));
      expect(command).toBe(devCallbackCurl(stack));
      expect(await runInShell(command)).toBe('ok\n');
      const replies = await repliesTo(stack, DEV_USER_ID);
      expect(replies.join('\n')).toContain('User1001');
    },
  );

  withCurl(
    'never prints a callback secret from the environment; its curl reads $VK_CALLBACK_SECRET',
    async () => {
      const secret = 'prod-like-secret-7f3a9c';
      stack = await startLocalStack(
        { LOG_LEVEL: 'error', VK_CALLBACK_SECRET: secret, VK_GROUP_ID: '200000002' },
        { inMemory: true, sink: () => {}, devUser: DEV_USER_ID },
      );
      const banner = startupBanner(stack);
      const text = banner.join('\n');
      expect(text).not.toContain(secret);
      expect(text).toContain('callback secret     (from VK_CALLBACK_SECRET, not printed)');
      expect(text).toContain('group id            200000002  (from VK_GROUP_ID)');
      const command = printedCurl(banner);
      expect(command).toContain('$VK_CALLBACK_SECRET');
      expect(await runInShell(command, { VK_CALLBACK_SECRET: secret })).toBe('ok\n');
      expect(await runInShell(command, { VK_CALLBACK_SECRET: 'wrong' })).not.toBe('ok\n');
    },
  );
});
