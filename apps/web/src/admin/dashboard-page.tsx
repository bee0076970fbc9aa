import { useQuery } from '@tanstack/react-query';
import { adminDashboard, artistTraffic, dailyRevenue, monthlyRevenue } from '@tiketi/contracts';
import { useState } from 'react';
import {
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { ErrorState, Loading, QueryState } from '../components/states.tsx';
import { api } from '../lib/api.ts';
import { dateTime, won } from '../lib/format.ts';
import { type Locale, useI18n } from '../lib/i18n.tsx';
import { useTitle } from '../lib/use-title.ts';
import { PartialNotice } from './admin-layout.tsx';
import { useArtists } from './admin-queries.ts';
import { AdminTable } from './admin-table.tsx';

/** A Seoul calendar day `days` before today, as yyyy-mm-dd. */
function seoulDay(daysAgo = 0): string {
  const d = new Date(Date.now() - daysAgo * 86_400_000);
  return d.toLocaleDateString('en-CA', { timeZone: 'Asia/Seoul' });
}

/** A chart's scale in the page's words: 140K in English, 14만 in Korean. */
const compact = (locale: Locale) => (n: number) =>
  new Intl.NumberFormat(locale === 'ko' ? 'ko-KR' : 'en', { notation: 'compact' }).format(n);

export function DashboardPage() {
  const { t, locale } = useI18n();
  useTitle(t('admin.dashboard'));
  const dashboard = useQuery({
    queryKey: ['admin', 'dashboard'],
    queryFn: ({ signal }) => api('/api/admin/dashboard', { schema: adminDashboard, signal }),
    refetchInterval: 5000,
  });
  const daily = useQuery({
    queryKey: ['admin', 'revenue', 'daily'],
    queryFn: ({ signal }) =>
      api(`/api/analytics/revenue/daily?start=${seoulDay(29)}&end=${seoulDay()}`, {
        schema: dailyRevenue,
        signal,
      }),
    refetchInterval: 30_000,
  });
  const monthly = useQuery({
    queryKey: ['admin', 'revenue', 'monthly'],
    queryFn: ({ signal }) => api('/api/analytics/revenue/monthly', { schema: monthlyRevenue, signal }),
  });

  return (
    <>
      <h1>{t('admin.dashboard')}</h1>
      <QueryState query={dashboard}>
        {(d) => (
          <>
            <p className="muted">{t('dash.updated', { time: dateTime(d.generatedAt, locale) })}</p>
            {d.partial && <PartialNotice unavailable={d.unavailable} />}
            {d.analytics && (
              <section aria-labelledby="today">
                <h2 id="today">{t('dash.today')}</h2>
                <dl className="kpis" data-testid="kpis">
                  <div>
                    <dt>{t('dash.revenue')}</dt>
                    <dd data-testid="kpi-revenue">{won(d.analytics.today.revenue, locale)}</dd>
                  </div>
                  <div>
                    <dt>{t('dash.orders')}</dt>
                    <dd data-testid="kpi-orders">{d.analytics.today.orders}</dd>
                  </div>
                  <div>
                    <dt>{t('dash.tickets')}</dt>
                    <dd data-testid="kpi-tickets">{d.analytics.today.ticketsSold}</dd>
                  </div>
                  <div>
                    <dt>{t('dash.views')}</dt>
                    <dd>{d.analytics.today.pageViews}</dd>
                  </div>
                  <div>
                    <dt>{t('dash.conversion')}</dt>
                    <dd>{(d.analytics.today.conversionRate * 100).toFixed(1)}%</dd>
                  </div>
                  <div>
                    <dt>{t('dash.refunds')}</dt>
                    <dd>
                      {d.analytics.today.refunds} · {won(d.analytics.today.refundedAmount, locale)}
                    </dd>
                  </div>
                </dl>
              </section>
            )}
            <section aria-labelledby="on-sale">
              <h2 id="on-sale">{t('dash.onSale')}</h2>
              <AdminTable
                columns={[
                  t('dash.event'),
                  t('dash.seatsLeft'),
                  t('seats.held'),
                  t('seats.sold'),
                  t('dash.queue'),
                  t('dash.tickets'),
                  t('dash.revenue'),
                ]}
                empty={d.onSale?.length === 0 && <p>{t('dash.noneOnSale')}</p>}
              >
                {(d.onSale ?? []).map((e) => (
                  <tr key={e.eventId} data-event-id={e.eventId}>
                    <th scope="row">{e.title ?? e.eventId}</th>
                    <td>{e.seats?.available ?? '–'}</td>
                    <td>{e.seats?.held ?? '–'}</td>
                    <td data-testid="sold">{e.seats?.sold ?? '–'}</td>
                    <td>{e.queue ? `${e.queue.waiting} / ${e.queue.activeShoppers}` : '–'}</td>
                    <td>{e.today?.tickets ?? 0}</td>
                    <td>{won(e.today?.revenue ?? 0, locale)}</td>
                  </tr>
                ))}
              </AdminTable>
            </section>
            {d.analytics && d.analytics.topEvents.length > 0 && (
              <section aria-labelledby="top">
                <h2 id="top">{t('dash.topEvents')}</h2>
                <ol>
                  {d.analytics.topEvents.map((e) => (
                    <li key={e.eventId}>
                      {e.title ?? e.eventId} —{' '}
                      {t('dash.topLine', {
                        revenue: won(e.revenue, locale),
                        tickets: e.tickets,
                        views: e.views,
                      })}
                    </li>
                  ))}
                </ol>
              </section>
            )}
          </>
        )}
      </QueryState>
      <div className="charts">
        <section aria-labelledby="daily">
          <h2 id="daily">{t('dash.daily')}</h2>
          <QueryState query={daily}>
            {(rows) => (
              <ResponsiveContainer width="100%" height={240}>
                <BarChart data={rows}>
                  <CartesianGrid strokeDasharray="3 3" />
                  <XAxis dataKey="date" tickFormatter={(d: string) => d.slice(5)} />
                  <YAxis tickFormatter={compact(locale)} width={48} />
                  <Tooltip formatter={(v) => won(Number(v), locale)} />
                  <Bar dataKey="revenue" name={t('dash.revenue')} fill="#5b3df5" />
                </BarChart>
              </ResponsiveContainer>
            )}
          </QueryState>
        </section>
        <section aria-labelledby="monthly">
          <h2 id="monthly">{t('dash.monthly')}</h2>
          <QueryState query={monthly}>
            {(rows) => (
              <ResponsiveContainer width="100%" height={240}>
                <BarChart data={rows}>
                  <CartesianGrid strokeDasharray="3 3" />
                  <XAxis dataKey="month" />
                  <YAxis tickFormatter={compact(locale)} width={48} />
                  <Tooltip formatter={(v) => won(Number(v), locale)} />
                  <Bar dataKey="revenue" name={t('dash.revenue')} fill="#0d9488" />
                </BarChart>
              </ResponsiveContainer>
            )}
          </QueryState>
        </section>
        <ArtistTraffic preferred={dashboard.data?.analytics?.topEvents[0]?.artistId ?? undefined} />
      </div>
    </>
  );
}

function ArtistTraffic({ preferred }: { preferred: string | undefined }) {
  const { t } = useI18n();
  const artists = useArtists();
  const [artistId, setArtistId] = useState<string>();
  // Until the operator picks one, show the artist selling best today.
  const chosen = artistId ?? preferred ?? artists.data?.items[0]?.id;
  const traffic = useQuery({
    queryKey: ['admin', 'traffic', chosen],
    queryFn: ({ signal }) =>
      api(`/api/analytics/artist/${chosen}/traffic?start=${seoulDay(29)}&end=${seoulDay()}`, {
        schema: artistTraffic,
        signal,
      }),
    enabled: Boolean(chosen),
  });
  return (
    <section aria-labelledby="traffic">
      <h2 id="traffic">{t('dash.traffic')}</h2>
      {artists.isPending ? (
        <Loading />
      ) : artists.error ? (
        <ErrorState error={artists.error} />
      ) : (
        <label>
          {t('dash.artist')}
          <select value={chosen ?? ''} onChange={(e) => setArtistId(e.target.value)}>
            {artists.data?.items.map((a) => (
              <option key={a.id} value={a.id}>
                {a.name}
              </option>
            ))}
          </select>
        </label>
      )}
      {chosen && (
        <QueryState query={traffic}>
          {(rows) => (
            <ResponsiveContainer width="100%" height={240}>
              <LineChart data={rows}>
                <CartesianGrid strokeDasharray="3 3" />
                <XAxis dataKey="date" tickFormatter={(d: string) => d.slice(5)} />
                <YAxis width={40} />
                <Tooltip />
                <Legend />
                <Line type="monotone" dataKey="pageViews" name={t('dash.views')} stroke="#5b3df5" />
                <Line type="monotone" dataKey="uniqueVisitors" name={t('dash.visitors')} stroke="#d97706" />
              </LineChart>
            </ResponsiveContainer>
          )}
        </QueryState>
      )}
    </section>
  );
}
