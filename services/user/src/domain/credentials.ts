import { randomBytes } from 'node:crypto';
import { problems } from '@tiketi/kit';
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import { adjacencyGraphs, dictionary } from '@zxcvbn-ts/language-common';
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

/**
 * The fewest guesses a password must take, as zxcvbn estimates them from the most common passwords,
 * keyboard patterns, repeats, sequences, dates and the account's own address and name: a million, its
 * score 2. Below that are "password1", "qwerty123", "iloveyou" and "jimin1995" for jimin@…, which an
 * attacker tries first, against every account at once, within any login limit (NIST SP 800-63B 3.1.1.2).
 * No rule of letter kinds beyond that: those make passwords harder to keep, not to guess.
 */
export const PASSWORD_MIN_GUESSES_LOG10 = 6;

let guesser: ZxcvbnFactory | undefined;

/** What an attacker who knows the account tries first: its address and name, whole and in parts. */
function ownWords(email: string, name = ''): string[] {
  const local = email.split('@')[0] ?? '';
  const words = [local, ...name.trim().split(/\s+/)];
  const joined = (text: string) => text.replace(/[\s._+-]+/g, '');
  return [
    ...new Set([
      email,
      joined(local),
      joined(name),
      ...words.flatMap((w) => [joined(w), ...w.split(/[._+-]+/)]),
    ]),
  ].filter((w) => w.length > 1);
}

/** The password rule, beyond its length (checked by the request schema): not the email, not easily guessed. */
export function assertPasswordAllowed(password: string, email: string, name?: string): void {
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
  guesser ??= new ZxcvbnFactory({ dictionary, graphs: adjacencyGraphs });
  if (guesser.check(password, ownWords(email, name)).guessesLog10 < PASSWORD_MIN_GUESSES_LOG10) {
    throw problems.badRequest(
      'The password is too easy to guess: it is a common password, a keyboard pattern or a repeat, or made of your address or name. A few unrelated words make a good one.',
      [{ field: 'body.password', message: 'is too easy to guess' }],
    );
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
