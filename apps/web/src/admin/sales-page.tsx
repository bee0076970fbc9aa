import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  type AdminPayment,
  adminPaymentPage,
  adminReservationPage,
  adminUserPage,
  paymentDto,
  paymentStatus,
  type ReservationDto,
  reservationStatus,
} from '@tiketi/contracts';
import { type FormEvent, type ReactNode, useState } from 'react';
import { Link } from 'react-router';
import type { z } from 'zod';
import { Pager } from '../components/pager.tsx';
import { ErrorState, Notice, QueryState } from '../components/states.tsx';
import { api, idempotencyHeaders, newIdempotencyKey, retryTransient } from '../lib/api.ts';
import { dateTime, won } from '../lib/format.ts';
import { useI18n } from '../lib/i18n.tsx';
import type { MessageKey } from '../lib/messages.ts';
import { usePlaces } from '../lib/queries.ts';
import { useTitle } from '../lib/use-title.ts';
import { useAdminEvents } from './admin-queries.ts';
import { AdminTable } from './admin-table.tsx';

type Kind = 'reservations' | 'payments';

/** Rows of one page of the search; the pager under the table leads to the rest. */
const PAGE_SIZE = 50;

/** The account whose email this is (spelled in any case), if one is. */
async function accountIdOf(email: string): Promise<string | undefined> {
  const found = await api(`/api/admin/users?${new URLSearchParams({ query: email, pageSize: '100' })}`, {
    schema: adminUserPage,
  });
  return found.items.find((user) => user.email.toLowerCase() === email.toLowerCase())?.id;
}

export function SalesPage() {
  const { t } = useI18n();
  useTitle(t('admin.sales'));
  const [kind, setKind] = useState<Kind>('payments');
  const [filters, setFilters] = useState<Record<string, string>>({});
  const [page, setPage] = useState(1);
  // The fan asked for by an email no account has, or why the address could not be looked up.
  const [fanLookup, setFanLookup] = useState<{ unknown: true } | { error: unknown }>();
  const events = useAdminEvents();
  const titles = new Map((events.data?.items ?? []).map((e) => [e.id, e.title]));
  const onSubmit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const next: Record<string, string> = {};
    for (const [k, v] of form) if (typeof v === 'string' && v.trim()) next[k] = v.trim();
    const { fan, ...rest } = next;
    setFanLookup(undefined);
    setPage(1);
    if (fan?.includes('@')) {
      try {
        const userId = await accountIdOf(fan);
        if (!userId) {
          setFanLookup({ unknown: true });
          return;
        }
        rest.userId = userId;
      } catch (error) {
        setFanLookup({ error });
        return;
      }
    } else if (fan) {
      rest.userId = fan;
    }
    setFilters(rest);
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
              setPage(1);
            }}
          >
            {k === 'payments' ? t('adm.searchPayments') : t('adm.searchReservations')}
          </button>
        ))}
      </div>
      {/* Without the concerts the filter offers only "All": said, rather than a list that looks empty. */}
      {events.error && <ErrorState error={events.error} onRetry={() => void events.refetch()} />}
      <form className="filters" onSubmit={onSubmit} key={kind}>
        <label>
          {t('dash.event')}
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
          {t('adm.fan')}
          <input name="fan" maxLength={200} pattern="[^@\s]+@[^@\s]+|[0-9a-fA-F\-]{36}" />
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
                {t(`${kind === 'payments' ? 'pay' : 'res'}.${s}` as MessageKey)}
              </option>
            ))}
          </select>
        </label>
        <button type="submit">{t('common.search')}</button>
      </form>
      {fanLookup && 'unknown' in fanLookup ? (
        <Notice>{t('adm.noFanWithEmail')}</Notice>
      ) : fanLookup ? (
        <ErrorState error={fanLookup.error} />
      ) : kind === 'payments' ? (
        <Payments filters={filters} titles={titles} page={page} onPage={setPage} />
      ) : (
        <Reservations filters={filters} titles={titles} page={page} onPage={setPage} />
      )}
    </>
  );
}

/** One page of the operator's search over everyone's reservations or payments, as a table. */
function SearchResults<T>({
  kind,
  filters,
  page,
  onPage,
  schema,
  columns,
  row,
}: ResultsProps & {
  kind: Kind;
  schema: z.ZodType<{ items: T[]; total: number }>;
  columns: MessageKey[];
  row: (item: T) => ReactNode;
}) {
  const { t } = useI18n();
  const query = useQuery({
    queryKey: ['admin', kind, filters, page],
    queryFn: ({ signal }) =>
      api(
        `/api/admin/${kind}?${new URLSearchParams({ ...filters, page: String(page), pageSize: String(PAGE_SIZE) })}`,
        {
          schema,
          signal,
        },
      ),
    placeholderData: keepPreviousData,
  });
  return (
    <QueryState query={query}>
      {(data) => (
        <>
          <AdminTable
            columns={columns.map((key) => t(key))}
            empty={data.items.length === 0 && <p>{t('common.none')}</p>}
          >
            {data.items.map(row)}
          </AdminTable>
          <Pager page={page} total={data.total} pageSize={PAGE_SIZE} onPage={onPage} />
        </>
      )}
    </QueryState>
  );
}

