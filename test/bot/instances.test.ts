import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../lib/clock';
import { type LocalStack, startLocalStack } from '../../scripts/local/stack';
import { WEDNESDAY_NOON_MSK } from '../support/bot-harness';

describe('dialog state', () => {
  it('lives in the store, so another instance continues the dialog where the first left it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bot-instances-'));
    const environment = { DATA_DIR: dir, PORT: '0', VK_SANDBOX_PORT: '0', LOG_LEVEL: 'error' };
    const clock = new ManualClock(WEDNESDAY_NOON_MSK);
    const stacks: LocalStack[] = [];
    const lastTo = (stack: LocalStack, peerId: number) =>
      stack.sandbox.sent.filter((message) => message.peerId === peerId).at(-1)?.text;
    try {
      const first = await startLocalStack(environment, { clock, sink: () => {} });
      stacks.push(first);
      await first.sandbox.userSendsMessage(1501, 'меню');
      await first.sandbox.userPressesButton(1501, { c: 'cat', id: 'suggestion' });
      expect(lastTo(first, 1501)).toContain('Опишите');
      await first.close();
      stacks.pop();

      // A new process: new sandbox, new caches, nothing in memory from the first.
      const second = await startLocalStack(environment, { clock, sink: () => {} });
      stacks.push(second);
      await second.sandbox.userSendsMessage(1501, 'Добавьте тёмную тему, пожалуйста');
      expect(lastTo(second, 1501)).toContain('e-mail или телефон');
      await second.sandbox.userPressesButton(1501, { c: 'skip' });
      await second.sandbox.userPressesButton(1501, { c: 'send' });
      expect(lastTo(second, 1501)).toMatch(/Обращение S-\d+ создано/);
    } finally {
      for (const stack of stacks) await stack.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
