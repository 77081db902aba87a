import { stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { dashboardSources } from '../../lib/dashboard/sources';

const panelFile = join(__dirname, '../../dashboard/panels/nps.ts');

describe("the dashboard's sources on the local stack", () => {
  it('are bundled once, and again when a file the script imports (a panel) changes', async () => {
    const first = await dashboardSources();
    expect(first.script).toContain('/api/ops/metrics/nps');
    expect(await dashboardSources()).toBe(first);

    const { atime, mtime } = await stat(panelFile);
    try {
      await utimes(panelFile, atime, new Date(mtime.getTime() + 60_000));
      const rebuilt = await dashboardSources();
      expect(rebuilt).not.toBe(first);
      expect(rebuilt.script).toBe(first.script);
    } finally {
      await utimes(panelFile, atime, mtime);
    }
  }, 30_000);
});
