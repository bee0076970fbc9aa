import { signOut } from '../lib/api.ts';
import { useI18n } from '../lib/i18n.tsx';
import type { MessageKey } from '../lib/messages.ts';
import { Notice } from './states.tsx';

/**
 * What a page says when the thing its address names is not the signed-in account's: most often a mailed
 * link opened where someone else is signed in. `message` says so, naming who is (`{email}`); the button
 * signs out, and the page's login guard brings the fan back to the same address once signed in.
 */
export function OtherAccount({ email, message }: { email: string; message: MessageKey }) {
  const { t } = useI18n();
  return (
    <>
      <Notice kind="warning">{t(message, { email })}</Notice>
      <button type="button" className="big" onClick={() => void signOut()}>
        {t('auth.switchAccount')}
      </button>
    </>
  );
}
