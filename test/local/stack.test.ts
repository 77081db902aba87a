import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startupBanner } from '../../scripts/local/banner';
import { startLocalStack } from '../../scripts/local/stack';

describe('the local stack', () => {
  it('reports storage and queue up, and a message played through the sandbox reaches /vk/callback', async () => {
    const lines: string[] = [];
    const stack = await startLocalStack({}, { inMemory: true, sink: (line) => lines.push(line) });
    try {
      const health = await fetch(`${stack.url}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({
        status: 'up',
        storage: { status: 'up' },
        queue: { status: 'up' },
      });

      const delivery = await fetch(`${stack.sandbox.url}/sandbox/users/1001/messages`, {
        method: 'POST',
        body: JSON.stringify({ text: 'Привет' }),
      }).then((response) => response.json());
      expect(delivery).toMatchObject({ type: 'message_new', status: 200, answer: 'ok' });
      expect(await stack.store.read((r) => r.users.get(1001))).toMatchObject({
        userId: 1001,
        messagesAllowed: true,
      });
      expect(lines.some((line) => line.includes('callback processed'))).toBe(true);
      expect(lines.join('\n')).not.toContain('Привет');

      expect(await stack.fireDispatcher()).toMatchObject({ started: true });
      expect(await stack.fireDispatcher()).toMatchObject({ started: false });
    } finally {
      await stack.close();
    }
  });

  it('fails with a message naming a bad variable', async () => {
    await expect(startLocalStack({ VK_GROUP_ID: 'abc' }, { inMemory: true })).rejects.toThrow(/VK_GROUP_ID/);
  });
  describe('the dev clock', () => {
    let dataDir: string;
    beforeEach(() => {
      dataDir = mkdtempSync(join(tmpdir(), 'local-stack-'));
    });
    afterEach(() => rmSync(dataDir, { recursive: true, force: true }));
    /** `npm start` on a DATA_DIR of its own, on free ports. */
    const environment = () => ({ DATA_DIR: dataDir, PORT: '0', VK_SANDBOX_PORT: '0', LOG_LEVEL: 'warn' });
    const advance = (url: string, minutes: number) =>
      fetch(`${url}/dev/clock/advance`, { method: 'POST', body: JSON.stringify({ minutes }) });
    const offsetOf = async (url: string) =>
      ((await (await fetch(`${url}/health`)).json()) as { clock: { offsetMinutes: number } }).clock
        .offsetMinutes;

    it('keeps its offset across a restart on the same DATA_DIR, and the start says so', async () => {
      const first = await startLocalStack(environment(), { sink: () => {} });
      try {
        expect(startupBanner(first).join('\n')).not.toContain('dev clock');
        const answer = await advance(first.url, 90);
        expect(answer.status).toBe(200);
        expect(await answer.json()).toMatchObject({ offsetMinutes: 90 });
      } finally {
        await first.close();
      }
      expect(JSON.parse(readFileSync(join(dataDir, 'dev-clock.json'), 'utf8'))).toMatchObject({
        offsetMs: 90 * 60_000,
      });

      const second = await startLocalStack(environment(), { sink: () => {} });
      try {
        expect(await offsetOf(second.url)).toBe(90);
        expect(second.clock.now() - Date.now()).toBeGreaterThanOrEqual(90 * 60_000 - 1000);
        expect(startupBanner(second).join('\n')).toContain(
          `dev clock           +1 h 30 min ahead of real time`,
        );
        await advance(second.url, 30);
        expect(await offsetOf(second.url)).toBe(120);
      } finally {
        await second.close();
      }
      const third = await startLocalStack(environment(), { sink: () => {} });
      try {
        expect(await offsetOf(third.url)).toBe(120);
      } finally {
        await third.close();
      }
      // Written whole each time: no temporary file is left beside it.
      expect(readdirSync(dataDir).filter((name) => name.startsWith('dev-clock'))).toEqual(['dev-clock.json']);
    });

    it.each([
      ['not JSON', '{"offsetMs":'],
      ['a negative offset', '{"offsetMs":-60000}'],
      ['no offset', '{"minutes":5}'],
      ['null', 'null'],
    ])(
      'starts at offset 0 with a warning from a file that is %s, and replaces it on the next advance',
      async (_, content) => {
        writeFileSync(join(dataDir, 'dev-clock.json'), content);
        const lines: string[] = [];
        const stack = await startLocalStack(environment(), { sink: (line) => lines.push(line) });
        try {
          expect(await offsetOf(stack.url)).toBe(0);
          expect(lines.join('\n')).toMatch(/"level":"warn","msg":"dev clock file is not/);
          await advance(stack.url, 5);
        } finally {
          await stack.close();
        }
        expect(JSON.parse(readFileSync(join(dataDir, 'dev-clock.json'), 'utf8'))).toMatchObject({
          offsetMs: 5 * 60_000,
        });
      },
    );

    it('starts at offset 0 when the file cannot be read, and an advance it cannot keep fails without moving the clock', async () => {
      mkdirSync(join(dataDir, 'dev-clock.json')); // a directory where the file should be
      const lines: string[] = [];
      const stack = await startLocalStack(environment(), { sink: (line) => lines.push(line) });
      try {
        expect(await offsetOf(stack.url)).toBe(0);
        expect(lines.join('\n')).toContain('dev clock file unreadable');
        expect((await advance(stack.url, 5)).status).toBe(500);
        expect(await offsetOf(stack.url)).toBe(0);
      } finally {
        await stack.close();
      }
    });
  });
});
