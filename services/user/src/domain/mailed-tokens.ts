import { HttpProblem, publishInTransaction, type Transaction } from '@tiketi/kit';
import type { EmailTokenRepository } from '../db/email-token.repository.ts';
import type { DB, EmailTokenPurpose, UserRow } from '../db/schema.ts';
import { hashOpaqueToken, newOpaqueToken } from './tokens.ts';

const LINKS = {
  verify: {
    code: 'VERIFICATION',
    name: 'verification link',
    used: 'This verification link was already used.',
    mail: 'user.verification_requested',
  },
  reset: {
    code: 'RESET',
    name: 'password reset link',
    // Using one link, or changing the password, ends every link mailed before.
    used: 'This password reset link can no longer be used: a new password was set since it was sent.',
    mail: 'user.password_reset_requested',
  },
} as const satisfies Record<EmailTokenPurpose, object>;

/**
 * Stores a new one-time token for `purpose` (only its hash) and, in the same transaction, the outbox row
 * from which the notification service mails the link to the account's owner: a token is never stored
 * without its mail, nor mailed without being stored. The plain token rides the outbox and the bus once, to
 * the one service that mails it.
 */
export async function issueMailedLink(
  trx: Transaction<DB>,
  tokens: EmailTokenRepository,
  user: UserRow,
  purpose: EmailTokenPurpose,
  ttlMs: number,
): Promise<void> {
  const token = newOpaqueToken();
  const expiresAt = new Date(Date.now() + ttlMs);
  await tokens.add(trx, { tokenHash: hashOpaqueToken(token), userId: user.id, purpose, expiresAt });
  await publishInTransaction(trx, LINKS[purpose].mail, {
    userId: user.id,
    email: user.email,
    name: user.name,
    locale: user.locale,
    token,
    expiresAt: expiresAt.toISOString(),
  });
}

/** Why a mailed token could not be used: 409 once used, 410 once expired, 400 for any other token. */
export async function unusableMailedToken(
  tokens: EmailTokenRepository,
  tokenHash: string,
  purpose: EmailTokenPurpose,
): Promise<HttpProblem> {
  const { code, name, used } = LINKS[purpose];
  const known = await tokens.find(tokenHash, purpose);
  if (known?.usedAt) return new HttpProblem(409, `${code}_TOKEN_USED`, used);
  if (known) {
    return new HttpProblem(410, `${code}_TOKEN_EXPIRED`, `This ${name} has expired; ask for a new one.`);
  }
  return new HttpProblem(400, `${code}_TOKEN_INVALID`, `This ${name} is not valid.`);
}
