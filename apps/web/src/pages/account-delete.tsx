import { type PublicUser, WEB_PAGES } from '@tiketi/contracts';
import { useEffect, useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { ErrorState, Notice } from '../components/states.tsx';
import { ApiError, api, problemField } from '../lib/api.ts';
import { useI18n } from '../lib/i18n.tsx';
import { useSubmit } from '../lib/use-submit.ts';

/**
 * Deleting the account (`DELETE /api/users/me`), set apart as the page's danger zone. The fan proves it is
 * them with the password, or, for an account that signs in with Google only and has none, by typing its
 * address; the box must be ticked first. The account's every session ends, this one too, so the page
 * forgets it as logging out does (there is nothing left to log out of) and goes to the concerts.
 */
export function AccountDelete({ user }: { user: PublicUser }) {
  const { t } = useI18n();
  const navigate = useNavigate();
  const [confirmed, setConfirmed] = useState(false);
  const [googleOnly, setGoogleOnly] = useState(false);
  const [password, setPassword] = useState('');
  const { submit, error, busy } = useSubmit(async (fields) => {
    const proof = password ? { password } : { email: String(fields.get('email') ?? '') };
    await api('/api/users/me', { method: 'DELETE', body: proof });
    // The concerts page forgets the session once the fan is there: forgotten here, this page (which needs
    // one) would send the fan to the login page before the move to the concerts page is drawn.
    navigate(WEB_PAGES.events, { replace: true, state: { accountDeleted: true } });
  });
  const at = problemField(error, ['body.password', 'body.email']);
  const inUse = error instanceof ApiError && error.code === 'ACCOUNT_IN_USE';
  useEffect(() => {
    // An account without a password is asked for its address, whose field may still be folded away.
    if (at === 'body.email') setGoogleOnly(true);
  }, [at]);
  return (
    <section className="card danger-zone" aria-labelledby="delete-title">
      <h2 id="delete-title">{t('delete.title')}</h2>
      <p>{t('delete.what')}</p>
      <p className="muted">{t('delete.blocked')}</p>
      {user.role === 'admin' ? (
        <Notice>{t('problem.OPERATOR_ACCOUNT')}</Notice>
      ) : (
        <form className="stack" onSubmit={submit}>
          <label>
            {t('auth.password')}
            <input
              name="password"
              type="password"
              autoComplete="current-password"
              required={!googleOnly}
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              aria-invalid={at === 'body.password' || undefined}
              aria-describedby={at === 'body.password' ? 'delete-password-error' : undefined}
            />
          </label>
          {at === 'body.password' && <ErrorState id="delete-password-error" error={error} />}
          <details open={googleOnly} onToggle={(e) => setGoogleOnly(e.currentTarget.open)}>
            <summary>{t('delete.googleOnly')}</summary>
            <div className="stack">
              <p id="delete-email-hint">{t('delete.googleHint')}</p>
              <label>
                {t('auth.email')}
                <input
                  name="email"
                  type="email"
                  autoComplete="email"
                  required={googleOnly && !password}
                  aria-invalid={at === 'body.email' || undefined}
                  aria-describedby={
                    at === 'body.email' ? 'delete-email-hint delete-email-error' : 'delete-email-hint'
                  }
                />
              </label>
              {at === 'body.email' && <ErrorState id="delete-email-error" error={error} />}
            </div>
          </details>
          <label className="inline">
            <input type="checkbox" checked={confirmed} onChange={(e) => setConfirmed(e.target.checked)} />
            {t('delete.confirm')}
          </label>
          {error !== undefined && !at && <ErrorState error={error} />}
          {inUse && <Link to={WEB_PAGES.myTickets}>{t('nav.tickets')}</Link>}
          <button type="submit" className="danger" disabled={!confirmed || busy}>
            {t('delete.submit')}
          </button>
        </form>
      )}
    </section>
  );
}
