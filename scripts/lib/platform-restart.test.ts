import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IsolatedPlatform, startIsolatedPlatform, TEST_PORT_SHIFT } from './isolated-platform.ts';

/** `npm start` keeps the platform whole: a part that dies is started again, as a restart policy would. */
describe('a part that dies under the launcher', () => {
  let copy: IsolatedPlatform;
  const said: string[] = [];

  beforeAll(async () => {
    copy = await startIsolatedPlatform({
      label: 'restart',
      portOffset: TEST_PORT_SHIFT,
      include: (part) => part.name === 'analytics',
      say: (text) => said.push(text),
    });
  }, 180_000);
  afterAll(() => copy?.stop(), 60_000);

  it('is started again after a delay that the log states, and answers again', async () => {
    const first = copy.platform.running.find((r) => r.part.name === 'analytics');
    process.kill(first?.child.pid as number, 'SIGKILL');
    await first?.exited;

    const deadline = Date.now() + 90_000;
    let back = false;
    while (!back && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      back = said.some((line) => line.includes('analytics is back'));
    }
    expect(said.join('\n')).toMatch(
      /analytics stopped unexpectedly \(exit code null\); starting it again in 1 s \(restart 1\)/,
    );
    expect(back).toBe(true);
    const again = copy.platform.running.find((r) => r.part.name === 'analytics');
    expect(again?.child.pid).not.toBe(first?.child.pid);
    expect((await fetch(`${copy.url('analytics')}/readyz`)).status).toBe(200);
  }, 120_000);
});
