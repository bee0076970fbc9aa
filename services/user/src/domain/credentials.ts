import { randomBytes } from 'node:crypto';
import { problems } from '@tiketi/kit';
import argon2 from 'argon2';

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 128;

/** One account per address however it is typed: Unicode-normalised, trimmed, lower-cased. */
export function normaliseEmail(email: string): string {
  return email.normalize('NFKC').trim().toLowerCase();
}

/**
 * An address an outside provider proved, as an account here keeps it; undefined when it has characters
 * beyond printable ASCII. Folding those (NFKC, Unicode case) would turn another mailbox into an account's
 * (`ſmith@` or `ｓmith@` into `smith@`, the Kelvin sign into `k`), and registration takes ASCII alone.
 */
export function providerEmail(email: string): string | undefined {
  const trimmed = email.trim();
  return /^[\x21-\x7e]+@[\x21-\x7e]+$/.test(trimmed) ? trimmed.toLowerCase() : undefined;
}

/** The password rule, beyond its length (checked by the request schema): not the email itself. */
export function assertPasswordAllowed(password: string, email: string): void {
  if (password.trim().length < PASSWORD_MIN) {
    throw problems.badRequest(`The password must have at least ${PASSWORD_MIN} characters besides spaces.`, [
      { field: 'body.password', message: 'is too short' },
    ]);
  }
  if (normaliseEmail(password) === email) {
    throw problems.badRequest('The password must not be your email address.', [
      { field: 'body.password', message: 'must not be the email address' },
    ]);
  }
}

export type PasswordHasher = {
  hash(password: string): Promise<string>;
  verify(hash: string | null, password: string): Promise<boolean>;
};

/**
 * argon2id. `verify` with no stored hash still runs one full verification against a throw-away hash, so
 * an unknown email costs the same time as a wrong password and login cannot be used to list accounts.
 */
export async function createPasswordHasher(options: {
  memoryKiB: number;
  timeCost: number;
}): Promise<PasswordHasher> {
  const params: argon2.HashOptions = {
    type: argon2.argon2id,
    memoryCost: options.memoryKiB,
    timeCost: options.timeCost,
    parallelism: 1,
  };
  const decoy = await argon2.hash(randomBytes(32).toString('hex'), params);
  return {
    hash: (password) => argon2.hash(password, params),
    async verify(hash, password) {
      if (!hash) {
        await argon2.verify(decoy, password);
        return false;
      }
      return argon2.verify(hash, password);
    },
  };
}
