import {
  HttpProblem,
  type Kysely,
  problems,
  publishInTransaction,
  type Redis,
  type Transaction,
} from '@tiketi/kit';
import type { EmailTokenRepository } from '../db/email-token.repository.ts';
import type { DB, UserRow } from '../db/schema.ts';
import type { UserRepository } from '../db/user.repository.ts';
import { issueMailedLink, unusableMailedToken } from './mailed-tokens.ts';
import { hashOpaqueToken } from './tokens.ts';

export type EmailVerificationDeps = {
  db: Kysely<DB>;
  users: UserRepository;
  tokens: EmailTokenRepository;
  redis: Redis;
  tokenTtlHours: number;
  resendIntervalSeconds: number;
};

const resendKey = (userId: string) => `verify-email:resend:${userId}`;
const warnedKey = (userId: string) => `verify-email:warned:${userId}`;
/** At most one "someone tried to register your address" mail per account in this time. */
const WARNING_INTERVAL_SECONDS = 3600;

/**
 * Marks the account's address proved (a link mailed to it was opened) and, the first time, announces it:
 * the welcome mail waits for this. Answers the account (absent: there is none).
 */
export async function proveAddress(
  trx: Transaction<DB>,
  users: UserRepository,
  userId: string,
): Promise<UserRow | undefined> {
  const marked = await users.markVerified(trx, userId);
  if (marked?.newly) {
    const { user } = marked;
    await publishInTransaction(trx, 'user.email_verified', {
      userId: user.id,
      email: user.email,
      name: user.name,
      locale: user.locale,
    });
  }
  return marked?.user;
}

/**
 * Proving an email address. A verification mail carries a one-time token (`issueMailedLink`) that the web
 * app's `/verify-email` page hands back.
 */
export function createEmailVerification(deps: EmailVerificationDeps) {
  const { db, users, tokens } = deps;

  async function request(trx: Transaction<DB>, user: UserRow): Promise<void> {
    await issueMailedLink(trx, tokens, user, 'verify', deps.tokenTtlHours * 3_600_000);
  }

  return {
    request,

    /**
     * Tells the owner of a verified address that someone tried to register it, at most once an hour, so
     * register cannot be used to flood their mailbox.
     */
    async warnOwner(trx: Transaction<DB>, owner: UserRow): Promise<void> {
      const first = await deps.redis.set(warnedKey(owner.id), '1', 'EX', WARNING_INTERVAL_SECONDS, 'NX');
      if (first !== 'OK') return;
      await publishInTransaction(trx, 'user.registration_repeated', {
        userId: owner.id,
        email: owner.email,
        name: owner.name,
        locale: owner.locale,
      });
    },

    /**
     * Uses a token up and marks its account's address proved. The link of a registration that replaced
     * another unproved one of the address proves it only for `callerId` signed in to that account: the
     * mailbox's owner may have registered either, and opening a stranger's link must not hand the stranger
     * the address. Such a link stays usable until its registrant opens it.
     */
    async verify(token: string, callerId?: string): Promise<UserRow> {
      const tokenHash = hashOpaqueToken(token);
      const verified = await db.transaction().execute(async (trx) => {
        const used = await tokens.consume(trx, tokenHash, 'verify');
        if (!used) return undefined;
        if (used.userId !== callerId && (await users.registrationContested(trx, used.userId))) {
          throw registrantOnly();
        }
        return proveAddress(trx, users, used.userId);
      });
      if (verified) return verified;
      throw await unusableMailedToken(tokens, tokenHash, 'verify');
    },

    /**
     * Mails a fresh link, at most once per interval per account. An account nobody holds any more (a
     * replaced registration) gets the same answer and no mail.
     */
    async resend(userId: string): Promise<void> {
      const free = await deps.redis.set(resendKey(userId), '1', 'EX', deps.resendIntervalSeconds, 'NX');
      if (free !== 'OK') {
        const ttl = await deps.redis.ttl(resendKey(userId));
        throw problems.tooManyRequests(Math.max(1, ttl));
      }
      const user = await users.findById(userId);
      if (user?.emailVerifiedAt) {
        throw new HttpProblem(409, 'EMAIL_ALREADY_VERIFIED', 'This email address is already verified.');
      }
      if (!user) return;
      await db.transaction().execute((trx) => request(trx, user));
    },
  };
}

export type EmailVerification = ReturnType<typeof createEmailVerification>;

function registrantOnly() {
  return new HttpProblem(
    403,
    'VERIFICATION_NEEDS_SIGN_IN',
    'This address was registered more than once, so its link works only for the account that registered it: sign in with the password you chose when you registered, then open the link again, or set a new password through "Forgot your password?" on the log-in page.',
  );
}
