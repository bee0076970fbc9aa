import { HttpProblem, type Transaction } from '@tiketi/kit';
import type { EmailTokenRepository } from '../db/email-token.repository.ts';
import type { DB, EmailTokenPurpose } from '../db/schema.ts';
import { hashOpaqueToken, newOpaqueToken } from './tokens.ts';

const LINKS: Record<EmailTokenPurpose, { code: string; name: string }> = {
  verify: { code: 'VERIFICATION', name: 'verification link' },
  reset: { code: 'RESET', name: 'password reset link' },
};

/**
 * Stores a new one-time token for a mail link (only its hash) in `trx`, and answers the token itself for the
 * mail's event, which the caller writes to the outbox in the same transaction: a token is never stored
 * without its mail, nor mailed without being stored.
 */
export async function issueMailedToken(
  trx: Transaction<DB>,
  tokens: EmailTokenRepository,
  userId: string,
  purpose: EmailTokenPurpose,
  ttlMs: number,
): Promise<{ token: string; expiresAt: Date }> {
  const token = newOpaqueToken();
  const expiresAt = new Date(Date.now() + ttlMs);
  await tokens.add(trx, { tokenHash: hashOpaqueToken(token), userId, purpose, expiresAt });
  return { token, expiresAt };
}

/** Why a mailed token could not be used: 409 once used, 410 once expired, 400 for any other token. */
export async function unusableMailedToken(
  tokens: EmailTokenRepository,
  tokenHash: string,
  purpose: EmailTokenPurpose,
): Promise<HttpProblem> {
  const { code, name } = LINKS[purpose];
  const known = await tokens.find(tokenHash, purpose);
  if (known?.usedAt) return new HttpProblem(409, `${code}_TOKEN_USED`, `This ${name} was already used.`);
  if (known) {
    return new HttpProblem(410, `${code}_TOKEN_EXPIRED`, `This ${name} has expired; ask for a new one.`);
  }
  return new HttpProblem(400, `${code}_TOKEN_INVALID`, `This ${name} is not valid.`);
}
