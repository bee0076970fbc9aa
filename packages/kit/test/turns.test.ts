import { describe, expect, it } from 'vitest';
import { HttpProblem } from '../src/errors.ts';
import { createMetrics } from '../src/metrics.ts';
import { takeTurns } from '../src/turns.ts';

describe('takeTurns', () => {
  it('runs so many jobs at once, lets so many wait, and refuses the next at once as busy', async () => {
    const metrics = createMetrics('turns-test');
    const turns = takeTurns({
      atOnce: 2,
      waiting: 1,
      busy: () => new HttpProblem(503, 'BUSY', 'busy now'),
      metrics: { registry: metrics, running: ['t_running', 'running'], waiting: ['t_waiting', 'waiting'] },
    });
    const gates = Array.from({ length: 3 }, () => Promise.withResolvers<void>());
    const started: number[] = [];
    const jobs = gates.map((gate, i) =>
      turns.run(async () => {
        started.push(i);
        await gate.promise;
        return i;
      }),
    );
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual([0, 1]);
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/^t_running\{service="turns-test"\} 2$/m);
    expect(text).toMatch(/^t_waiting\{service="turns-test"\} 1$/m);
    // A fourth while two work and one waits: refused, not queued.
    await expect(turns.run(async () => 3)).rejects.toMatchObject({ status: 503, code: 'BUSY' });

    gates[0]?.resolve();
    await expect(jobs[0]).resolves.toBe(0);
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual([0, 1, 2]);
    for (const gate of gates) gate.resolve();
    await expect(Promise.all(jobs)).resolves.toEqual([0, 1, 2]);
    // With the line short again, the next is taken.
    await expect(turns.run(async () => 4)).resolves.toBe(4);
  });
});
