import {
  HttpProblem,
  isUniqueViolation,
  type Kysely,
  publishInTransaction,
  type Transaction,
} from '@tiketi/kit';
import { v7 as uuidv7 } from 'uuid';
import type { DB, Locale, UserRow } from '../db/schema.ts';
import type { SessionRepository } from '../db/session.repository.ts';
import type { UserRepository } from '../db/user.repository.ts';
import { assertPasswordAllowed, normaliseEmail, type PasswordHasher } from './credentials.ts';
import type { EmailVerification } from './email-verification.ts';
import type { SessionEnds } from './session-ends.ts';
import { hashRefreshToken, newRefreshToken, type TokenSigner } from './tokens.ts';

export type Session = { user: UserRow; accessToken: string; refreshToken: string; expiresIn: number };

/** A stored refresh token of a family, before its access token is signed. */
type Grant = { user: UserRow; familyId: string; refreshToken: string };

/** What a verified outside provider tells us about the person signing in. */
export type ExternalIdentity = {
  provider: 'google';
  subject: string;
  email: string;
  name: string;
  /** The language of the page the sign-in started on: a new account speaks it. */
  locale?: Locale | undefined;
};

export type AuthServiceDeps = {
  db: Kysely<DB>;
  users: UserRepository;
  sessions: SessionRepository;
  hasher: PasswordHasher;
  signer: TokenSigner;
  verification: EmailVerification;
  refreshTtlDays: number;
  /** Ends sessions, and tells every token check, so their access tokens stop at once. */
  ends: SessionEnds;
};

const DAY_MS = 86_400_000;

const invalidCredentials = () =>
  new HttpProblem(401, 'INVALID_CREDENTIALS', 'The email or the password is wrong.');
const invalidRefresh = () =>
  new HttpProblem(401, 'INVALID_REFRESH_TOKEN', 'The refresh token is not valid any more; sign in again.');

/**
 * Accounts and sessions. A login starts a refresh-token family; each refresh uses one token up and hands
 * out the next. Presenting a used token means it was copied: the whole family is revoked, so the thief
 * and the owner both have to sign in again.
 */
