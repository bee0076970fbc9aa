import { escapeLike, type Kysely, type Page, paginate, type Transaction } from '@tiketi/kit';
import type { DB, Locale, Role, UserRow } from './schema.ts';

type Executor = Kysely<DB> | Transaction<DB>;

const columns = [
  'id',
  'email',
  'name',
  'role',
  'locale',
  'passwordHash',
  'emailVerifiedAt',
  'createdAt',
] as const;

export function userRepository(db: Kysely<DB>) {
  return {
    async findById(id: string, executor: Executor = db): Promise<UserRow | undefined> {
      return executor.selectFrom('users').select(columns).where('id', '=', id).executeTakeFirst();
    },

    findMany(ids: string[]): Promise<UserRow[]> {
      if (ids.length === 0) return Promise.resolve([]);
      return db.selectFrom('users').select(columns).where('id', 'in', ids).execute();
    },

    async findByEmail(email: string, executor: Executor = db): Promise<UserRow | undefined> {
      return executor.selectFrom('users').select(columns).where('email', '=', email).executeTakeFirst();
    },

    /** Inserts a user; a taken email surfaces as PostgreSQL's unique violation. */
    async insert(
      executor: Executor,
      user: {
        id: string;
        email: string;
        name: string;
        passwordHash: string | null;
        role?: Role;
        emailVerifiedAt?: Date | null;
        locale?: Locale;
      },
    ): Promise<UserRow> {
      return executor
        .insertInto('users')
        .values({ ...user, role: user.role ?? 'user' })
        .returning(columns)
        .executeTakeFirstOrThrow();
    },

    /** Inserts unless the email exists; answers the new row or nothing. */
    async insertIfAbsent(
      executor: Executor,
      user: {
        id: string;
        email: string;
        name: string;
        passwordHash: string;
        role: Role;
        emailVerifiedAt?: Date;
        registrationContestedAt?: Date;
        locale?: Locale;
      },
    ): Promise<UserRow | undefined> {
      return executor
        .insertInto('users')
        .values(user)
        .onConflict((oc) => oc.column('email').doNothing())
        .returning(columns)
        .executeTakeFirst();
    },

    /** Whether this account's registration replaced another unproved one of its address. */
    async registrationContested(executor: Executor, id: string): Promise<boolean> {
      const row = await executor
        .selectFrom('users')
        .select('registrationContestedAt')
        .where('id', '=', id)
        .executeTakeFirst();
      return Boolean(row?.registrationContestedAt);
    },

    /** Marks the address proved; `newly` when it was not before (absent: no such account). */
    async markVerified(
      executor: Executor,
      id: string,
    ): Promise<{ user: UserRow; newly: boolean } | undefined> {
      const marked = await executor
        .updateTable('users')
        .set({ emailVerifiedAt: new Date(), updatedAt: new Date() })
        .where('id', '=', id)
        .where('emailVerifiedAt', 'is', null)
        .returning(columns)
        .executeTakeFirst();
      if (marked) return { user: marked, newly: true };
      const user = await executor.selectFrom('users').select(columns).where('id', '=', id).executeTakeFirst();
      return user && { user, newly: false };
    },

    /** Sets a new password; answers the account. */
    async setPassword(executor: Executor, id: string, passwordHash: string): Promise<UserRow | undefined> {
      return executor
        .updateTable('users')
        .set({ passwordHash, updatedAt: new Date() })
        .where('id', '=', id)
        .returning(columns)
        .executeTakeFirst();
    },

    /** Removes the account; its sign-in methods, sessions and mailed links go with it. */
    async delete(executor: Executor, id: string): Promise<boolean> {
      const result = await executor.deleteFrom('users').where('id', '=', id).executeTakeFirst();
      return result.numDeletedRows > 0n;
    },

    /** The account holding `email` whose owner never proved it, locked until the transaction ends. */
    async lockUnverified(trx: Transaction<DB>, email: string): Promise<string | undefined> {
      const row = await trx
        .selectFrom('users')
        .select('id')
        .where('email', '=', email)
        .where('emailVerifiedAt', 'is', null)
        .forUpdate()
        .executeTakeFirst();
      return row?.id;
    },

    /**
     * Removes the account holding `email` if its owner never proved the address; its sessions and pending
     * verifications go with it. Answers whether one was removed.
     */
    async deleteUnverified(executor: Executor, email: string): Promise<boolean> {
      const result = await executor
        .deleteFrom('users')
        .where('email', '=', email)
        .where('emailVerifiedAt', 'is', null)
        .executeTakeFirst();
      return result.numDeletedRows > 0n;
    },

    async update(
      executor: Executor,
      id: string,
      change: { name?: string; locale?: Locale },
    ): Promise<UserRow | undefined> {
      return executor
        .updateTable('users')
        .set({ ...change, updatedAt: new Date() })
        .where('id', '=', id)
        .returning(columns)
        .executeTakeFirst();
    },

    /** Users whose email or name contains `query`, newest first. */
    search(filter: { query?: string | undefined; role?: Role | undefined } & Page) {
      let query = db.selectFrom('users');
      if (filter.role) query = query.where('role', '=', filter.role);
      if (filter.query) {
        const pattern = `%${escapeLike(filter.query)}%`;
        query = query.where((eb) => eb.or([eb('email', 'ilike', pattern), eb('name', 'ilike', pattern)]));
      }
      return paginate(
        query,
        (q) => q.select(columns).orderBy('createdAt', 'desc').orderBy('id', 'desc'),
        filter,
      );
    },

    async findIdentity(provider: 'google', subject: string, executor: Executor = db) {
      return executor
        .selectFrom('userIdentities')
        .select(['userId', 'email'])
        .where('provider', '=', provider)
        .where('subject', '=', subject)
        .executeTakeFirst();
    },

    /** Links an outside identity; a second link of the same identity is a no-op. */
    async linkIdentity(
      executor: Executor,
      identity: { provider: 'google'; subject: string; userId: string; email: string },
    ): Promise<void> {
      await executor
        .insertInto('userIdentities')
        .values(identity)
        .onConflict((oc) => oc.columns(['provider', 'subject']).doNothing())
        .execute();
    },
  };
}

export type UserRepository = ReturnType<typeof userRepository>;
