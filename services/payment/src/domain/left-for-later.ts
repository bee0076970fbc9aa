import { HttpProblem, type Logger } from '@tiketi/kit';

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
