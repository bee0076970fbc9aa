import { publicUser } from '@tiketi/contracts';
import { isoDateTime } from '@tiketi/kit';
import { z } from 'zod';
import type { UserRow } from '../db/schema.ts';
import { PASSWORD_MAX, PASSWORD_MIN } from '../domain/credentials.ts';

/** The user as answered: the shared contract, with the date encoded from a Date. */
export const userResponse = publicUser.extend({ createdAt: isoDateTime() });

export const sessionResponse = z.object({
  user: userResponse,
  accessToken: z.string(),
  refreshToken: z.string(),
  expiresIn: z.number().int(),
});

export const email = z
  .string()
  .trim()
  .max(254, { error: 'must have at most 254 characters' })
  .pipe(z.email({ error: 'must be an email address' }));
export const password = z
  .string()
  .min(PASSWORD_MIN, { error: `must have at least ${PASSWORD_MIN} characters` })
  .max(PASSWORD_MAX, { error: `must have at most ${PASSWORD_MAX} characters` });
/**
 * A person's name as mails and pages show it: no control or invisible formatting characters (a
 * right-to-left override turns what follows around; zero-width ones hide text), the joiners that some
 * scripts and emoji need aside, and at least one letter or digit.
 */
export const displayName = z
  .string()
  .trim()
  .min(1, { error: 'must not be empty' })
  .max(100, { error: 'must have at most 100 characters' })
  .refine((name) => !/[\p{Cc}\p{Cf}]/u.test(name.replaceAll(/[\u200c\u200d]/g, '')), {
    error: 'must not contain control or invisible formatting characters',
  })
  .refine((name) => /[\p{L}\p{N}]/u.test(name), { error: 'must contain a letter or a digit' });

export function toUser(user: UserRow) {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    role: user.role,
    locale: user.locale,
    emailVerified: user.emailVerifiedAt !== null,
    createdAt: user.createdAt,
  };
}

/** A session as answered: the user in its public shape. */
export function toSession<S extends { user: UserRow }>(session: S) {
  return { ...session, user: toUser(session.user) };
}
