import type { AdminUpstream } from '@tiketi/contracts';
import { Navigate, NavLink, Outlet, useLocation } from 'react-router';
import { Notice } from '../components/states.tsx';
import { useI18n } from '../lib/i18n.tsx';
import { useSession } from '../lib/session.ts';

const CHECK_IN = '/admin/check-in';

export function AdminLayout() {
  const { t } = useI18n();
  const session = useSession();
  const { pathname } = useLocation();
  // Door staff may only check tickets in: every other operator page sends them to the door.
  const staff = session?.user.role === 'staff';
  if (staff && pathname !== CHECK_IN) return <Navigate to={CHECK_IN} replace />;
  return (
    <div className="container wide admin">
      <nav className="admin-nav" aria-label={t('admin.title')}>
        {!staff && (
          <>
            <NavLink to="/admin" end>
              {t('admin.dashboard')}
            </NavLink>
            <NavLink to="/admin/events">{t('admin.events')}</NavLink>
            <NavLink to="/admin/artists">{t('admin.artists')}</NavLink>
            <NavLink to="/admin/venues">{t('admin.venues')}</NavLink>
            <NavLink to="/admin/sales">{t('admin.sales')}</NavLink>
            <NavLink to="/admin/users">{t('admin.fans')}</NavLink>
            <NavLink to="/admin/staff">{t('admin.staff')}</NavLink>
          </>
        )}
        <NavLink to={CHECK_IN}>{t('admin.checkin')}</NavLink>
      </nav>
      <main id="main">
        <Outlet />
      </main>
    </div>
  );
}

/** A composed admin page some of whose parts are missing: which parts, in the page's words. */
export function PartialNotice({ unavailable }: { unavailable: readonly AdminUpstream[] }) {
  const { t } = useI18n();
  const upstreams = unavailable.map((part) => t(`upstream.${part}`)).join(', ');
  return <Notice kind="warning">{t('adm.partial', { upstreams })}</Notice>;
}
