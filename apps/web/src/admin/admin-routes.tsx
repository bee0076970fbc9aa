import { Route, Routes } from 'react-router';
import { AdminLayout } from './admin-layout.tsx';
import { AdminArtistsPage } from './artists-page.tsx';
import { CheckInPage } from './check-in-page.tsx';
import { DashboardPage } from './dashboard-page.tsx';
import { EventReportPage } from './event-report-page.tsx';
import { AdminEventEditPage, AdminEventsPage } from './events-page.tsx';
import { SalesPage } from './sales-page.tsx';
import { StaffPage } from './staff-page.tsx';
import { UserPage, UsersPage } from './users-page.tsx';
import { AdminVenuesPage } from './venues-page.tsx';
import { VouchersPage } from './vouchers-page.tsx';

/** The operator's side, loaded only by operators (its charts are most of the app's weight). */
export default function AdminRoutes() {
  return (
    <Routes>
      <Route element={<AdminLayout />}>
        <Route index element={<DashboardPage />} />
        <Route path="events" element={<AdminEventsPage />} />
        <Route path="events/new" element={<AdminEventEditPage />} />
        <Route path="events/:id" element={<AdminEventEditPage />} />
        <Route path="events/:id/report" element={<EventReportPage />} />
        <Route path="events/:id/vouchers" element={<VouchersPage />} />
        <Route path="artists" element={<AdminArtistsPage />} />
        <Route path="venues" element={<AdminVenuesPage />} />
        <Route path="sales" element={<SalesPage />} />
        <Route path="users" element={<UsersPage />} />
        <Route path="users/:id" element={<UserPage />} />
        <Route path="staff" element={<StaffPage />} />
        <Route path="check-in" element={<CheckInPage />} />
      </Route>
    </Routes>
  );
}
