import {
  HttpProblem,
  type Kysely,
  type Logger,
  problems,
  publishInTransaction,
  type Redis,
  type Transaction,
} from '@tiketi/kit';
import type { EmailTokenRepository } from '../db/email-token.repository.ts';
import type { AllSessionsEnd, DB, UserRow } from '../db/schema.ts';
import type { UserRepository } from '../db/user.repository.ts';
import { assertPasswordAllowed, normaliseEmail, type PasswordHasher } from './credentials.ts';
import { proveAddress } from './email-verification.ts';
import { issueMailedLink, unusableMailedToken } from './mailed-tokens.ts';
import type { SessionEnds } from './session-ends.ts';
import { hashOpaqueToken } from './tokens.ts';

export type PasswordsDeps = {
  db: Kysely<DB>;
  users: UserRepository;
  tokens: EmailTokenRepository;
  ends: SessionEnds;
  hasher: PasswordHasher;
  redis: Redis;
  logger: Logger;
  tokenTtlMinutes: number;
  /** At most one reset mail per account in this many seconds. */
  requestIntervalSeconds: number;
};

const askedKey = (userId: string) => `password-reset:asked:${userId}`;

/**
 * 400 `WRONG_PASSWORD`, naming `field`, unless `given` is the account's password: a field of the form that
 * is wrong, not a caller without the right (which a 403 would say).
 */
export async function assertCurrentPassword(
  hasher: PasswordHasher,
  passwordHash: string,
  given: string,
  field: string,
): Promise<void> {
  if (!(await hasher.verify(passwordHash, given))) {
    throw new HttpProblem(400, 'WRONG_PASSWORD', 'The password is wrong.', {
      errors: [{ field, message: 'is wrong' }],
    });
  }
}

/**
 * Changing a password: through the mail when it is forgotten, or with the current one. `request` answers the same, at once, whether or not an account
 * has the address, and does its work after answering, so neither the answer nor its timing tells who has an
 * account; the owner gets a link with a one-time token (only its hash is kept), at most one mail per account
 * per interval, so nobody can flood a mailbox with them. `check` tells whether a link can still set a
 * password, using nothing up; `redeem` sets the password, counts the address as proved (the link reached it)
 * and makes every other reset link of the account useless; `change` needs the current password. Either ends
 * every session the account had, so whoever knew the old password is signed out; the caller hands the owner
 * a new session.
 */
