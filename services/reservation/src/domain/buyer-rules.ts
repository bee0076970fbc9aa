import { type AuthUser, HttpProblem } from '@tiketi/kit';

/**
 * Seats are held only by accounts whose owner proved the address (the access token's `email_verified`,
 * true only in tokens signed after the proof): an account registered with someone else's address, to be
 * taken over later, can hold nothing meanwhile.
 */
export function assertEmailVerified(caller: AuthUser): void {
  if (!caller.emailVerified) {
    throw new HttpProblem(
      403,
      'EMAIL_NOT_VERIFIED',
      'Verify your email address first: open the link in the mail we sent you, then sign in again.',
    );
  }
}

/** Door-staff accounts exist to check tickets in; they buy nothing, so a ticket never belongs to one. */
export function assertMayBuy(caller: AuthUser): void {
  if (caller.role === 'staff') {
    throw new HttpProblem(
      403,
      'STAFF_CANNOT_BUY',
      'Door-staff accounts cannot buy tickets; sign in with a personal account to buy.',
    );
  }
}
