import { type Kysely, publishInTransaction } from '@tiketi/kit';
import { v7 as uuidv7 } from 'uuid';
import type { DB, Role } from './db/schema.ts';
import { userRepository } from './db/user.repository.ts';
import { normaliseEmail, type PasswordHasher } from './domain/credentials.ts';

export const DEMO_FAN = { email: 'fan@tiketi.local', password: 'tiketi-fan-2026', name: 'Demo Fan' };

/**
 * The demo accounts `npm start` prints: an operator and a fan, both with verified addresses. Idempotent:
 * an existing account (even one whose password was changed) is left as it is, but for being verified.
 */
export async function seedDemoUsers(
  db: Kysely<DB>,
  hasher: PasswordHasher,
  admin: { email: string; password: string },
): Promise<{ role: Role; email: string; password: string }[]> {
  const users = userRepository(db);
  const accounts = [
    { role: 'admin' as const, email: admin.email, password: admin.password, name: 'Tiketi Operator' },
    { role: 'user' as const, ...DEMO_FAN },
  ];
  for (const account of accounts) {
    const email = normaliseEmail(account.email);
    const existing = await users.findByEmail(email);
    if (existing) {
      // Seeded before addresses were verified: a demo account must hold seats, which needs a verified one.
      if (!existing.emailVerifiedAt) await users.markVerified(db, existing.id);
      continue;
    }
    const passwordHash = await hasher.hash(account.password);
    await db.transaction().execute(async (trx) => {
      const user = await users.insertIfAbsent(trx, {
        id: uuidv7(),
        email,
        name: account.name,
        passwordHash,
        role: account.role,
        emailVerifiedAt: new Date(),
      });
      if (!user) return;
      await publishInTransaction(trx, 'user.registered', {
        userId: user.id,
        email: user.email,
        name: user.name,
        locale: user.locale,
        provider: 'password',
      });
    });
  }
  return accounts.map(({ role, email, password }) => ({ role, email: normaliseEmail(email), password }));
}
