import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { signLaunchParams } from '../../lib/api/launch-params';
import { fakeCloudEnvironment } from '../../scripts/fixtures/cloud-env';
import { FakeYdb } from '../support/fake-ydb';

const run = promisify(execFile);

/**
 * The built ticket-api, as the platform runs it: a node process that requires dist/ticket-api/index.js
 * and calls `handler`. Its store is opened on first use from ydb.js beside it, and talks gRPC to a
 * fake YDB on loopback that holds it to the Query service's protocol.
 */
describe('a built function reaches YDB through ydb.js only when it needs the store', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'build-ydb-'));
  let fake: FakeYdb;

  beforeAll(async () => {
    await run(process.execPath, ['esbuild.config.mjs', '--outdir', outdir]);
    fake = await new FakeYdb().start();
  }, 120_000);
  afterAll(() => fake.stop());

  /** Runs the handler once in a fresh process: a cold instance. */
  async function invoke(event: Record<string, unknown>) {
    const file = JSON.stringify(join(outdir, 'ticket-api', 'index.js'));
    const script = `
      const { handler } = require(${file});
      const context = { requestId: 'req-1', getRemainingTimeInMillis: () => 10000, token: undefined };
      handler(${JSON.stringify(event)}, context).then((result) => {
        const ydbLoaded = Object.keys(require.cache).some((path) => path.endsWith('ydb.js'));
        console.log(JSON.stringify({ status: result.statusCode, body: result.body, ydbLoaded }));
      });`;
    const env = {
      PATH: process.env.PATH ?? '',
      ...fakeCloudEnvironment,
      YDB_CONNECTION_STRING: fake.connectionString,
      YDB_AUTH: 'anonymous',
      LOG_LEVEL: 'error',
    };
    const { stdout } = await run(process.execPath, ['-e', script], { env, timeout: 20_000 });
    return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as {
      status: number;
      body: string;
      ydbLoaded: boolean;
    };
  }

  const launchParams = signLaunchParams(
    {
      vk_user_id: '777',
      vk_app_id: fakeCloudEnvironment.VK_APP_ID!,
      vk_ts: String(Math.floor(Date.now() / 1000)),
      vk_language: 'ru',
      vk_platform: 'desktop_web',
    },
    fakeCloudEnvironment.VK_APP_SECRET!,
  );

  it('a request with bad launch params is answered without loading YDB', async () => {
    const answer = await invoke({
      httpMethod: 'GET',
      url: '/api/tickets',
      headers: { 'x-vk-launch-params': 'vk_user_id=1&sign=forged' },
      body: '',
      isBase64Encoded: false,
    });
    expect(answer.status).toBe(401);
    expect(answer.ydbLoaded).toBe(false);
    expect(fake.calls.CreateSession).toBe(0);
  });

  it('"My tickets" loads ydb.js, opens one session, runs its transactions and deletes the session', async () => {
    const answer = await invoke({
      httpMethod: 'GET',
      url: '/api/tickets',
      headers: { 'x-vk-launch-params': launchParams },
      body: '',
      isBase64Encoded: false,
    });
    expect(answer).toMatchObject({ status: 200, ydbLoaded: true });
    expect(JSON.parse(answer.body)).toMatchObject({ tickets: [] });
    expect(fake.calls.CreateSession).toBe(1);
    expect(fake.calls.AttachSession).toBe(1);
    expect(fake.calls.CommitTransaction).toBeGreaterThanOrEqual(1);
    expect(fake.calls.DeleteSession).toBe(1);
    expect(fake.violations).toEqual([]);
  });
});
