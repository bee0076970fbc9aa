import { HttpProblem, type Logger } from '@tiketi/kit';

/**
 * Runs `pass` every `intervalMs` after the previous pass ended (never two at once), and at once when woken;
 * a wake during a pass runs another right after it, so news that came mid-pass does not wait an interval.
 * An interval of 0 runs passes only when woken.
 */
export function backgroundJob(
  name: string,
  pass: () => Promise<unknown>,
  options: { intervalMs: number; logger: Logger },
) {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = true;

  function run() {
    clearTimeout(timer);
    if (running) {
      again = true;
      return;
    }
    running = pass()
      .then(
        () => undefined,
        (error: Error) => options.logger.error({ err: error.message }, `${name} pass failed`),
      )
      .finally(() => {
        running = undefined;
        if (stopped) return;
        if (again) {
          again = false;
          run();
        } else schedule();
      });
  }

  function schedule() {
    if (stopped || options.intervalMs <= 0) return;
    timer = setTimeout(run, options.intervalMs);
  }

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      schedule();
    },
    /** Runs a pass now (or right after the one running); does nothing before start or after stop. */
    wake() {
      if (!stopped) run();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}

export type BackgroundJob = ReturnType<typeof backgroundJob>;

/**
 * One item a pass could not finish and leaves for the next: Toss or a service not answering (a 503) is
 * expected now and then, anything else is worth an operator's look.
 */
export function reportLeftForLater(
  logger: Logger,
  message: string,
  error: unknown,
  ids: Record<string, string>,
): void {
  const level = error instanceof HttpProblem && error.status === 503 ? 'info' : 'error';
  logger[level]({ ...ids, err: (error as Error).message }, message);
}
