import { HttpProblem, howMany, type Kysely, publishInTransaction } from '@tiketi/kit';
import type { ReservationClient } from '../clients/reservation.client.ts';
import type { DB } from '../db/schema.ts';
import type { UserRepository } from '../db/user.repository.ts';
import { normaliseEmail, type PasswordHasher } from './credentials.ts';
import { assertCurrentPassword } from './passwords.ts';
import type { SessionEnds } from './session-ends.ts';

export type AccountDeletionDeps = {
  db: Kysely<DB>;
  users: UserRepository;
  ends: SessionEnds;
  hasher: PasswordHasher;
  reservations: Pick<ReservationClient, 'commitments'>;
};

/** What the owner gives to prove it is them: the password, or (without one) the address typed out. */
export type DeletionProof = { password?: string | undefined; email?: string | undefined };

/**
 * A fan deletes their own account (회원 탈퇴). The owner proves it is them again: the password, or, for an
 * account that signs in only with Google, its address typed out. Nothing may still tie the account to a sale
 * (a hold, whose payment may be under way, or a ticket for an event to come): those are the fan's to use or
 * give back first. The account's row goes, with its sign-in methods, sessions and mailed links, and
 * `user.deleted` tells the services that keep personal details of the user to forget them; what they keep
 * for the books (orders, payments) stays under the bare user id. Every access token of the account is
 * refused from then on, and the address may be registered again.
 */
export function createAccountDeletion(deps: AccountDeletionDeps) {
  const { db, users, ends } = deps;

  return {
    async delete(userId: string, proof: DeletionProof): Promise<void> {
      const user = await users.findById(userId);
      if (!user) return;
      if (user.role === 'admin') {
        throw new HttpProblem(
          409,
          'OPERATOR_ACCOUNT',
          'An operator account cannot delete itself; another operator removes it.',
        );
      }
      if (user.passwordHash) {
        await assertCurrentPassword(deps.hasher, user.passwordHash, proof.password ?? '', 'body.password');
      } else if (normaliseEmail(proof.email ?? '') !== user.email) {
        throw new HttpProblem(400, 'CONFIRMATION_MISMATCH', "Type the account's email address to confirm.", {
          errors: [{ field: 'body.email', message: "is not the account's address" }],
        });
      }
      const { holds, upcomingTickets } = await deps.reservations.commitments(user.id);
      if (holds > 0 || upcomingTickets > 0) {
        const ties = [
          ...(holds > 0
            ? [`${howMany(holds, 'seat hold', 'seat holds')}, whose payment may be under way`]
            : []),
          ...(upcomingTickets > 0
            ? [`${howMany(upcomingTickets, 'ticket', 'tickets')} for events still to come`]
            : []),
        ];
        throw new HttpProblem(
          409,
          'ACCOUNT_IN_USE',
          `The account still has ${ties.join(' and ')}: release or refund them first.`,
          { extra: { holds, upcomingTickets } },
        );
      }
      const ended = await db.transaction().execute(async (trx) => {
        const families = await ends.endAll(trx, user.id, 'account_deleted');
        if (!(await users.delete(trx, user.id))) return undefined;
        await publishInTransaction(trx, 'user.deleted', { userId: user.id });
        return families;
      });
      if (ended) await ends.announce(user.id, ended);
    },
  };
}

export type AccountDeletion = ReturnType<typeof createAccountDeletion>;
