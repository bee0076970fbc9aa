import { WEB_PAGES } from '@tiketi/contracts';
import { useNavigate } from 'react-router';
import { signOut } from '../lib/api.ts';
import { useI18n } from '../lib/i18n.tsx';
import type { MessageKey } from '../lib/messages.ts';
import { Notice } from './states.tsx';

/**
 * What a page says when the thing its address names is not the signed-in account's: most often a mailed
 * link opened where someone else is signed in. `message` says so, with `values` (who is signed in, as
 * `{email}`, most often); the button signs out, and the page's login guard brings the fan back to the same
 * address once signed in. A page without one (`toLogin`) goes to the login itself.
 */
export function OtherAccount({
  message,
  values,
  kind = 'warning',
  toLogin = false,
}: {
  message: MessageKey;
  values: Record<string, string>;
  kind?: 'warning' | 'success';
  toLogin?: boolean;
}) {
  const { t } = useI18n();
  const navigate = useNavigate();
  return (
    <>
      <Notice kind={kind}>{t(message, values)}</Notice>
      <button
        type="button"
        className="big"
        onClick={() => {
          void signOut();
          if (toLogin) navigate(WEB_PAGES.login);
        }}
      >
        {t('auth.switchAccount')}
      </button>
    </>
  );
}
