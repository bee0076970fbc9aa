import { useQuery } from '@tanstack/react-query';
import { PASSWORD_RESET_TTL_MINUTES, resetPasswordToken, WEB_RESET_PASSWORD } from '@tiketi/contracts';
import { useEffect, useState } from 'react';
import { Link, useLocation } from 'react-router';
import { ErrorState, Loading, Notice } from '../components/states.tsx';
import { ApiError, api } from '../lib/api.ts';
import { useI18n } from '../lib/i18n.tsx';
import { useSubmit } from '../lib/use-submit.ts';
import { useTitle } from '../lib/use-title.ts';
import { FORGOT_PASSWORD, type ForgotPasswordState, NewPasswordField, useAuthForm } from './auth-pages.tsx';

/**
 * Asks for a link to set a new password. The answer is the same whether or not an account uses the
 * address, so the page says "if": it must not tell a stranger who has an account.
 */
export function ForgotPasswordPage() {
  const { t } = useI18n();
  useTitle(t('forgot.title'));
  const typed = (useLocation().state as ForgotPasswordState)?.email ?? '';
  const [sentTo, setSentTo] = useState<string>();
  const { submit, error, busy } = useSubmit(async (fields) => {
    const email = String(fields.get('email') ?? '');
    await api('/api/auth/password/forgot', { body: { email } });
    setSentTo(email);
  });
  return (
    <main id="main" className="container narrow">
      <h1>{t('forgot.title')}</h1>
      {sentTo === undefined ? (
        <>
          <p>{t('forgot.lead')}</p>
          <form className="stack" onSubmit={submit}>
            <label>
              {t('auth.email')}
              <input name="email" type="email" autoComplete="email" required defaultValue={typed} />
            </label>
            {error !== undefined && <ErrorState error={error} />}
            <button type="submit" disabled={busy}>
              {t('forgot.submit')}
            </button>
          </form>
        </>
      ) : (
        <Notice kind="success">
          {t('forgot.sent', { email: sentTo, minutes: PASSWORD_RESET_TTL_MINUTES })}
        </Notice>
      )}
      <p>
        <Link to="/login">{t('forgot.backToLogin')}</Link>
      </p>
    </main>
  );
}

type Refusal = 'missing' | 'used' | 'expired' | 'invalid';

const REFUSALS: Record<string, Refusal> = {
  RESET_TOKEN_USED: 'used',
  RESET_TOKEN_EXPIRED: 'expired',
  RESET_TOKEN_INVALID: 'invalid',
};

/** The refusals of the link itself, which no other password helps with: only a new link does. */
function refusalOf(error: unknown): Refusal | undefined {
  if (!(error instanceof ApiError)) return undefined;
  const badToken = error.problem?.errors?.some((e) => e.field === 'body.token');
  return REFUSALS[error.code] ?? (badToken ? 'invalid' : undefined);
}

/**
 * Where the link in a password-reset mail lands (`/reset-password?token=…`): takes the token out of the
 * address bar at once, as the verification page does, keeps it for the form, and on a new password signs
 * the fan in as the login page does. A link that cannot work says why and offers a new one: as the page
 * opens, before a password is typed, when the API says so; else when the reset itself refuses it (the
 * link ran out meanwhile, or it could not be asked about).
 */
export function ResetPasswordPage() {
  const { t } = useI18n();
  useTitle(t('reset.title'));
  const [token] = useState(
    () => new URLSearchParams(window.location.search).get(WEB_RESET_PASSWORD.tokenParam) ?? '',
  );
  useEffect(() => {
    history.replaceState(null, '', window.location.pathname);
  }, []);
  const { submit, error, busy } = useAuthForm('/api/auth/password/reset', { token });
  // A token that cannot be one (cut short when copied, say) is refused without asking.
  const wellFormed = resetPasswordToken.safeParse(token).success;
  // A used or expired link is told at once. A check that fails otherwise (network, 5xx) leaves the form.
  const check = useQuery({
    queryKey: ['password-reset-check', token],
    queryFn: ({ signal }) =>
      api('/api/auth/password/reset/check', { body: { token }, signal }).then(() => true),
    enabled: wellFormed,
    // Asked once as the page opens: not again when the reset signs the fan in (whoever is signed in, the
    // link's answer is the same), nor when the page is drawn anew meanwhile. Asked after the reset, the
    // used link answers 409, which counts against the password limit.
    meta: { sameForEveryone: true },
    staleTime: Number.POSITIVE_INFINITY,
  });
  const refusal: Refusal | undefined = !token
    ? 'missing'
    : wellFormed
      ? (refusalOf(check.error) ?? refusalOf(error))
      : 'invalid';
  return (
    <main id="main" className="container narrow">
      <h1>{t('reset.title')}</h1>
      {check.isLoading ? (
        <Loading />
      ) : refusal ? (
        <>
          <Notice kind="warning">{t(`reset.${refusal}`, { minutes: PASSWORD_RESET_TTL_MINUTES })}</Notice>
          <Link className="button" to={FORGOT_PASSWORD}>
            {t('reset.askAgain')}
          </Link>
        </>
      ) : (
        <form className="stack" onSubmit={submit}>
          <NewPasswordField label={t('reset.password')} id="password" />
          {error !== undefined && <ErrorState error={error} />}
          <button type="submit" disabled={busy}>
            {t('reset.submit')}
          </button>
        </form>
      )}
    </main>
  );
}
