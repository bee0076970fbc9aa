import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { HttpProblem, problems } from '@tiketi/kit';
import type { z } from 'zod';
import type { IdempotencyRepository, StoredAnswer } from '../db/idempotency.repository.ts';

/** How long a request may work on its key before a repeat may take the key over. */
const LEASE_MS = 60_000;
/** How often a repeat that arrived while the first request runs looks for its answer. */
const WAIT_STEP_MS = 100;

export type KeyedRequest<S extends z.ZodType> = {
  callerId: string;
  /** The Idempotency-Key header; without one the request simply runs. */
  key: string | undefined;
  /** What makes two requests "the same": route, path parameters and body. */
  what: unknown;
  /** The status the route answers a success with, and the schema of that answer. */
  status: number;
  answer: S;
};

/**
 * The `Idempotency-Key` of every POST of this service that moves money or state: the same key with the
 * same request answers the first answer (status and body, a refusal too), the same key with another request
 * is refused, and identical requests at the same moment do the work once (the others wait for its answer).
 * Answers live in PostgreSQL, per caller. A 5xx is not kept: a retry does the work, and `run` gets the same
 * request id again so it can finish what the failed attempt started rather than start anew.
 */
export function idempotentRequests(repo: IdempotencyRepository) {
  function replay<S extends z.ZodType>(request: KeyedRequest<S>, stored: StoredAnswer): z.output<S> {
    if (stored.status >= 400) {
      const {
        status,
        code,
        detail,
        errors,
        type: _type,
        title: _title,
        instance: _instance,
        ...extra
      } = stored.body as Record<string, unknown> & { status: number; code: string; detail: string };
      throw new HttpProblem(status, code, detail, {
        extra,
        ...(Array.isArray(errors) ? { errors } : {}),
      });
    }
    return request.answer.parse(stored.body);
  }

  return {
    async once<S extends z.ZodType>(
      request: KeyedRequest<S>,
      run: (requestId: string | undefined) => Promise<z.output<S>>,
    ): Promise<z.output<S>> {
      const { callerId, key } = request;
      if (key === undefined) return run(undefined);
      const fingerprint = createHash('sha256').update(JSON.stringify(request.what)).digest('hex');
      for (;;) {
        const claim = await repo.claim(callerId, key, fingerprint, LEASE_MS);
        if (claim.kind === 'mismatch') {
          throw problems.unprocessable(
            'IDEMPOTENCY_KEY_REUSED',
            'This Idempotency-Key was already used for a different request.',
          );
        }
        if (claim.kind === 'answered') return replay(request, claim.answer);
        if (claim.kind === 'running') {
          await sleep(WAIT_STEP_MS);
          continue;
        }
        try {
          const value = await run(claim.id);
          await repo.answer(claim.id, { status: request.status, body: request.answer.encode(value) });
          return value;
        } catch (error) {
          if (error instanceof HttpProblem && error.status < 500 && error.status !== 429) {
            await repo.answer(claim.id, { status: error.status, body: error.toProblem() });
          } else {
            await repo.release(claim.id);
          }
          throw error;
        }
      }
    },

    /** Keys are kept as long as Toss keeps its own (15 days). */
    forgetOld: (now: Date) => repo.forgetBefore(new Date(now.getTime() - 15 * 86_400_000)),
  };
}

export type IdempotentRequests = ReturnType<typeof idempotentRequests>;