type ResultsProps = {
  filters: Record<string, string>;
  page: number;
  onPage: (page: number) => void;
};

function Reservations({ titles, ...results }: ResultsProps & { titles: Map<string, string> }) {
  return (
    <SearchResults
      kind="reservations"
      {...results}
      schema={adminReservationPage}
      columns={[...RESERVATION_COLUMNS, 'adm.user']}
      row={(r) => (
        <ReservationRow key={r.id} reservation={r} title={titles.get(r.eventId)}>
          <td className="mono">
            <Link to={`/admin/users/${r.userId}`}>{r.userId.slice(0, 8)}</Link>
          </td>
        </ReservationRow>
      )}
    />
  );
}

/** The columns of `ReservationRow`, for the table above it. */
export const RESERVATION_COLUMNS: MessageKey[] = [
  'adm.created',
  'dash.event',
  'checkout.seats',
  'adm.amount',
  'common.status',
];

/** One reservation as the operator's tables show it; `children` are the cells a table adds after these. */
export function ReservationRow({
  reservation: r,
  title,
  children,
}: {
  reservation: ReservationDto;
  title: string | undefined;
  children?: ReactNode;
}) {
  const { t, locale } = useI18n();
  const places = usePlaces(r.seats, r.eventId);
  return (
    <tr data-reservation-id={r.id}>
      <td>{dateTime(r.createdAt, locale)}</td>
      <td>
        <EventLink eventId={r.eventId} title={title ?? r.eventId} />
      </td>
      <td data-testid="order-places">{places}</td>
      <td>{won(r.amount, locale)}</td>
      <td>{t(`res.${r.status}` as MessageKey)}</td>
      {children}
    </tr>
  );
}

/** An event named in an order, leading to its sales report. */
function EventLink({ eventId, title }: { eventId: string; title: string }) {
  return <Link to={`/admin/events/${eventId}/report`}>{title}</Link>;
}

function Payments({ titles, ...results }: ResultsProps & { titles: Map<string, string> }) {
  return (
    <SearchResults
      kind="payments"
      {...results}
      schema={adminPaymentPage}
      columns={PAYMENT_COLUMNS}
      row={(p) => <PaymentRow key={p.id} payment={p} title={titles.get(p.eventId)} />}
    />
  );
}

/** The columns of `PaymentRow`, for the table above it. */
export const PAYMENT_COLUMNS: MessageKey[] = [
  'adm.created',
  'adm.orderId',
  'dash.event',
  'checkout.seats',
  'adm.amount',
  'common.status',
  'adm.refund',
];

/** One payment as the operator's tables show it, with its refund. */
export function PaymentRow({ payment: p, title }: { payment: AdminPayment; title: string | undefined }) {
  const { t, locale } = useI18n();
  const places = usePlaces(p.seats, p.eventId);
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const refund = useMutation({
    mutationFn: ({ key, ...body }: { key: string; reason: string; amount?: number }) =>
      api(`/api/admin/payments/${p.id}/refund`, {
        body,
        headers: idempotencyHeaders(key),
        schema: paymentDto,
      }),
    retry: retryTransient,
    onSuccess: () => {
      setOpen(false);
      // Both views that list payments: the search here and a fan's page.
      void queryClient.invalidateQueries({ queryKey: ['admin', 'payments'] });
      void queryClient.invalidateQueries({ queryKey: ['admin', 'user'] });
    },
  });
  const refundable = p.status === 'COMPLETED' || p.status === 'PARTIALLY_REFUNDED';
  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const amount = Number(form.get('amount'));
    refund.mutate({
      key: newIdempotencyKey(),
      reason: String(form.get('reason')),
      ...(amount > 0 ? { amount } : {}),
    });
  };
  return (
    <tr data-payment-id={p.id}>
      <td>{dateTime(p.createdAt, locale)}</td>
      <td className="mono">{p.orderId}</td>
      <td>
        <EventLink eventId={p.eventId} title={title ?? p.orderName} />
      </td>
      <td data-testid="order-places">{places}</td>
      <td>
        {won(p.amount, locale)}
        {p.refundedAmount > 0 && <span className="muted"> (−{won(p.refundedAmount, locale)})</span>}
      </td>
      <td>{t(`pay.${p.status}` as MessageKey)}</td>
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
