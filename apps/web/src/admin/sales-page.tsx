import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  type AdminPayment,
  adminPaymentPage,
  adminReservationPage,
  paymentDto,
  paymentStatus,
  reservationStatus,
} from '@tiketi/contracts';
import { type FormEvent, useState } from 'react';
import { ErrorState, Notice, QueryState } from '../components/states.tsx';
import { api } from '../lib/api.ts';
import { dateTime, won } from '../lib/format.ts';
import { useI18n } from '../lib/i18n.tsx';
import type { MessageKey } from '../lib/messages.ts';
import { useAdminEvents } from './events-page.tsx';

type Kind = 'reservations' | 'payments';

export function SalesPage() {
  const { t } = useI18n();
  const [kind, setKind] = useState<Kind>('payments');
  const [filters, setFilters] = useState<Record<string, string>>({});
  const events = useAdminEvents();
  const titles = new Map((events.data?.items ?? []).map((e) => [e.id, e.title]));
  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const next: Record<string, string> = {};
    for (const [k, v] of form) if (typeof v === 'string' && v.trim()) next[k] = v.trim();
    setFilters(next);
  };
  return (
    <>
      <h1>{t('admin.sales')}</h1>
      <div className="tabs" role="tablist">
        {(['payments', 'reservations'] as const).map((k) => (
          <button
            key={k}
            type="button"
            role="tab"
            aria-selected={kind === k}
            className={kind === k ? '' : 'secondary'}
            onClick={() => {
              setKind(k);
              setFilters({});
            }}
          >
            {k === 'payments' ? t('adm.searchPayments') : t('adm.searchReservations')}
          </button>
        ))}
      </div>
      <form className="filters" onSubmit={onSubmit} key={kind}>
        <label>
          {t('adm.eventId')}
          <select name="eventId" defaultValue="">
            <option value="">{t('common.all')}</option>
            {[...titles].map(([id, title]) => (
              <option key={id} value={id}>
                {title}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('adm.userId')}
          <input name="userId" pattern="[0-9a-fA-F-]{36}" />
        </label>
        {kind === 'payments' && (
          <label>
            {t('adm.orderId')}
            <input name="orderId" maxLength={64} />
          </label>
        )}
        <label>
          {t('common.status')}
          <select name="status" defaultValue="">
            <option value="">{t('common.all')}</option>
            {(kind === 'payments' ? paymentStatus.options : reservationStatus.options).map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <button type="submit">{t('common.search')}</button>
      </form>
      {kind === 'payments' ? (
        <Payments filters={filters} titles={titles} />
      ) : (
        <Reservations filters={filters} titles={titles} />
      )}
    </>
  );
}

function Reservations({ filters, titles }: { filters: Record<string, string>; titles: Map<string, string> }) {
  const { t, locale } = useI18n();
  const query = useQuery({
    queryKey: ['admin', 'reservations', filters],
    queryFn: ({ signal }) =>
      api(`/api/admin/reservations?${new URLSearchParams({ ...filters, pageSize: '50' })}`, {
        schema: adminReservationPage,
        signal,
      }),
  });
  return (
    <QueryState query={query}>
      {(data) => (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">{t('adm.created')}</th>
                <th scope="col">{t('dash.event')}</th>
                <th scope="col">{t('checkout.seats')}</th>
                <th scope="col">{t('adm.amount')}</th>
                <th scope="col">{t('common.status')}</th>
                <th scope="col">{t('adm.user')}</th>
              </tr>
            </thead>
            <tbody>
              {data.items.map((r) => (
                <tr key={r.id}>
                  <td>{dateTime(r.createdAt, locale)}</td>
                  <td>{titles.get(r.eventId) ?? r.eventId}</td>
                  <td>{r.seats.map((s) => s.label).join(', ')}</td>
                  <td>{won(r.amount, locale)}</td>
                  <td>{t(`res.${r.status}` as MessageKey)}</td>
                  <td className="mono">{r.userId.slice(0, 8)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {data.items.length === 0 && <p>{t('common.none')}</p>}
        </div>
      )}
    </QueryState>
  );
}

function Payments({ filters, titles }: { filters: Record<string, string>; titles: Map<string, string> }) {
  const { t, locale } = useI18n();
  const query = useQuery({
    queryKey: ['admin', 'payments', filters],
    queryFn: ({ signal }) =>
      api(`/api/admin/payments?${new URLSearchParams({ ...filters, pageSize: '50' })}`, {
        schema: adminPaymentPage,
        signal,
      }),
  });
  return (
    <QueryState query={query}>
      {(data) => (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">{t('adm.created')}</th>
                <th scope="col">{t('adm.orderId')}</th>
                <th scope="col">{t('dash.event')}</th>
                <th scope="col">{t('checkout.seats')}</th>
                <th scope="col">{t('adm.amount')}</th>
                <th scope="col">{t('common.status')}</th>
                <th scope="col">{t('adm.refund')}</th>
              </tr>
            </thead>
            <tbody>
              {data.items.map((p) => (
                <PaymentRow
                  key={p.id}
                  payment={p}
                  title={titles.get(p.eventId) ?? p.orderName}
                  locale={locale}
                />
              ))}
            </tbody>
          </table>
          {data.items.length === 0 && <p>{t('common.none')}</p>}
        </div>
      )}
    </QueryState>
  );
}

function PaymentRow({
  payment: p,
  title,
  locale,
}: {
  payment: AdminPayment;
  title: string;
  locale: 'ko' | 'en';
}) {
  const { t } = useI18n();
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const refund = useMutation({
    mutationFn: (body: { reason: string; amount?: number }) =>
      api(`/api/admin/payments/${p.id}/refund`, { body, schema: paymentDto }),
    onSuccess: () => {
      setOpen(false);
      void queryClient.invalidateQueries({ queryKey: ['admin', 'payments'] });
    },
  });
  const refundable = p.status === 'COMPLETED' || p.status === 'PARTIALLY_REFUNDED';
  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const amount = Number(form.get('amount'));
    refund.mutate({ reason: String(form.get('reason')), ...(amount > 0 ? { amount } : {}) });
  };
  return (
    <tr>
      <td>{dateTime(p.createdAt, locale)}</td>
      <td className="mono">{p.orderId}</td>
      <td>{title}</td>
      <td>{p.seats.map((s) => s.label).join(', ')}</td>
      <td>
        {won(p.amount, locale)}
        {p.refundedAmount > 0 && <span className="muted"> (−{won(p.refundedAmount, locale)})</span>}
      </td>
      <td>{p.status}</td>
      <td>
        {refund.isSuccess && <Notice kind="success">{t('adm.refundDone')}</Notice>}
        {refund.error && <ErrorState error={refund.error} />}
        {refundable &&
          (open ? (
            <form className="stack" onSubmit={onSubmit}>
              <label>
                {t('adm.refundReason')}
                <input name="reason" required maxLength={500} />
              </label>
              <label>
                {t('adm.refundAmount')}
                <input name="amount" type="number" min={1} max={p.amount - p.refundedAmount} />
              </label>
              <div className="actions">
                <button type="submit" className="danger" disabled={refund.isPending}>
                  {t('adm.refund')}
                </button>
                <button type="button" className="secondary" onClick={() => setOpen(false)}>
                  {t('common.cancel')}
                </button>
              </div>
            </form>
          ) : (
            <button type="button" className="secondary" onClick={() => setOpen(true)}>
              {t('adm.refund')}
            </button>
          ))}
      </td>
    </tr>
  );
}
