import type { Kysely, Logger, Redis, SessionRevocations } from '@tiketi/kit';
import type { EmailTokenRepository } from '../db/email-token.repository.ts';
import type { DB, UserRow } from '../db/schema.ts';
import type { SessionRepository } from '../db/session.repository.ts';
import type { UserRepository } from '../db/user.repository.ts';
import { assertPasswordAllowed, normaliseEmail, type PasswordHasher } from './credentials.ts';
import { issueMailedLink, unusableMailedToken } from './mailed-tokens.ts';
import { hashOpaqueToken } from './tokens.ts';

export type PasswordResetDeps = {
  db: Kysely<DB>;
  users: UserRepository;
  tokens: EmailTokenRepository;
  sessions: SessionRepository;
  hasher: PasswordHasher;
  redis: Redis;
  /** Where the ended sessions are announced, so their access tokens stop at once. */
  revocations: SessionRevocations;
  accessTtlSeconds: number;
  logger: Logger;
  tokenTtlMinutes: number;
  /** At most one reset mail per account in this many seconds. */
  requestIntervalSeconds: number;
};

const askedKey = (userId: string) => `password-reset:asked:${userId}`;

/**
 * Setting a new password through the mail. `request` answers the same, at once, whether or not an account
 * has the address, and does its work after answering, so neither the answer nor its timing tells who has an
 * account; the owner gets a link with a one-time token (only its hash is kept), at most one mail per account
 * per interval, so nobody can flood a mailbox with them. `redeem` sets the password, counts the address as
 * proved (the link reached it), makes every other reset link of the account useless, and ends every
 * session the account had: whoever knew the old password is signed out.
 */
export function createPasswordReset(deps: PasswordResetDeps) {
  const { db, users, tokens, sessions } = deps;

  async function mailLink(email: string): Promise<void> {
    const user = await users.findByEmail(normaliseEmail(email));
    if (!user) return;
    const first = await deps.redis.set(askedKey(user.id), '1', 'EX', deps.requestIntervalSeconds, 'NX');
    if (first !== 'OK') return;
    try {
      await db
        .transaction()
        .execute((trx) => issueMailedLink(trx, tokens, user, 'reset', deps.tokenTtlMinutes * 60_000));
    } catch (error) {
      // Nothing was mailed: the owner may ask again at once.
      await deps.redis.del(askedKey(user.id)).catch(() => undefined);
      throw error;
    }
  }

  return {
    /** Mails a reset link to the account holding `email`, if there is one; answers before the work is done. */
    request(email: string): void {
      mailLink(email).catch((error: Error) =>
        deps.logger.error({ err: error }, 'could not start a password reset'),
      );
    },

    /** Sets `password` with a token from a reset mail; answers the account, whose other sessions have ended. */
    async redeem(token: string, password: string): Promise<UserRow> {
      const tokenHash = hashOpaqueToken(token);
      const known = await tokens.find(tokenHash, 'reset');
      const usable = known && !known.usedAt && known.expiresAt > new Date();
      const owner = usable ? await users.findById(known.userId) : undefined;
      if (!owner) throw await unusableMailedToken(tokens, tokenHash, 'reset');
      assertPasswordAllowed(password, owner.email);
      const passwordHash = await deps.hasher.hash(password);
      const done = await db.transaction().execute(async (trx) => {
        const used = await tokens.consume(trx, tokenHash, 'reset');
        if (!used) return undefined;
        await tokens.useUpAll(trx, used.userId, 'reset');
        const user = await users.setPassword(trx, used.userId, passwordHash);
        const ended = await sessions.revokeAllOf(trx, used.userId, 'password_reset');
        return user && { user, ended };
      });
      if (!done) throw await unusableMailedToken(tokens, tokenHash, 'reset');
      const announced = await Promise.allSettled(
        done.ended.map((familyId) => deps.revocations.revoke(familyId, deps.accessTtlSeconds)),
      );
      if (announced.some((result) => result.status === 'rejected')) {
        // The sessions' refresh tokens are ended in the database; their access tokens run out on their own.
        deps.logger.warn(
          { userId: done.user.id },
          'could not announce the sessions ended by a password reset',
        );
      }
      return done.user;
    },
  };
}

export type PasswordReset = ReturnType<typeof createPasswordReset>;
