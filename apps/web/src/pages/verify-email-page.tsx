import { publicUser, WEB_PAGES, WEB_VERIFY_EMAIL } from '@tiketi/contracts';
import { useEffect, useRef, useState } from 'react';
import { Link, useLocation } from 'react-router';
import { z } from 'zod';
import { OtherAccount } from '../components/other-account.tsx';
import { Loading, Notice } from '../components/states.tsx';
import { ApiError, api, errorMessage, refreshSession, signOut } from '../lib/api.ts';
import { useI18n } from '../lib/i18n.tsx';
import type { MessageKey } from '../lib/messages.ts';
import { sessionStore, useSession } from '../lib/session.ts';
import { useTitle } from '../lib/use-title.ts';
import { ACCOUNT_PAGE, type NextState } from './auth-pages.tsx';

type Outcome = 'done' | 'used' | 'expired' | 'invalid' | 'registrant' | { failed: unknown };

const OUTCOMES: Record<string, Outcome> = {
  VERIFICATION_TOKEN_USED: 'used',
  VERIFICATION_TOKEN_EXPIRED: 'expired',
  VERIFICATION_TOKEN_INVALID: 'invalid',
  VERIFICATION_NEEDS_SIGN_IN: 'registrant',
  VALIDATION_FAILED: 'invalid',
};

/** Mails a fresh verification link to the signed-in fan; says when to wait instead. */
export function ResendVerification() {
  const { t } = useI18n();
  const [said, setSaid] = useState<MessageKey>();
  const [busy, setBusy] = useState(false);
  const resend = async () => {
    setBusy(true);
    try {
      await api('/api/auth/verify-email/resend', { method: 'POST' });
      setSaid('verify.resent');
    } catch (error) {
      setSaid(error instanceof ApiError && error.status === 429 ? 'verify.resendLater' : 'verify.invalid');
    } finally {
      setBusy(false);
    }
  };
  return (
    <span className="resend">
      <button type="button" className="secondary" onClick={resend} disabled={busy}>
        {t('verify.resend')}
      </button>{' '}
      {said && <span role="status">{t(said)}</span>}
    </span>
  );
}

/**
 * Where the link in a verification mail lands (`/verify-email?token=…`): hands the token to the API once,
 * takes it out of the address bar, and when the fan is signed in here, swaps their tokens for ones that say
 * the address is verified.
 */
export function VerifyEmailPage() {
  const i18n = useI18n();
  const { t } = i18n;
  useTitle(t('verify.title'));
  const session = useSession();
  const [outcome, setOutcome] = useState<Outcome>();
  /** The address proved, when it is not the signed-in account's (its link opened on a shared computer). */
  const [provedForOther, setProvedForOther] = useState<string>();
  const sent = useRef(false);
  // Out of the address bar, but kept for the way back to it after a sign-in (`registrant` below).
  const [token] = useState(
    () => new URLSearchParams(window.location.search).get(WEB_VERIFY_EMAIL.tokenParam) ?? '',
  );
  useEffect(() => {
    if (sent.current) return;
    sent.current = true;
    history.replaceState(null, '', window.location.pathname);
    api('/api/auth/verify-email', { body: { token }, schema: z.object({ user: publicUser }) })
      .then(async ({ user }) => {
        const signedIn = sessionStore.get()?.user;
        if (signedIn?.id === user.id) await refreshSession();
        else if (signedIn) setProvedForOther(user.email);
        setOutcome('done');
      })
      .catch((error: unknown) => {
        const known = error instanceof ApiError ? OUTCOMES[error.code] : undefined;
        setOutcome(known ?? { failed: error });
      });
  }, [token]);
  return (
    <main id="main" className="container narrow">
      <h1>{t('verify.title')}</h1>
      {outcome === undefined && <Loading label={t('verify.checking')} />}
      {outcome === 'done' && session && provedForOther !== undefined && (
        <OtherAccount
          message="verify.doneForOther"
          values={{ email: provedForOther, current: session.user.email }}
          kind="success"
          toLogin
        />
      )}
      {outcome === 'done' && !(session && provedForOther !== undefined) && (
        <>
          <Notice kind="success">{t('verify.done')}</Notice>
          <Link className="button" to="/">
            {t('verify.browse')}
          </Link>
        </>
      )}
      {outcome !== undefined && outcome !== 'done' && (
        <>
          <Notice kind="warning">
            {typeof outcome === 'object'
              ? t('verify.failed', { message: errorMessage(outcome.failed, i18n) })
              : t(`verify.${outcome}`)}
          </Notice>
          {session && session.user.emailVerified === false && <ResendVerification />}
          {/* The link works once its account is signed in here: the login comes back to it. */}
          {outcome === 'registrant' && (
            <Link
              className="button"
              to={WEB_PAGES.login}
              state={
                {
                  next: `${WEB_VERIFY_EMAIL.path}?${new URLSearchParams({ [WEB_VERIFY_EMAIL.tokenParam]: token })}`,
                } satisfies NextState
              }
              onClick={() => {
                if (session) void signOut();
              }}
            >
              {t('verify.loginToVerify')}
            </Link>
          )}
          {!session && outcome !== 'used' && outcome !== 'registrant' && (
            <Link to="/login">{t('verify.loginToResend')}</Link>
          )}
          {/* Most often the fan's own link opened again: nothing is left to do but go on. */}
          {outcome === 'used' && (
            <Link className="button" to="/">
              {t('verify.browse')}
            </Link>
          )}
        </>
      )}
    </main>
  );
}

/** What an unverified fan can do: ask for the mail again, or say the link was opened elsewhere. */
export function VerificationActions() {
  const { t } = useI18n();
  return (
    <>
      <ResendVerification />{' '}
      <button type="button" className="link" onClick={() => void refreshSession()}>
        {t('verify.recheck')}
      </button>
    </>
  );
}

/**
 * Shown on every page while the signed-in fan's address is not verified, but the ones that say so
 * themselves: the verification page, and the account page beside the address.
 */
export function VerifyEmailBanner() {
  const { t } = useI18n();
  const session = useSession();
  const { pathname } = useLocation();
  if (
    session?.user.emailVerified !== false ||
    pathname === WEB_VERIFY_EMAIL.path ||
    pathname === ACCOUNT_PAGE
  )
    return null;
  return (
    <div className="container">
      <Notice kind="warning">
        {t('verify.banner', { email: session.user.email })} <VerificationActions />
      </Notice>
    </div>
  );
}
