import { type AuthSession, authSession, publicUser, WEB_PAGES } from '@tiketi/contracts';
import { type FormEvent, type ReactNode, useEffect, useRef, useState } from 'react';
import { Link, useLocation, useNavigate, useSearchParams } from 'react-router';
import { ErrorState, Loading } from '../components/states.tsx';
import { ApiError, api } from '../lib/api.ts';
import { solveChallengeFor } from '../lib/challenge.ts';
import { useI18n } from '../lib/i18n.tsx';
import { isMessageKey } from '../lib/messages.ts';
import { keepSession } from '../lib/session.ts';
import { useTitle } from '../lib/use-title.ts';

const NEXT_KEY = 'tiketi.next';

/** The signed-in fan's own page: name, password, and leaving Tiketi (`account-page.tsx`). */
export const ACCOUNT_PAGE = '/me/account';
/** Where a fan asks for a link to set a new password (the page is in `password-reset-pages.tsx`). */
export const FORGOT_PASSWORD = WEB_PAGES.forgotPassword;
/** What the login page hands that page: the address the fan had typed, so it need not be typed again. */
export type ForgotPasswordState = { email?: string } | null;

/**
 * What a page hands the login and sign-up pages when the way back carries a secret (a mailed link's token):
 * in the history entry's state, never in the address. Every other way back is `?next=`.
 */
export type NextState = { next?: string } | null;

/** Only paths inside the app: a crafted `next` must not send the fan to another site. */
function safeNext(next: string | null): string {
  return next?.startsWith('/') && !next.startsWith('//') ? next : '/';
}

/** The requests that answer a new session: the page that sends one signs the fan in with it. */
type SessionPath = '/api/auth/login' | '/api/auth/register' | '/api/auth/password/reset';

/**
 * Sends the form (with `extra`, fields the page knows but does not show) to `path`, keeps the session it
 * answers and takes the fan where they were going.
 */