export function createAuthService(deps: AuthServiceDeps) {
  const { db, users, sessions, hasher, signer, verification, ends } = deps;

  /**
   * An account holding the address whose owner never proved it is nobody's yet: it goes, and its sessions
   * end with it, access tokens included (told to every token check once this commits, by the retry). The
   * services that keep something of it hear `user.deleted`, as when an owner deletes an account. Answers
   * whether there was one.
   */
  async function removeUnverified(trx: Transaction<DB>, email: string): Promise<boolean> {
    const holder = await users.lockUnverified(trx, email);
    if (!holder) return false;
    await ends.endAll(trx, holder, 'account_deleted');
    await users.deleteUnverified(trx, email);
    await publishInTransaction(trx, 'user.deleted', { userId: holder });
    return true;
  }

  /**
   * Stores the next refresh token of a family; the session is handed out by `sessionOf` once that is
   * committed. The access token is signed outside the transaction: reading the signing key may take a
   * connection of its own, which a request holding one must not wait for.
   */
  async function grant(
    user: UserRow,
    familyId: string,
    executor: Kysely<DB> | Transaction<DB>,
  ): Promise<Grant> {
    const refreshToken = newRefreshToken();
    await sessions.addToken(executor, {
      tokenHash: hashRefreshToken(refreshToken),
      familyId,
      expiresAt: new Date(Date.now() + deps.refreshTtlDays * DAY_MS),
    });
    return { user, familyId, refreshToken };
  }

  async function startFamily(user: UserRow, executor: Kysely<DB> | Transaction<DB> = db): Promise<Grant> {
    const familyId = uuidv7();
    await sessions.createFamily(executor, { id: familyId, userId: user.id });
    return grant(user, familyId, executor);
  }

  async function sessionOf({ user, familyId, refreshToken }: Grant): Promise<Session> {
    const accessToken = await signer.sign(user, familyId);
    return { user, accessToken, refreshToken, expiresIn: signer.accessTtlSeconds };
  }

  /** Announces a new account (outbox, same transaction). */
  async function announce(trx: Transaction<DB>, user: UserRow, provider: 'password' | 'google') {
    await publishInTransaction(trx, 'user.registered', {
      userId: user.id,
      email: user.email,
      name: user.name,
      locale: user.locale,
      provider,
    });
  }

  /**
   * What a registration for an address that already has a verified account answers: the shape and the work
   * of a new account's session, for an account that does not exist. Its access token says the address is not
   * verified (so it can hold nothing) and its refresh token was never stored; the address's owner is told by
   * mail instead. A caller who goes on to use these tokens can tell (docs/reliability.md says how far this goes).
   */
  async function decoySession(email: string, name: string, locale: Locale = 'ko'): Promise<Session> {
    const user: UserRow = {
      id: uuidv7(),
      email,
      name,
      role: 'user',
      locale,
      passwordHash: null,
      emailVerifiedAt: null,
      createdAt: new Date(),
    };
    return {
      user,
      accessToken: await signer.sign(user, uuidv7()),
      refreshToken: newRefreshToken(),
      expiresIn: signer.accessTtlSeconds,
    };
  }

  return {
    /**
     * Creates a password account, unverified, and mails the link that verifies it. An address held only by
     * an unverified account is not owned by anyone yet: that account is replaced. An address with a verified
     * account gets an answer of the same status and shape (a decoy session) and its owner a warning mail, so
     * register never tells who has an account.
     */
    async register(input: {
      email: string;
      password: string;
      name: string;
      locale?: Locale | undefined;
    }): Promise<Session> {
      const email = normaliseEmail(input.email);
      const name = input.name.trim();
      assertPasswordAllowed(input.password, email);
      const passwordHash = await hasher.hash(input.password);
      const created = await db.transaction().execute(async (trx) => {
        // Replacing an unproved registration keeps a squatter from holding the address, but the one
        // replaced may be the owner's: the mailbox then holds links of both, alike, and the link of this one
        // proves the address only for whoever registered it (`EmailVerification.verify`).
        const replaced = await removeUnverified(trx, email);
        const user = await users.insertIfAbsent(trx, {
          id: uuidv7(),
          email,
          name,
          passwordHash,
          role: 'user',
          ...(input.locale ? { locale: input.locale } : {}),
          ...(replaced ? { registrationContestedAt: new Date() } : {}),
        });
        if (user) {
          await announce(trx, user, 'password');
          await verification.request(trx, user);
          return startFamily(user, trx);
        }
        const owner = await users.findByEmail(email, trx);
        if (owner) await verification.warnOwner(trx, owner);
        return undefined;
      });
      return created ? sessionOf(created) : decoySession(email, name, input.locale);
    },

    /**
     * An operator creates a door-staff account. The operator vouches for the address, so it counts as
     * verified; an unverified account holding it is replaced, as a registration would. No mail goes out:
     * the operator hands the password over.
     */
    async createStaff(input: { email: string; password: string; name: string }): Promise<UserRow> {
      const email = normaliseEmail(input.email);
      assertPasswordAllowed(input.password, email);
      const passwordHash = await hasher.hash(input.password);
      const created = await db.transaction().execute(async (trx) => {
        await removeUnverified(trx, email);
        return users.insertIfAbsent(trx, {
          id: uuidv7(),
          email,
          name: input.name.trim(),
          passwordHash,
          role: 'staff',
          emailVerifiedAt: new Date(),
        });
      });
      if (!created) throw new HttpProblem(409, 'EMAIL_TAKEN', 'An account with this email already exists.');
      return created;
    },

    /** Unknown email and wrong password answer alike, after the same argon2 work. */
    async login(input: { email: string; password: string }): Promise<Session> {
      const user = await users.findByEmail(normaliseEmail(input.email));
      const ok = await hasher.verify(user?.passwordHash ?? null, input.password);
      if (!user || !ok) throw invalidCredentials();
      return sessionOf(await startFamily(user));
    },

    /** A new session for an account that proved who it is another way (a password reset link). */
    async startSession(user: UserRow): Promise<Session> {
      return sessionOf(await startFamily(user));
    },

    async refresh(refreshToken: string): Promise<Session> {
      const tokenHash = hashRefreshToken(refreshToken);
      const rotated = await db.transaction().execute(async (trx) => {
        const used = await sessions.consume(trx, tokenHash);
        if (!used) return undefined;
        const user = await users.findById(used.userId, trx);
        if (!user) throw invalidRefresh();
        return grant(user, used.familyId, trx);
      });
      if (rotated) return sessionOf(rotated);
      const known = await sessions.find(tokenHash);
      if (known?.usedAt && !known.revokedAt) {
        await ends.endOne(known.familyId, 'reuse');
        throw new HttpProblem(
          401,
          'REFRESH_TOKEN_REUSED',
          'This refresh token was already used; every session started from it is signed out.',
        );
      }
      throw invalidRefresh();
    },

    /** Ends the session the token belongs to; unknown tokens are accepted silently (nothing to end). */
    async logout(refreshToken: string): Promise<void> {
      const known = await sessions.find(hashRefreshToken(refreshToken));
      if (known) await ends.endOne(known.familyId, 'logout');
    },

    /**
     * Signs in with a verified outside identity: the account already linked to it, else the account with
     * the same verified email, which gets linked, else a new account (verified: the provider proved the
     * address). An account holding the address whose owner never proved it is removed first, with its
     * password and sessions: whoever set that password may not be the owner (account pre-hijacking), and
     * linking must never keep a password the owner did not set.
     */
    async signInWithIdentity(identity: ExternalIdentity): Promise<{ session: Session; created: boolean }> {
      const email = normaliseEmail(identity.email);
      const attempt = () =>
        db.transaction().execute(async (trx) => {
          const linked = await users.findIdentity(identity.provider, identity.subject, trx);
          let user = linked ? await users.findById(linked.userId, trx) : undefined;
          let created = false;
          if (!user) {
            await removeUnverified(trx, email);
            user = await users.findByEmail(email, trx);
            if (!user) {
              const name = identity.name.trim() || email.split('@')[0] || email;
              user = await users.insert(trx, {
                id: uuidv7(),
                email,
                name,
                passwordHash: null,
                emailVerifiedAt: new Date(),
                ...(identity.locale ? { locale: identity.locale } : {}),
              });
              await announce(trx, user, identity.provider);
              created = true;
            }
            await users.linkIdentity(trx, {
              provider: identity.provider,
              subject: identity.subject,
              email,
              userId: user.id,
            });
          }
          return { granted: await startFamily(user, trx), created };
        });
      let signedIn: Awaited<ReturnType<typeof attempt>>;
      try {
        signedIn = await attempt();
      } catch (error) {
        // Two first logins of one person at once: the loser finds the winner's account on a second try.
        if (!isUniqueViolation(error)) throw error;
        signedIn = await attempt();
      }
      return { session: await sessionOf(signedIn.granted), created: signedIn.created };
    },
  };
}

export type AuthService = ReturnType<typeof createAuthService>;
