import {
  type InfiniteData,
  useInfiniteQuery,
  useMutation,
  useQuery,
  useQueryClient,
} from '@tanstack/react-query';
import {
  formatTicketCode,
  type PaymentDto,
  pageOf,
  type ReservationDto,
  reservationDto,
  type TicketDto,
  ticketDto,
  ticketWithQrDto,
  WEB_ORDER_PARAM,
} from '@tiketi/contracts';
import { useEffect, useRef, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import type { z } from 'zod';
import { OtherAccount } from '../components/other-account.tsx';
import { QrCode } from '../components/qr-code.tsx';
import { ErrorState, Loading, Notice, QueryState } from '../components/states.tsx';
import {
  api,
  download,
  idempotencyHeaders,
  isNotFound,
  newIdempotencyKey,
  retryTransient,
} from '../lib/api.ts';
import { dateTime, won } from '../lib/format.ts';
import { useI18n } from '../lib/i18n.tsx';
import type { MessageKey } from '../lib/messages.ts';
import {
  everyPage,
  paymentsPage,
  reservationPaymentsQuery,
  reservationQuery,
  useEvent,
  usePlaces,
} from '../lib/queries.ts';
import { useSession } from '../lib/session.ts';
import { useTitle } from '../lib/use-title.ts';

/** How many tickets, and how many reservations, one press of "show more" adds. */
const PAGE_SIZE = 20;

/**
 * One of the signed-in fan's lists, read a page at a time, each page added under the ones before ("show
 * more"), so that an order whose tickets straddle two pages comes together. Offset pages shift when something new comes
 * first meanwhile: an item read twice is kept once.
 */
function usePagedList<T extends { id: string }>(
  key: string,
  path: string,
  item: z.ZodType<T>,
  refetchInterval: number | false,
) {
  const schema = pageOf(item);
  const query = useInfiniteQuery({
    queryKey: [key, 'paged'],
    queryFn: ({ pageParam, signal }) =>
      api(`${path}?page=${pageParam}&pageSize=${PAGE_SIZE}`, { schema, signal }),
    initialPageParam: 1,
    getNextPageParam: (last) => (last.page * last.pageSize < last.total ? last.page + 1 : undefined),
    refetchInterval,
  });
  return { query, items: distinct(query.data) };
}

function distinct<T extends { id: string }>(data: InfiniteData<{ items: T[] }> | undefined): T[] | undefined {
  if (!data) return undefined;
  const seen = new Set<string>();
  return data.pages.flatMap((page) => page.items).filter((item) => !seen.has(item.id) && seen.add(item.id));
}

/** "Show more" under a list that has more to read. */
function ShowMore({
  query,
  label,
}: {
  query: { hasNextPage: boolean; isFetchingNextPage: boolean; fetchNextPage: () => unknown };
  label: MessageKey;
}) {
  const { t } = useI18n();
  if (!query.hasNextPage) return null;
  return (
    <p className="actions">
      <button
        type="button"
        className="secondary"
        disabled={query.isFetchingNextPage}
        aria-busy={query.isFetchingNextPage}
        onClick={() => query.fetchNextPage()}
      >
        {t(label)}
      </button>
    </p>
  );
}
/** Payments that took money: the order a reservation's tickets belong to. */
const PAID: PaymentDto['status'][] = ['COMPLETED', 'PARTIALLY_REFUNDED', 'REFUNDED'];

/** One order: the reservation it paid for, its payment and the tickets it issued. */
type Order = {
  reservationId: string;
  reservation?: ReservationDto;
  payment?: PaymentDto;
  tickets: TicketDto[];
};

function ordersOf(tickets: TicketDto[], reservations: ReservationDto[], payments: PaymentDto[]): Order[] {
  const orders = new Map<string, Order>();
  for (const ticket of tickets) {
    let order = orders.get(ticket.reservationId);
    if (!order) {
      order = {
        reservationId: ticket.reservationId,
        reservation: reservations.find((r) => r.id === ticket.reservationId),
        payment: payments.find((p) => p.reservationId === ticket.reservationId && PAID.includes(p.status)),
        tickets: [],
      };
      orders.set(ticket.reservationId, order);
    }
    order.tickets.push(ticket);
  }
  // Seats by label, standing places by entry number (their labels say nothing at the door).
  const byPlace = (a: TicketDto, b: TicketDto) =>
    (a.entrySection ?? '').localeCompare(b.entrySection ?? '') ||
    (a.entryNumber ?? 0) - (b.entryNumber ?? 0) ||
    a.seatLabel.localeCompare(b.seatLabel);
  for (const order of orders.values()) order.tickets.sort(byPlace);
  // Newest order first, as the tickets came.
  return [...orders.values()];
}

export function MyTicketsPage() {
  const { t } = useI18n();
  useTitle(t('tickets.title'));
  // Tickets refunded here that the reservation service has not voided yet: the refund reaches it as an
  // event a moment after the payment service answers, so the page asks again meanwhile.
  const [settling, setSettling] = useState<string[]>([]);
  const poll = settling.length > 0 ? 1000 : false;
  const tickets = usePagedList('tickets', '/api/tickets', ticketDto, poll);
  const reservations = usePagedList('reservations', '/api/reservations', reservationDto, poll);
  const payments = useQuery({
    queryKey: ['payments'],
    queryFn: ({ signal }) => everyPage('/api/payments', paymentsPage, signal),
    refetchInterval: poll,
  });
  useEffect(() => {
    const settled = (id: string) =>
      !tickets.items?.some((ticket) => ticket.id === id && ticket.status === 'ISSUED');
    if (settling.some(settled)) setSettling(settling.filter((id) => !settled(id)));
  }, [settling, tickets.items]);
  const withTickets = new Set(tickets.items?.map((ticket) => ticket.reservationId));
  const named = useNamedOrder(tickets.items, reservations.items);
  return (
    <main id="main" className="container">
      <h1>{t('tickets.title')}</h1>
      {named.otherAccount && (
        <OtherAccount message="tickets.otherAccount" values={{ email: named.otherAccount }} />
      )}
      <QueryState query={{ ...tickets.query, data: tickets.items }}>
        {(items) =>
          items.length === 0 ? (
            <p>{t('tickets.empty')}</p>
          ) : (
            <>
              <ul className="order-list">
                {ordersOf(items, reservations.items ?? [], payments.data?.items ?? []).map((order) => (
                  <OrderCard
                    key={order.reservationId}
                    order={order}
                    listsRead={reservations.items !== undefined && payments.data !== undefined}
                    poll={poll}
                    named={order.reservationId === named.id}
                    onRefunded={(ticketIds) => setSettling((ids) => [...ids, ...ticketIds])}
                  />
                ))}
              </ul>
              <ShowMore query={tickets.query} label="tickets.moreTickets" />
            </>
          )
        }
      </QueryState>
      <h2>{t('tickets.reservations')}</h2>
      <QueryState query={{ ...reservations.query, data: reservations.items }}>
        {(items) => {
          // Holds that never became an order (paid orders are listed above with their tickets).
          const holds = items.filter((r) => !withTickets.has(r.id));
          return (
            <>
              {holds.length === 0 ? (
                <p>{t('common.none')}</p>
              ) : (
                <ul className="reservation-list">
                  {holds.map((r) => (
                    <HoldRow key={r.id} reservation={r} named={r.id === named.id} />
                  ))}
                </ul>
              )}
              <ShowMore query={reservations.query} label="tickets.moreReservations" />
            </>
          );
        }}
      </QueryState>
    </main>
  );
}

/**
 * The order a link names (`?order=<reservation id>`, as the mails about an order link), as the signed-in
 * account sees it: `otherAccount` is that account's address when the order is not one of its own, for the
 * page to say so. An order the first pages of tickets and reservations do not hold may be an older one of
 * the account's: the reservation service is asked for it, and answers 404 for another account's.
 */
function useNamedOrder(tickets: TicketDto[] | undefined, reservations: ReservationDto[] | undefined) {
  const session = useSession();
  const [params] = useSearchParams();
  const id = params.get(WEB_ORDER_PARAM) ?? undefined;
  const listed =
    tickets?.some((ticket) => ticket.reservationId === id) || reservations?.some((r) => r.id === id);
  const beyond = useQuery({
    // Per account: what another account signed in on this browser was told is not this one's answer.
    queryKey: ['reservation', id, session?.user.id],
    queryFn: ({ signal }) => api(`/api/reservations/${id}`, { schema: reservationDto, signal }),
    enabled: id !== undefined && tickets !== undefined && reservations !== undefined && !listed,
  });
  // (An operator may read any reservation: one of another account's is still not among the operator's.)
  const notOwn =
    !listed && (isNotFound(beyond.error) || (beyond.data && beyond.data.userId !== session?.user.id));
  return { id, otherAccount: notOwn ? session?.user.email : undefined };
}

/**
 * Marks the list item of the order a link named, for the eye (the style of `[aria-current]`) and for a
 * screen reader, and scrolls it into view once it is shown.
 */
function useMarked<T extends HTMLElement>(named: boolean) {
  const ref = useRef<T>(null);
  useEffect(() => {
    if (named) ref.current?.scrollIntoView({ block: 'start' });
  }, [named]);
  return { ref, 'aria-current': named ? ('true' as const) : undefined };
}

/** An order: its concert, number, status and Toss receipt, its tickets each with its own state. */
function OrderCard({
  order,
  listsRead,
  poll,
  named,
  onRefunded,
}: {
  order: Order;
  /** The pages of reservations and payments read so far are there: an order not among them is asked for. */
  listsRead: boolean;
  /** How often the page asks again while a refund settles, which these answers follow too. */
  poll: number | false;
  named: boolean;
  /** The tickets a refund asked for here: the page follows them until they are void. */
  onRefunded: (ticketIds: string[]) => void;
}) {
  const { t, locale } = useI18n();
  const marked = useMarked<HTMLLIElement>(named);
  const queryClient = useQueryClient();
  const first = order.tickets[0];
  const event = useEvent(first?.eventId);
  // An order older than the reservations and payments read so far is asked for on its own, as checkout asks.
  const reservation = useQuery({
    ...reservationQuery(order.reservationId),
    enabled: listsRead && !order.reservation,
    refetchInterval: poll,
  });
  const tries = useQuery({
    ...reservationPaymentsQuery(order.reservationId),
    enabled: listsRead && !order.payment,
    refetchInterval: poll,
  });
  const r = order.reservation ?? reservation.data;
  const p = order.payment ?? tries.data?.items.find((payment) => PAID.includes(payment.status));
  const issued = order.tickets.filter((ticket) => ticket.status === 'ISSUED');
  // The whole order, or one ticket of it (`only`): the payment service refunds the seats it is given.
  const refund = useMutation({
    mutationFn: ({ key, only }: { key: string; only?: TicketDto }) => {
      if (!p) throw new Error(t('payment.failed'));
      return api(`/api/payments/${p.id}/cancel`, {
        body: { reason: 'Requested by the customer', ...(only ? { seatIds: [only.seatId] } : {}) },
        headers: idempotencyHeaders(key),
      });
    },
    retry: retryTransient,
    onSuccess: (_, { only }) => onRefunded(only ? [only.id] : issued.map((ticket) => ticket.id)),
    // Refused too: the order may have been refunded meanwhile (in another tab), which the page must then
    // show rather than a valid ticket beside the refusal.
    onSettled: () => {
      for (const key of ['reservations', 'reservation', 'tickets', 'payments']) {
        void queryClient.invalidateQueries({ queryKey: [key] });
      }
    },
  });
  const refundable = r?.status === 'CONFIRMED' && issued.length > 0;
  // An order of several tickets can give one back and keep the others.
  const refundOne =
    refundable && issued.length > 1
      ? (ticket: TicketDto, place: string) => {
          if (window.confirm(t('tickets.refundOneConfirm', { place })))
            refund.mutate({ key: newIdempotencyKey(), only: ticket });
        }
      : undefined;
  return (
    <li className="card order" data-reservation-id={order.reservationId} {...marked}>
      <header className="order-head">
        <div>
          {named && <p className="named-order">{t('tickets.namedOrder')}</p>}
          <h3>{event.data?.title ?? '…'}</h3>
          {event.data && (
            <p className="muted">
              {dateTime(event.data.startsAt, locale)} · {event.data.venue.name}
            </p>
          )}
          {/* Not a refund the fan asked for: the concert itself was called off, as the organiser said. */}
          {event.data?.status === 'cancelled' && (
            <Notice kind="warning">
              <span data-testid="concert-cancelled">
                {t('tickets.concertCancelled')}
                {event.data.cancelReason
                  ? ` ${t('tickets.cancelReason', { reason: event.data.cancelReason })}`
                  : ''}
              </span>
            </Notice>
          )}
          <p className="muted">
            {p && <span>{t('tickets.order', { orderId: p.orderId })} · </span>}
            {r && (
              <span>
                {t('tickets.orderPlaced', { when: dateTime(r.createdAt, locale) })} · {won(r.amount, locale)}{' '}
                ·{' '}
              </span>
            )}
            {t('tickets.ticketCount', { n: order.tickets.length })}
          </p>
          {/* Said apart from the tickets: an operator's refund of an amount gives money back, not places. */}
          {p && p.refundedAmount > 0 && (
            <p className="muted" data-testid="order-refunded">
              {t('tickets.refundedAmount', { amount: won(p.refundedAmount, locale) })}
            </p>
          )}
          {r &&
            // A paid order of which some tickets were given back is partly refunded, not simply paid.
            (r.status === 'CONFIRMED' && p?.status === 'PARTIALLY_REFUNDED' ? (
              <span className="badge pay-PARTIALLY_REFUNDED">{t('pay.PARTIALLY_REFUNDED')}</span>
            ) : (
              <span className={`badge res-${r.status}`}>{t(`res.${r.status}` as MessageKey)}</span>
            ))}
        </div>
        <div className="actions">
          {p?.receiptUrl && (
            <a className="button secondary" href={p.receiptUrl} target="_blank" rel="noopener noreferrer">
              {t('tickets.receipt')}
            </a>
          )}
          {refundable && (
            <button
              type="button"
              className="secondary"
              // After one ticket's refund the rest of the order can still be given back.
              disabled={refund.isPending || (refund.isSuccess && !refund.variables?.only)}
              onClick={() =>
                window.confirm(t('tickets.refundConfirm')) && refund.mutate({ key: newIdempotencyKey() })
              }
            >
              {t('tickets.refund')}
            </button>
          )}
        </div>
      </header>
      {refund.isSuccess && <Notice kind="success">{t('tickets.refunded')}</Notice>}
      {/* A refusal stays said while the order can still be refunded; one the order's new state explains
          (refunded since) goes with the button. */}
      {refund.error && refundable && <ErrorState error={refund.error} />}
      <ul className="ticket-grid">
        {order.tickets.map((ticket) => (
          <TicketCard
            key={ticket.id}
            ticket={ticket}
            onRefund={ticket.status === 'ISSUED' ? refundOne : undefined}
            refunding={refund.isPending}
          />
        ))}
      </ul>
    </li>
  );
}

function TicketCard({
  ticket,
  onRefund,
  refunding,
}: {
  ticket: TicketDto;
  /** Offered on a ticket of an order that keeps others: refunds this one only. */
  onRefund: ((ticket: TicketDto, place: string) => void) | undefined;
  refunding: boolean;
}) {
  const { t } = useI18n();
  const detail = useQuery({
    queryKey: ['ticket', ticket.id],
    queryFn: ({ signal }) => api(`/api/tickets/${ticket.id}`, { schema: ticketWithQrDto, signal }),
    enabled: ticket.status === 'ISSUED',
  });
  const pdf = useMutation({
    mutationFn: () => download(`/api/tickets/${ticket.id}/pdf`, `tiketi-${ticket.code}.pdf`),
  });
  // A standing place is known at the door by its entry number, not by which place the server picked.
  const place =
    ticket.entryNumber !== null
      ? t('tickets.entry', { section: ticket.entrySection ?? '', n: ticket.entryNumber })
      : t('tickets.seat', { label: ticket.seatLabel });
  return (
    <li className={`ticket ticket-${ticket.status}`} data-ticket-id={ticket.id}>
      <p>
        <strong data-testid="ticket-place">{place}</strong>{' '}
        <span className={`badge ticket-${ticket.status}`} data-testid="ticket-status">
          {t(`tickets.status.${ticket.status}` as MessageKey)}
        </span>
      </p>
      {ticket.status === 'ISSUED' &&
        (detail.isPending ? (
          <Loading />
        ) : detail.error || !detail.data ? (
          <ErrorState error={detail.error} onRetry={() => detail.refetch()} />
        ) : (
          <figure>
            <QrCode value={detail.data.qr} label={`${t('tickets.qr')} — ${place}`} />
            <figcaption className="muted">
              {t('tickets.qr')}
              <br />
              {t('tickets.code')} <strong className="ticket-code">{formatTicketCode(ticket.code)}</strong>
            </figcaption>
          </figure>
        ))}
      {ticket.status !== 'VOIDED' && (
        <button
          type="button"
          className="secondary"
          data-testid="ticket-pdf"
          aria-label={t('tickets.pdfNamed', { place })}
          disabled={pdf.isPending}
          onClick={() => pdf.mutate()}
        >
          {t('tickets.pdf')}
        </button>
      )}
      {onRefund && (
        <button
          type="button"
          className="secondary"
          data-testid="ticket-refund"
          aria-label={t('tickets.refundOneNamed', { place })}
          disabled={refunding}
          onClick={() => onRefund(ticket, place)}
        >
          {t('tickets.refundOne')}
        </button>
      )}
      {pdf.error && <ErrorState error={pdf.error} />}
    </li>
  );
}

/** A hold without tickets: continue to payment or give it back while it lasts. */
function HoldRow({ reservation: r, named }: { reservation: ReservationDto; named: boolean }) {
  const { t, locale } = useI18n();
  const marked = useMarked<HTMLLIElement>(named);
  const queryClient = useQueryClient();
  const event = useEvent(r.eventId);
  const places = usePlaces(r.seats, r.eventId);
  const cancel = useMutation({
    mutationFn: (key: string) =>
      api(`/api/reservations/${r.id}`, { method: 'DELETE', headers: idempotencyHeaders(key) }),
    retry: retryTransient,
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ['reservations'] }),
  });
  const pending = r.status === 'PENDING' && Date.parse(r.expiresAt) > Date.now();
  return (
    <li className="card reservation-row" data-reservation-id={r.id} {...marked}>
      <div>
        {named && <p className="named-order">{t('tickets.namedOrder')}</p>}
        <strong>{event.data?.title ?? '…'}</strong>
        <p className="muted">
          {places} · {won(r.amount, locale)} · {dateTime(r.createdAt, locale)}
        </p>
        <span className={`badge res-${r.status}`}>{t(`res.${r.status}` as MessageKey)}</span>
      </div>
      <div className="actions">
        {pending && (
          <>
            <Link className="button" to={`/checkout/${r.id}`}>
              {t('tickets.continue')}
            </Link>
            <button
              type="button"
              className="secondary"
              disabled={cancel.isPending}
              onClick={() => cancel.mutate(newIdempotencyKey())}
            >
              {t('tickets.cancelHold')}
            </button>
          </>
        )}
      </div>
      {cancel.error && <ErrorState error={cancel.error} />}
    </li>
  );
}
