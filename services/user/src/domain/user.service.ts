import { problems } from '@tiketi/kit';
import type { Locale, Role, UserRow } from '../db/schema.ts';
import type { UserRepository } from '../db/user.repository.ts';

/** Profiles: a caller reads and changes their own; operators look anyone up. */
export function createUserService(users: UserRepository) {
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
      const user = Object.keys(patch).length ? await users.update(id, patch) : await users.findById(id);
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
