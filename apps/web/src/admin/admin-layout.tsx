import { NavLink, Outlet } from 'react-router';
import { useI18n } from '../lib/i18n.tsx';

export function AdminLayout() {
  const { t } = useI18n();
  return (
    <div className="container wide admin">
      <nav className="admin-nav" aria-label={t('admin.title')}>
        <NavLink to="/admin" end>
          {t('admin.dashboard')}
        </NavLink>
        <NavLink to="/admin/events">{t('admin.events')}</NavLink>
        <NavLink to="/admin/artists">{t('admin.artists')}</NavLink>
        <NavLink to="/admin/venues">{t('admin.venues')}</NavLink>
        <NavLink to="/admin/sales">{t('admin.sales')}</NavLink>
        <NavLink to="/admin/check-in">{t('admin.checkin')}</NavLink>
      </nav>
      <main id="main">
        <Outlet />
      </main>
    </div>
  );
}
