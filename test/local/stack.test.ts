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
});
