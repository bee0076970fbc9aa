import { useMutation, useQuery } from '@tanstack/react-query';
import { adminEventSales, concertFileName } from '@tiketi/contracts';
import { Link, useParams } from 'react-router';
import { ErrorState, QueryState } from '../components/states.tsx';
import { api, download } from '../lib/api.ts';
import { date, dateTime, won } from '../lib/format.ts';
import { useI18n } from '../lib/i18n.tsx';
import { useTitle } from '../lib/use-title.ts';
import { PartialNotice } from './admin-layout.tsx';
import { AdminTable } from './admin-table.tsx';

/**
 * One event's sales for its operator: sold by tier and by day, revenue net of refunds, holds running now,
 * check-ins, voucher uses, and the orders and attendees as CSV files.
 */
export function EventReportPage() {
  const { id = '' } = useParams();
  const { t, locale } = useI18n();
  const sales = useQuery({
    queryKey: ['admin', 'event-sales', id],
    queryFn: ({ signal }) => api(`/api/admin/events/${id}/sales`, { schema: adminEventSales, signal }),
    refetchInterval: 15_000,
  });
  useTitle(sales.data && t('adm.reportTitle', { title: sales.data.event?.title ?? id }));
  const file = useMutation({
    mutationFn: (list: 'orders' | 'attendees') => {
      // Without the event service's answer the title is unknown: the id, at the end, names the file.
      const event = sales.data?.event;
      return download(
        `/api/admin/events/${id}/${list}.csv`,
        event ? concertFileName(event, list, 'csv') : `${list}-${id}.csv`,
      );
    },
  });
  return (
    <QueryState query={sales}>
      {(s) => {
        const report = s.report;
        const revenue = s.revenue;
        return (
          <>
            <div className="row-between">
              <h1>{t('adm.reportTitle', { title: s.event?.title ?? id })}</h1>
              <Link to={`/admin/events/${id}/vouchers`}>{t('adm.vouchers')}</Link>
            </div>
            <p className="muted">{t('dash.updated', { time: dateTime(s.generatedAt, locale) })}</p>
            {s.partial && <PartialNotice unavailable={s.unavailable} />}
            <div className="actions">
              <button type="button" className="secondary" onClick={() => file.mutate('orders')}>
                {t('adm.downloadOrders')}
              </button>
              <button type="button" className="secondary" onClick={() => file.mutate('attendees')}>
                {t('adm.downloadAttendees')}
              </button>
            </div>
            {file.error && <ErrorState error={file.error} />}
            <dl className="kpis" data-testid="report-kpis">
              {revenue && (
                <>
                  <div>
                    <dt>{t('adm.revenueNet')}</dt>
                    <dd data-testid="revenue-net">{won(revenue.netAmount, locale)}</dd>
                  </div>
                  <div>
                    <dt>{t('adm.revenueGross')}</dt>
                    <dd>{won(revenue.grossAmount, locale)}</dd>
                  </div>
                  <div>
                    <dt>{t('adm.refunded')}</dt>
                    <dd>{won(revenue.refundedAmount, locale)}</dd>
                  </div>
                </>
              )}
              {report && (
                <>
                  <div>
                    <dt>{t('adm.holdsNow')}</dt>
                    <dd data-testid="holds">{t('adm.holdsDetail', report.holds)}</dd>
                  </div>
                  <div>
                    <dt>{t('adm.checkIns')}</dt>
                    <dd data-testid="check-ins">{t('adm.checkInsDetail', report.checkIns)}</dd>
                  </div>
                </>
              )}
            </dl>
            {report && (
              <>
                <section aria-labelledby="by-tier">
                  <h2 id="by-tier">{t('adm.byTier')}</h2>
                  <AdminTable
                    columns={[
                      t('adm.tier'),
                      t('adm.tierPrice'),
                      t('adm.seatsTotal'),
                      t('adm.sold'),
                      t('adm.held'),
                      t('adm.amount'),
                    ]}
                  >
                    {report.tiers.map((tier) => (
                      <tr key={tier.tierId} data-tier={tier.name}>
                        <th scope="row">{tier.name}</th>
                        <td>{won(tier.price, locale)}</td>
                        <td>{tier.seats}</td>
                        <td data-testid="tier-sold">{tier.sold}</td>
                        <td>{tier.held}</td>
                        <td>{won(tier.amount, locale)}</td>
                      </tr>
                    ))}
                  </AdminTable>
                </section>
                <section aria-labelledby="by-day">
                  <h2 id="by-day">{t('adm.byDay')}</h2>
                  <AdminTable
                    columns={[t('adm.day'), t('adm.orders'), t('adm.tickets'), t('adm.amount')]}
                    empty={report.days.length === 0 && <p>{t('common.none')}</p>}
                  >
                    {report.days.map((day) => (
                      <tr key={day.day}>
                        <th scope="row">{date(`${day.day}T12:00:00+09:00`, locale)}</th>
                        <td>{day.orders}</td>
                        <td>{day.tickets}</td>
                        <td>{won(day.amount, locale)}</td>
                      </tr>
                    ))}
                  </AdminTable>
                </section>
                {report.vouchers.length > 0 && (
                  <section aria-labelledby="voucher-uses">
                    <h2 id="voucher-uses">{t('adm.vouchers')}</h2>
                    <AdminTable columns={[t('adm.voucherCode'), t('adm.voucherUsed'), t('adm.amount')]}>
                      {report.vouchers.map((v) => (
                        <tr key={v.code}>
                          <th scope="row" className="mono">
                            {v.code}
                          </th>
                          <td>
                            {v.used} / {v.maxUses}
                          </td>
                          <td>−{won(v.discount, locale)}</td>
                        </tr>
                      ))}
                    </AdminTable>
                  </section>
                )}
              </>
            )}
          </>
        );
      }}
    </QueryState>
  );
}
