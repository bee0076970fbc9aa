import { type Kysely, problems, publishInTransaction } from '@tiketi/kit';
import type { DB, Locale, Role, UserRow } from '../db/schema.ts';
import type { UserRepository } from '../db/user.repository.ts';

/** Profiles: a caller reads and changes their own; operators look anyone up. */
export function createUserService(db: Kysely<DB>, users: UserRepository) {
  return {
    async get(id: string): Promise<UserRow> {
      const user = await users.findById(id);
      if (!user) throw problems.notFound('The user');
      return user;
    },

    async update(id: string, change: { name?: string | undefined; locale?: Locale | undefined }) {
      const patch: { name?: string; locale?: Locale } = {};
      if (change.name !== undefined) patch.name = change.name.trim();
      if (change.locale !== undefined) patch.locale = change.locale;
      if (!Object.keys(patch).length) {
        const user = await users.findById(id);
        if (!user) throw problems.notFound('The user');
        return user;
      }
      // The services that write to the owner (mails) hear of the new name and language.
      const user = await db.transaction().execute(async (trx) => {
        const changed = await users.update(trx, id, patch);
        if (changed) {
          await publishInTransaction(trx, 'user.updated', {
            userId: changed.id,
            email: changed.email,
            name: changed.name,
            locale: changed.locale,
          });
        }
        return changed;
      });
      if (!user) throw problems.notFound('The user');
      return user;
    },

    /** Several users at once; ids of no account are left out. */
    many(ids: string[]): Promise<UserRow[]> {
      return users.findMany([...new Set(ids)]);
    },

    search(filter: { query?: string | undefined; role?: Role | undefined; page: number; pageSize: number }) {
      return users.search({
        query: filter.query?.trim() || undefined,
        role: filter.role,
        limit: filter.pageSize,
        offset: (filter.page - 1) * filter.pageSize,
      });
    },
  };
}

export type UserService = ReturnType<typeof createUserService>;
