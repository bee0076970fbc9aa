import { useQuery, useQueryClient } from '@tanstack/react-query';
import { authSession, type PublicUser, publicUser } from '@tiketi/contracts';
import { useEffect } from 'react';
import { Link } from 'react-router';
import { ErrorState, Notice, QueryState } from '../components/states.tsx';
import { ApiError, api, problemField, refreshSession, saveProfile } from '../lib/api.ts';
import { useI18n } from '../lib/i18n.tsx';
import { keepSession, useSession } from '../lib/session.ts';
import { useSubmit } from '../lib/use-submit.ts';
import { useTitle } from '../lib/use-title.ts';
import { AccountDelete } from './account-delete.tsx';
import { FORGOT_PASSWORD, type ForgotPasswordState, NewPasswordField } from './auth-pages.tsx';
import { VerificationActions } from './verify-email-page.tsx';

/** Per account: after a logout and another fan's login in this tab, the last fan's details must not show. */
const meKey = (userId: string | undefined) => ['me', userId];

/** The name, as `PATCH /api/users/me` takes it; the language is the header's switch. */
function ProfileSection({ user }: { user: PublicUser }) {
  const { t } = useI18n();
  const client = useQueryClient();
  const { submit, error, done, busy } = useSubmit(async (fields) => {
    const saved = await saveProfile({ name: String(fields.get('name') ?? '') });
    client.setQueryData(meKey(saved.id), saved);
  });
  const at = problemField(error, ['body.name']);
  return (
    <section className="card stack" aria-labelledby="profile-title">
      <h2 id="profile-title">{t('account.profile')}</h2>
      <dl className="facts">
        <dt>{t('auth.email')}</dt>
        <dd>
          {user.email}{' '}
          <span className={`badge ${user.emailVerified ? 'verified' : 'unverified'}`}>
            {t(user.emailVerified ? 'account.verified' : 'account.unverified')}
          </span>
        </dd>
      </dl>
      {!user.emailVerified && (
        <div>
          <VerificationActions />
        </div>
      )}
      <form className="stack" onSubmit={submit} key={user.name}>
        <label>
          {t('auth.name')}
          <input
            name="name"
            autoComplete="name"
            required
            maxLength={100}
            defaultValue={user.name}
            aria-invalid={at === 'body.name' || undefined}
            aria-describedby={at === 'body.name' ? 'name-error' : undefined}
          />
        </label>
        {at === 'body.name' && <ErrorState id="name-error" error={error} />}
        {error !== undefined && !at && <ErrorState error={error} />}
        {done && <Notice kind="success">{t('common.saved')}</Notice>}
        <button type="submit" disabled={busy}>
          {t('common.save')}
        </button>
      </form>
    </section>
  );
}

/**
 * A new password, given the current one. Every session of the account ends, this one too, and the answer
 * is a new session for this device, kept as a login's is. An account that signs in with Google only has no
 * current password to give: it sets one through the forgot-password mail.
 */
function PasswordSection({ email }: { email: string }) {
  const { t } = useI18n();
  const { submit, error, done, busy } = useSubmit(async (fields, form) => {
    const session = await api('/api/auth/password/change', {
      body: {
        currentPassword: String(fields.get('currentPassword')),
        password: String(fields.get('password')),
      },
      schema: authSession,
    });
    keepSession(session);
    form.reset();
  });
  const at = problemField(error, ['body.currentPassword', 'body.password']);
  const noPassword = error instanceof ApiError && error.code === 'NO_PASSWORD';
  return (
    <section className="card" aria-labelledby="password-title">
      <h2 id="password-title">{t('account.password')}</h2>
      <form className="stack" onSubmit={submit}>
        <label>
          {t('account.currentPassword')}
          <input
            name="currentPassword"
            type="password"
            autoComplete="current-password"
            required
            aria-invalid={at === 'body.currentPassword' || undefined}
            aria-describedby={at === 'body.currentPassword' ? 'current-password-error' : undefined}
          />
        </label>
        {at === 'body.currentPassword' && <ErrorState id="current-password-error" error={error} />}
        <NewPasswordField
          label={t('reset.password')}
          id="new-password"
          error={at === 'body.password' ? error : undefined}
        />
        {error !== undefined && !at && <ErrorState error={error} />}
        {noPassword && (
          <Link to={FORGOT_PASSWORD} state={{ email } satisfies ForgotPasswordState}>
            {t('account.setPassword')}
          </Link>
        )}
        {done && <Notice kind="success">{t('account.passwordChanged')}</Notice>}
        <button type="submit" disabled={busy}>
          {t('account.changePassword')}
        </button>
      </form>
    </section>
  );
}

/** `/me/account`: the signed-in fan's profile, password, and the way to delete the account. */
export function AccountPage() {
  const { t } = useI18n();
  useTitle(t('account.title'));
  const session = useSession();
  const me = useQuery({
    queryKey: meKey(session?.user.id),
    queryFn: ({ signal }) => api('/api/users/me', { schema: publicUser, signal }),
  });
  const verifiedSince = me.data?.emailVerified === true && session?.user.emailVerified === false;
  useEffect(() => {
    // Verified in another tab or from the mail: the tokens should say so too, as the banner's recheck does.
    if (verifiedSince) void refreshSession();
  }, [verifiedSince]);
  return (
    <main id="main" className="container narrow">
      <h1>{t('account.title')}</h1>
      <QueryState query={me}>
        {(user) => (
          <>
            <ProfileSection user={user} />
            <PasswordSection email={user.email} />
            <AccountDelete user={user} />
          </>
        )}
      </QueryState>
    </main>
  );
}
