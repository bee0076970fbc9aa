import { type Kysely, sql } from '@tiketi/kit';
import { v7 as uuidv7 } from 'uuid';
import type { DB } from './schema.ts';

export type StoredAnswer = { status: number; body: unknown };

/** What a request with an Idempotency-Key finds: its own to work on, the first answer, or neither yet. */
export type Claim =
  | { kind: 'mine'; id: string }
  | { kind: 'answered'; answer: StoredAnswer }
  | { kind: 'running' }
  | { kind: 'mismatch' };

export function idempotencyRepository(db: Kysely<DB>) {
  return {
    /**
     * One statement decides who works on (caller, key): the first to insert it, or the first to come after
     * the lease of a worker that gave no answer ran out. Everyone else reads what is there.
     */
    async claim(callerId: string, key: string, fingerprint: string, leaseMs: number): Promise<Claim> {
      const lockedUntil = sql<Date>`now() + ${leaseMs} * interval '1 millisecond'`;
      const mine = await db
        .insertInto('idempotentRequests')
        .values({ id: uuidv7(), callerId, key, fingerprint, status: null, answer: null, lockedUntil })
        .onConflict((oc) =>
          oc
            .columns(['callerId', 'key'])
            .doUpdateSet({ lockedUntil })
            .where('idempotentRequests.status', 'is', null)
            .where('idempotentRequests.lockedUntil', '<=', sql<Date>`now()`)
            .whereRef('idempotentRequests.fingerprint', '=', 'excluded.fingerprint'),
        )
        .returning('id')
        .executeTakeFirst();
      if (mine) return { kind: 'mine', id: mine.id };
      const row = await db
        .selectFrom('idempotentRequests')
        .select(['fingerprint', 'status', 'answer'])
        .where('callerId', '=', callerId)
        .where('key', '=', key)
        .executeTakeFirst();
      if (!row) return { kind: 'running' };
      if (row.fingerprint !== fingerprint) return { kind: 'mismatch' };
      if (row.status === null) return { kind: 'running' };
      return { kind: 'answered', answer: { status: row.status, body: row.answer } };
    },

    /** The first answer stays: a worker that lost its lease and finishes late changes nothing. */
    async answer(id: string, answer: StoredAnswer): Promise<void> {
      await db
        .updateTable('idempotentRequests')
        .set({ status: answer.status, answer: JSON.stringify(answer.body) })
        .where('id', '=', id)
        .where('status', 'is', null)
        .execute();
    },

    /** Ends the lease at once (the request failed in a way worth retrying): the next repeat works on it. */
    async release(id: string): Promise<void> {
      await db
        .updateTable('idempotentRequests')
        .set({ lockedUntil: sql<Date>`now()` })
        .where('id', '=', id)
        .where('status', 'is', null)
        .execute();
    },

    async forgetBefore(before: Date): Promise<void> {
      await db.deleteFrom('idempotentRequests').where('createdAt', '<', before).execute();
    },
  };
}

export type IdempotencyRepository = ReturnType<typeof idempotencyRepository>;
