import { WEB_PAGES, WEB_RESET_PASSWORD } from '@tiketi/contracts';
import { lazy, type ReactNode, Suspense, useEffect } from 'react';
import { Navigate, NavLink, Route, Routes, useLocation, useNavigate } from 'react-router';
import { Loading, NotFound, Notice } from './components/states.tsx';
import { track } from './lib/analytics.ts';
import { saveProfile, signOut } from './lib/api.ts';
import { type Locale, useI18n } from './lib/i18n.tsx';
import { useSession } from './lib/session.ts';
import { useSiteTitle } from './lib/use-title.ts';
import { AccountPage } from './pages/account-page.tsx';
import {
  ACCOUNT_PAGE,
  AuthCallbackPage,
  FORGOT_PASSWORD,
  LoginPage,
  RegisterPage,
} from './pages/auth-pages.tsx';
import { CheckoutPage } from './pages/checkout-page.tsx';
import { EventPage } from './pages/event-page.tsx';
import { EventsPage } from './pages/events-page.tsx';
import { MyTicketsPage } from './pages/my-tickets-page.tsx';
import { ForgotPasswordPage, ResetPasswordPage } from './pages/password-reset-pages.tsx';
import { PaymentFailPage, PaymentSuccessPage } from './pages/payment-pages.tsx';
import { SeatsPage } from './pages/seats-page.tsx';
import { VerifyEmailBanner, VerifyEmailPage } from './pages/verify-email-page.tsx';
import { WaitingRoomPage } from './pages/waiting-room-page.tsx';

const AdminRoutes = lazy(() => import('./admin/admin-routes.tsx'));

function PageViews() {
  const { pathname } = useLocation();
  useEffect(() => {
    // Event pages report their own, richer event_view; every route counts as a page view.
    track('page_view', { path: pathname });
  }, [pathname]);
  return null;
}

export function RequireUser({ children }: { children: ReactNode }) {
  const session = useSession();
  const location = useLocation();
  if (!session) {
    const next = `${location.pathname}${location.search}`;
    return <Navigate to={`/login?next=${encodeURIComponent(next)}`} replace />;
  }
  return <>{children}</>;
}

/** The operator's side: admins everywhere, door staff on the check-in page only (the admin layout says so). */
function RequireAdmin({ children }: { children: ReactNode }) {
  const session = useSession();
  const { t } = useI18n();
  if (session && session.user.role !== 'admin' && session.user.role !== 'staff') {
    return (
      <main id="main" className="container">
        <Notice kind="warning">{t('admin.forbidden')}</Notice>
      </main>
    );
  }
  return <RequireUser>{children}</RequireUser>;
}

function Header() {
  const session = useSession();
  const { t, locale, setLocale } = useI18n();
  const navigate = useNavigate();
  useSiteTitle();
  // A signed-in fan's account takes the language too: their mails are written in it.
  const changeLocale = (next: Locale) => {
    setLocale(next);
    if (session && session.user.locale !== next) saveProfile({ locale: next }).catch(() => undefined);
  };
  const logout = async () => {
    const out = signOut();
    navigate('/');
    await out;
  };
  return (
    <header className="site-header">
      <a className="skip" href="#main">
        {t('nav.skip')}
      </a>
      <NavLink to="/" className="brand">
        {t('app.name')}
      </NavLink>
      <nav className="site-nav" aria-label={t('nav.main')}>
        <NavLink to="/" end>
          {t('nav.events')}
        </NavLink>
        {session && session.user.role !== 'staff' && (
          <>
            <NavLink to="/me/tickets">{t('nav.tickets')}</NavLink>
            <NavLink to={ACCOUNT_PAGE}>{t('nav.account')}</NavLink>
          </>
        )}
        {session?.user.role === 'admin' && <NavLink to="/admin">{t('nav.admin')}</NavLink>}
        {session?.user.role === 'staff' && <NavLink to="/admin/check-in">{t('admin.checkin')}</NavLink>}
        {session ? (
          <button type="button" className="link" onClick={logout}>
            {t('nav.logout')}
          </button>
        ) : (
          <>
            <NavLink to="/login">{t('nav.login')}</NavLink>
            <NavLink to="/register">{t('nav.register')}</NavLink>
          </>
        )}
        <label className="locale">
          <span className="visually-hidden">{t('nav.language')}</span>
          <select value={locale} onChange={(e) => changeLocale(e.target.value as Locale)}>
            <option value="ko">한국어</option>
            <option value="en">English</option>
          </select>
        </label>
      </nav>
    </header>
  );
}

function ToConcerts() {
  const { search } = useLocation();
  return <Navigate to={{ pathname: WEB_PAGES.events, search }} replace />;
}

export function App() {
  const user = (children: ReactNode) => <RequireUser>{children}</RequireUser>;
  return (
    <>
      <Header />
      <VerifyEmailBanner />
      <PageViews />
      <Routes>
        <Route path={WEB_PAGES.events} element={<EventsPage />} />
        {/* The concerts' own address, as fans type it from the address of a concert: the list. */}
        <Route path="/events" element={<ToConcerts />} />
        <Route path={WEB_PAGES.event(':id')} element={<EventPage />} />
        <Route path="/events/:id/queue" element={user(<WaitingRoomPage />)} />
        <Route path="/events/:id/seats" element={<SeatsPage />} />
        <Route path="/checkout/:reservationId" element={user(<CheckoutPage />)} />
        <Route path={WEB_PAGES.paymentSuccess} element={user(<PaymentSuccessPage />)} />
        <Route path={WEB_PAGES.paymentFail} element={<PaymentFailPage />} />
        <Route path={WEB_PAGES.myTickets} element={user(<MyTicketsPage />)} />
        <Route path={ACCOUNT_PAGE} element={user(<AccountPage />)} />
        <Route path={WEB_PAGES.login} element={<LoginPage />} />
        <Route path="/register" element={<RegisterPage />} />
        <Route path="/auth/callback" element={<AuthCallbackPage />} />
        <Route path="/verify-email" element={<VerifyEmailPage />} />
        <Route path={FORGOT_PASSWORD} element={<ForgotPasswordPage />} />
        <Route path={WEB_RESET_PASSWORD.path} element={<ResetPasswordPage />} />
        <Route
          path="/admin/*"
          element={
            <RequireAdmin>
              <Suspense fallback={<Loading />}>
                <AdminRoutes />
              </Suspense>
            </RequireAdmin>
          }
        />
        <Route
          path="*"
          element={
            <main id="main" className="container">
              <NotFound />
            </main>
          }
        />
      </Routes>
    </>
  );
}