export function useAuthForm(path: SessionPath, extra: Record<string, string> = {}) {
  const [params] = useSearchParams();
  const { locale } = useI18n();
  const navigate = useNavigate();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [checking, setChecking] = useState(false);
  const carried = (useLocation().state as NextState)?.next;
  const next = safeNext(params.get('next') ?? carried ?? null);
  /** The way to the other form (login, sign-up) with the same way back, kept where it came. */
  const withNext = (to: string) =>
    carried !== undefined && !params.has('next')
      ? { to, state: { next } satisfies NextState }
      : { to: `${to}?next=${encodeURIComponent(next)}` };
  const submit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = Object.fromEntries(new FormData(e.currentTarget));
    setBusy(true);
    setError(undefined);
    try {
      let headers: Record<string, string> | undefined;
      if (path === '/api/auth/register') {
        setChecking(true);
        headers = await solveChallengeFor('register').finally(() => setChecking(false));
      }
      // A new account speaks the language the fan chose here, its first mails too.
      const language = path === '/api/auth/register' ? { locale } : {};
      const send = (challenge?: Record<string, string>): Promise<AuthSession> =>
        api(path, {
          body: { ...form, ...extra, ...language },
          schema: authSession,
          ...(challenge ? { headers: challenge } : {}),
        });
      let session: AuthSession;
      try {
        session = await send(headers);
      } catch (err) {
        // An account that strangers have been guessing at asks for the proof a person is signing in.
        if (!(path === '/api/auth/login' && err instanceof ApiError && err.code === 'CHALLENGE_REQUIRED'))
          throw err;
        setChecking(true);
        session = await send(await solveChallengeFor('login').finally(() => setChecking(false)));
      }
      keepSession(session);
      // A new password set from the mail's link is said where the fan lands (they are signed in by it).
      navigate(next, {
        replace: true,
        ...(path === '/api/auth/password/reset' ? { state: { passwordReset: true } } : {}),
      });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const google = () => sessionStorage.setItem(NEXT_KEY, next);
  return { submit, error, busy, checking, withNext, google };
}

function GoogleButton({ onClick }: { onClick: () => void }) {
  const { t, locale } = useI18n();
  return (
    <a className="button google" href={`/api/auth/google?locale=${locale}`} onClick={onClick}>
      <svg aria-hidden="true" viewBox="0 0 24 24" width="18" height="18">
        <path
          fill="#4285F4"
          d="M22.5 12.3c0-.8-.1-1.5-.2-2.3H12v4.3h5.9a5 5 0 0 1-2.2 3.3v2.8h3.6c2-1.9 3.2-4.7 3.2-8.1z"
        />
        <path
          fill="#34A853"
          d="M12 23c3 0 5.5-1 7.3-2.7l-3.6-2.8c-1 .7-2.2 1.1-3.7 1.1-2.9 0-5.3-1.9-6.2-4.5H2.1v2.9A11 11 0 0 0 12 23z"
        />
        <path fill="#FBBC05" d="M5.8 14.1a6.6 6.6 0 0 1 0-4.2V7H2.1a11 11 0 0 0 0 10z" />
        <path
          fill="#EA4335"
          d="M12 5.4c1.6 0 3.1.6 4.2 1.6l3.2-3.2A11 11 0 0 0 2.1 7l3.7 2.9C6.7 7.3 9.1 5.4 12 5.4z"
        />
      </svg>
      {t('auth.google')}
    </a>
  );
}

/**
 * The sign-in and sign-up pages: email and password (a new one for a new account), any extra fields
 * before them, Google below, and a link to the other page that keeps where the fan was going.
 */
function AuthPage({
  path,
  title,
  submitLabel,
  extraFields,
  other,
}: {
  path: '/api/auth/login' | '/api/auth/register';
  title: string;
  submitLabel: string;
  extraFields?: ReactNode;
  other: { question: string; to: '/login' | '/register'; label: string };
}) {
  const { t } = useI18n();
  useTitle(title);
  const { submit, error, busy, checking, withNext, google } = useAuthForm(path);
  const newAccount = path === '/api/auth/register';
  // Handed to the forgot-password page in the history entry's state, never in its address.
  const [email, setEmail] = useState('');
  return (
    <main id="main" className="container narrow">
      <h1>{title}</h1>
      <form className="stack" onSubmit={submit}>
        {extraFields}
        <label>
          {t('auth.email')}
          <input
            name="email"
            type="email"
            autoComplete="email"
            required
            onChange={(e) => setEmail(e.target.value)}
          />
        </label>
        {newAccount ? (
          <NewPasswordField label={t('auth.password')} id="password" />
        ) : (
          <label>
            {t('auth.password')}
            <input name="password" type="password" autoComplete="current-password" required />
          </label>
        )}
        {error !== undefined && <ErrorState error={error} />}
        {checking && <Loading label={t('challenge.checking')} />}
        <button type="submit" disabled={busy}>
          {submitLabel}
        </button>
      </form>
      {!newAccount && (
        <p>
          <Link to={FORGOT_PASSWORD} state={{ email } satisfies ForgotPasswordState}>
            {t('auth.forgot')}
          </Link>
        </p>
      )}
      <p className="divider">{t('auth.or')}</p>
      <GoogleButton onClick={google} />
      <p>
        {other.question} <Link {...withNext(other.to)}>{other.label}</Link>
      </p>
    </main>
  );
}

export function LoginPage() {
  const { t } = useI18n();
  return (
    <AuthPage
      path="/api/auth/login"
      title={t('auth.login')}
      submitLabel={t('auth.login')}
      other={{ question: t('auth.noAccount'), to: '/register', label: t('nav.register') }}
    />
  );
}

export function RegisterPage() {
  const { t } = useI18n();
  return (
    <AuthPage
      path="/api/auth/register"
      title={t('nav.register')}
      submitLabel={t('auth.register')}
      extraFields={
        <label>
          {t('auth.name')}
          <input name="name" autoComplete="name" required maxLength={100} />
        </label>
      }
      other={{ question: t('auth.haveAccount'), to: '/login', label: t('nav.login') }}
    />
  );
}

/** Where Google sign-in lands: the tokens come in the URL fragment, which never reaches a server. */
export function AuthCallbackPage() {
  const { t } = useI18n();
  useTitle(t('nav.login'));
  const navigate = useNavigate();
  const [error, setError] = useState<string>();
  const handled = useRef(false);
  useEffect(() => {
    if (handled.current) return;
    handled.current = true;
    const fragment = new URLSearchParams(window.location.hash.slice(1));
    history.replaceState(null, '', window.location.pathname);
    const accessToken = fragment.get('accessToken');
    const refreshToken = fragment.get('refreshToken');
    if (!accessToken || !refreshToken) {
      setError(fragment.get('error') ?? 'missing_tokens');
      return;
    }
    fetch('/api/users/me', { headers: { authorization: `Bearer ${accessToken}` } })
      .then(async (res) => {
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        const user = publicUser.parse(await res.json());
        keepSession({ user, accessToken, refreshToken });
        const next = safeNext(sessionStorage.getItem(NEXT_KEY));
        sessionStorage.removeItem(NEXT_KEY);
        navigate(next, { replace: true });
      })
      .catch(() => setError('provider_error'));
  }, [navigate]);
  return (
    <main id="main" className="container narrow">
      {error ? (
        <ErrorState error={new Error(googleFailure(error, t))} />
      ) : (
        <Loading label={t('auth.signingIn')} />
      )}
      {error && <Link to="/login">{t('nav.login')}</Link>}
    </main>
  );
}

/**
 * The field for a new password (`password`), with the rule it must meet under it; `error`, when a refusal
 * names the field, is shown beside it.
 */
export function NewPasswordField({ label, id, error }: { label: string; id: string; error?: unknown }) {
  const { t } = useI18n();
  const shown = error !== undefined;
  return (
    <>
      <label>
        {label}
        <input
          name="password"
          type="password"
          autoComplete="new-password"
          required
          minLength={8}
          aria-invalid={shown || undefined}
          aria-describedby={shown ? `${id}-hint ${id}-error` : `${id}-hint`}
        />
        <small id={`${id}-hint`}>{t('auth.passwordHint')}</small>
      </label>
      {shown && <ErrorState id={`${id}-error`} error={error} />}
    </>
  );
}

/** Our sentence for a Google sign-in that did not work; an unknown code is named as it came. */
function googleFailure(code: string, t: ReturnType<typeof useI18n>['t']): string {
  const key = `auth.google.${code}`;
  return isMessageKey(key) ? t(key) : t('auth.callbackFailed', { code });
}
