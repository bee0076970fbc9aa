import { afterEach, describe, expect, it } from 'vitest';
import { createMetrics } from '../src/metrics.ts';
import { MORE_WORK, type PeriodicJob, periodicJob } from '../src/periodic-job.ts';
import { capturingLogger, eventually } from '../src/testing/index.ts';

/** A promise the test resolves by hand: a pass that ends only when the test says so. */
function gate() {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

async function runsOf(metrics: ReturnType<typeof createMetrics>, job: string, outcome: string) {
  const { values } = await metrics.jobs.runs.get();
  return values.find((v) => v.labels.job === job && v.labels.outcome === outcome)?.value ?? 0;
}

describe('periodic jobs (one loop for every timer-driven job)', () => {
  const started: PeriodicJob[] = [];
  const job = (options: Parameters<typeof periodicJob>[0]) => {
    const made = periodicJob(options);
    started.push(made);
    return made;
  };
  afterEach(async () => {
    for (const j of started.splice(0)) await j.stop();
  });

  it('stop waits for the pass under way and no pass starts after it', async () => {
    const { logger } = capturingLogger();
    const release = gate();
    let passes = 0;
    let finished = 0;
    const sweeper = job({
      name: 'slow sweep',
      intervalMs: 5,
      logger,
      pass: async () => {
        passes++;
        await release.opened;
        finished++;
      },
    });
    sweeper.start();
    await eventually(async () => expect(passes).toBe(1));

    let stopped = false;
    const stopping = sweeper.stop().then(() => {
      stopped = true;
    });
    // The pass cannot end before the gate opens, so stop cannot have resolved.
    await new Promise((resolve) => setImmediate(resolve));
    expect(stopped).toBe(false);

    release.open();
    await stopping;
    expect(finished).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(passes).toBe(1);
  });

  it('logs a failing pass with the job name, keeps looping, and counts passes by outcome', async () => {
    const { logger, lines } = capturingLogger();
    const metrics = createMetrics('kit-test');
    let passes = 0;
    const flaky = job({
      name: 'flaky rollup',
      intervalMs: 5,
      logger,
      metrics,
      pass: async () => {
        passes++;
        if (passes <= 2) throw new Error(`database gone (${passes})`);
      },
    });
    flaky.start();
    await eventually(async () => expect(passes).toBeGreaterThanOrEqual(4));
    await flaky.stop();

    const failures = lines.filter((l) => l.job === 'flaky rollup' && l.level === 'warn');
    expect(failures.map((l) => l.err)).toEqual(['database gone (1)', 'database gone (2)']);
    expect(failures[0]?.msg).toBe('flaky rollup failed; will retry');
    expect(await runsOf(metrics, 'flaky rollup', 'failed')).toBe(2);
    expect(await runsOf(metrics, 'flaky rollup', 'ok')).toBe(passes - 2);
    const { values } = await metrics.jobs.duration.get();
    const count = values.find((v) => v.labels.job === 'flaky rollup' && v.metricName?.endsWith('_count'));
    expect(count?.value).toBe(passes);
  });

  it('runs again at once after a full batch, and after a wake that came mid-pass', async () => {
    const { logger } = capturingLogger();
    const release = gate();
    const batches = [MORE_WORK, MORE_WORK, undefined];
    let passes = 0;
    const relay = job({
      name: 'relay',
      // Never by the timer in this test: only wakes and full batches run passes.
      intervalMs: 3_600_000,
      logger,
      pass: async () => {
        passes++;
        if (passes === 4) await release.opened;
        return batches.shift();
      },
    });
    relay.start();
    relay.wake();
    await eventually(async () => expect(passes).toBe(3));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(passes).toBe(3);

    relay.wake();
    await eventually(async () => expect(passes).toBe(4));
    relay.wake();
    relay.wake();
    release.open();
    // Two wakes during pass 4 fold into one more pass.
    await eventually(async () => expect(passes).toBe(5));
    await relay.stop();
    expect(passes).toBe(5);
  });

  it('runs a pass on demand before start, and waits for it', async () => {
    const { logger } = capturingLogger();
    let passes = 0;
    const step = job({
      name: 'admission step',
      intervalMs: 0,
      logger,
      pass: async () => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        passes++;
      },
    });
    step.wake();
    expect(passes).toBe(0);
    await step.runNow();
    expect(passes).toBe(1);
    await Promise.all([step.runNow(), step.runNow()]);
    expect(passes).toBeGreaterThanOrEqual(2);
  });
});