export function createPasswords(deps: PasswordsDeps) {
  const { db, users, tokens } = deps;

  /**
   * Mails `user` a reset link unless one went out within the interval; answers whether it did, and if not,
   * in how many seconds another may go.
   */
  async function mailLink(user: UserRow): Promise<{ sent: true } | { sent: false; retryAfter: number }> {
    const first = await deps.redis.set(askedKey(user.id), '1', 'EX', deps.requestIntervalSeconds, 'NX');
    if (first !== 'OK')
      return { sent: false, retryAfter: Math.max(1, await deps.redis.ttl(askedKey(user.id))) };
    try {
      await db
        .transaction()
        .execute((trx) => issueMailedLink(trx, tokens, user, 'reset', deps.tokenTtlMinutes * 60_000));
    } catch (error) {
      // Nothing was mailed: the owner may ask again at once.
      await deps.redis.del(askedKey(user.id)).catch(() => undefined);
      throw error;
    }
    return { sent: true };
  }

  /**
   * Sets the account's password in one transaction with `alongside` (which may refuse by answering false)
   * and the end of every session of the account.
   */
  async function replace(
    userId: string,
    passwordHash: string,
    options: { addressProved: boolean; reason: Exclude<AllSessionsEnd, 'account_deleted'> },
    alongside: (trx: Transaction<DB>) => Promise<boolean> = async () => true,
  ): Promise<UserRow | undefined> {
    const done = await db.transaction().execute(async (trx) => {
      if (!(await alongside(trx))) return undefined;
      // A reset link mailed before would set a password past this one: every new password ends them all.
      await tokens.useUpAll(trx, userId, 'reset');
      if (options.addressProved) await proveAddress(trx, users, userId);
      const user = await users.setPassword(trx, userId, passwordHash);
      const ended = await deps.ends.endAll(trx, userId, options.reason);
      // The owner hears of it, whoever did it: a hijacker who changed it does not go unnoticed.
      if (user) {
        await publishInTransaction(trx, 'user.password_changed', {
          userId,
          email: user.email,
          name: user.name,
          locale: user.locale,
          how: options.reason === 'password_reset' ? 'reset' : 'change',
          at: new Date().toISOString(),
        });
      }
      return user && { user, ended };
    });
    if (!done) return undefined;
    await deps.ends.announce(userId, done.ended);
    return done.user;
  }

  /**
   * The account whose password the reset token of `tokenHash` can still set; else the refusal of the token
   * (`unusableMailedToken`). Reads only: `redeem` uses the token up in its own transaction.
   */
  async function ownerOf(tokenHash: string): Promise<UserRow> {
    const known = await tokens.find(tokenHash, 'reset');
    const usable = known && !known.usedAt && known.expiresAt > new Date();
    const owner = usable ? await users.findById(known.userId) : undefined;
    if (!owner) throw await unusableMailedToken(tokens, tokenHash, 'reset');
    return owner;
  }

  return {
    /** Mails a reset link to the account holding `email`, if there is one; answers before the work is done. */
    request(email: string): void {
      const work = async () => {
        const user = await users.findByEmail(normaliseEmail(email));
        if (user) await mailLink(user);
      };
      work().catch((error: Error) => deps.logger.error({ err: error }, 'could not start a password reset'));
    },

    /**
     * An operator mails a fan the reset link (support for a fan who cannot sign in), under the same one mail
     * per interval; unlike the fan's own request, the operator is told when none went out (429), and to
     * which address one did.
     */
    async requestFor(userId: string): Promise<{ sentTo: string }> {
      const user = await users.findById(userId);
      if (!user) throw problems.notFound('The user');
      const mailed = await mailLink(user);
      if (!mailed.sent) throw problems.tooManyRequests(mailed.retryAfter);
      return { sentTo: user.email };
    },

    /**
     * Refuses a token from a reset mail as `redeem` would (used, expired, unknown) without using it or
     * changing anything: the page the link opens says so before the fan types a password.
     */
    async check(token: string): Promise<void> {
      await ownerOf(hashOpaqueToken(token));
    },

    /** Sets `password` with a token from a reset mail; answers the account, whose other sessions have ended. */
    async redeem(token: string, password: string): Promise<UserRow> {
      const tokenHash = hashOpaqueToken(token);
      const owner = await ownerOf(tokenHash);
      assertPasswordAllowed(password, owner.email);
      const passwordHash = await deps.hasher.hash(password);
      const user = await replace(
        owner.id,
        passwordHash,
        { addressProved: true, reason: 'password_reset' },
        async (trx) => Boolean(await tokens.consume(trx, tokenHash, 'reset')),
      );
      if (!user) throw await unusableMailedToken(tokens, tokenHash, 'reset');
      return user;
    },

    /**
     * Sets `password` for a signed-in account that gives its current one. An account without a password
     * (Google only) sets its first one through the mail: a stolen access token must not be enough.
     */
    async change(userId: string, current: string, password: string): Promise<UserRow> {
      const user = await users.findById(userId);
      if (!user) throw problems.unauthorized();
      if (!user.passwordHash) {
        throw new HttpProblem(
          409,
          'NO_PASSWORD',
          'This account signs in with Google and has no password yet: set one through "Forgot your password?".',
        );
      }
      await assertCurrentPassword(deps.hasher, user.passwordHash, current, 'body.currentPassword');
      assertPasswordAllowed(password, user.email);
      const passwordHash = await deps.hasher.hash(password);
      const changed = await replace(user.id, passwordHash, {
        addressProved: false,
        reason: 'password_change',
      });
      if (!changed) throw problems.unauthorized();
      return changed;
    },
  };
}

export type Passwords = ReturnType<typeof createPasswords>;
