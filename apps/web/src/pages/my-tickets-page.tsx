import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { paymentDto } from '@tiketi/contracts';
import { useEffect, useState } from 'react';
import { Link } from 'react-router';
import { z } from 'zod';
import { QrCode } from '../components/qr-code.tsx';
import { ErrorState, Loading, Notice, QueryState } from '../components/states.tsx';
import { api } from '../lib/api.ts';
import { dateTime, won } from '../lib/format.ts';
import { useI18n } from '../lib/i18n.tsx';
import type { MessageKey } from '../lib/messages.ts';
import {
  page,
  type Reservation,
  reservationSchema,
  type Ticket,
  ticketSchema,
  useEvent,
} from '../lib/queries.ts';

const ticketsPage = page(ticketSchema);
const reservationsPage = page(reservationSchema);
const paymentsPage = page(paymentDto);
const ticketWithQr = ticketSchema.extend({ qr: z.string() });

export function MyTicketsPage() {
  const { t } = useI18n();
  // Reservations refunded here whose tickets the reservation service has not voided yet: the refund
  // reaches it as an event a moment after the payment service answers, so the page asks again meanwhile.
  const [settling, setSettling] = useState<string[]>([]);
  const poll = settling.length > 0 ? 1000 : false;
  const tickets = useQuery({
    queryKey: ['tickets'],
    queryFn: ({ signal }) => api('/api/tickets?pageSize=100', { schema: ticketsPage, signal }),
    refetchInterval: poll,
  });
  const reservations = useQuery({
    queryKey: ['reservations'],
    queryFn: ({ signal }) => api('/api/reservations?pageSize=50', { schema: reservationsPage, signal }),
    refetchInterval: poll,
  });
  useEffect(() => {
    const settled = (id: string) =>
      reservations.data?.items.find((r) => r.id === id)?.status !== 'CONFIRMED' &&
      !tickets.data?.items.some((ticket) => ticket.reservationId === id && ticket.status === 'ISSUED');
    if (settling.some(settled)) setSettling(settling.filter((id) => !settled(id)));
  }, [settling, reservations.data, tickets.data]);
  return (
    <main id="main" className="container">
      <h1>{t('tickets.title')}</h1>
      <QueryState query={tickets}>
        {(data) =>
          data.items.length === 0 ? (
            <p>{t('tickets.empty')}</p>
          ) : (
            <ul className="ticket-grid">
              {data.items.map((ticket) => (
                <TicketCard key={ticket.id} ticket={ticket} />
              ))}
            </ul>
          )
        }
      </QueryState>
      <h2>{t('tickets.reservations')}</h2>
      <QueryState query={reservations}>
        {(data) =>
          data.items.length === 0 ? (
            <p>{t('common.none')}</p>
          ) : (
            <ul className="reservation-list">
              {data.items.map((r) => (
                <ReservationRow
                  key={r.id}
                  reservation={r}
                  onRefunded={() => setSettling((ids) => [...ids, r.id])}
                />
              ))}
            </ul>
          )
        }
      </QueryState>
    </main>
  );
}

function TicketCard({ ticket }: { ticket: Ticket }) {
  const { t, locale } = useI18n();
  const event = useEvent(ticket.eventId);
  const detail = useQuery({
    queryKey: ['ticket', ticket.id],
    queryFn: ({ signal }) => api(`/api/tickets/${ticket.id}`, { schema: ticketWithQr, signal }),
    enabled: ticket.status === 'ISSUED',
  });
  return (
    <li className="ticket card" data-ticket-id={ticket.id}>
      <div>
        <h3>{event.data?.title ?? '…'}</h3>
        {event.data && (
          <p className="muted">
            {dateTime(event.data.startsAt, locale)} · {event.data.venue.name}
          </p>
        )}
        <p>
          <strong>{t('tickets.seat', { label: ticket.seatLabel })}</strong>
        </p>
        <span className={`badge ticket-${ticket.status}`}>
          {t(`tickets.status.${ticket.status}` as MessageKey)}
        </span>
      </div>
      {ticket.status === 'ISSUED' &&
        (detail.isPending ? (
          <Loading />
        ) : detail.error || !detail.data ? (
          <ErrorState error={detail.error} onRetry={() => detail.refetch()} />
        ) : (
          <figure>
            <QrCode value={detail.data.qr} label={`${t('tickets.qr')} — ${ticket.seatLabel}`} />
            <figcaption className="muted">{t('tickets.qr')}</figcaption>
          </figure>
        ))}
    </li>
  );
}

function ReservationRow({
  reservation: r,
  onRefunded,
}: {
  reservation: Reservation;
  onRefunded: () => void;
}) {
  const { t, locale } = useI18n();
  const queryClient = useQueryClient();
  const event = useEvent(r.eventId);
  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: ['reservations'] });
    void queryClient.invalidateQueries({ queryKey: ['tickets'] });
  };
  const cancel = useMutation({
    mutationFn: () => api(`/api/reservations/${r.id}`, { method: 'DELETE' }),
    onSuccess: refresh,
  });
  const refund = useMutation({
    mutationFn: async () => {
      const payments = await api(`/api/payments?reservationId=${r.id}`, { schema: paymentsPage });
      const paid = payments.items.find((p) => p.status === 'COMPLETED' || p.status === 'PARTIALLY_REFUNDED');
      if (!paid) throw new Error(t('payment.failed'));
      return api(`/api/payments/${paid.id}/cancel`, { body: { reason: 'Requested by the customer' } });
    },
    onSuccess: () => {
      onRefunded();
      refresh();
    },
  });
  const pending = r.status === 'PENDING' && Date.parse(r.expiresAt) > Date.now();
  return (
    <li className="card reservation-row">
      <div>
        <strong>{event.data?.title ?? '…'}</strong>
        <p className="muted">
          {r.seats.map((s) => s.label).join(', ')} · {won(r.amount, locale)} · {dateTime(r.createdAt, locale)}
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
              onClick={() => cancel.mutate()}
            >
              {t('tickets.cancelHold')}
            </button>
          </>
        )}
        {r.status === 'CONFIRMED' && (
          <button
            type="button"
            className="secondary"
            disabled={refund.isPending || refund.isSuccess}
            onClick={() => window.confirm(t('tickets.refundConfirm')) && refund.mutate()}
          >
            {t('tickets.refund')}
          </button>
        )}
      </div>
      {refund.isSuccess && <Notice kind="success">{t('tickets.refunded')}</Notice>}
      {(cancel.error || refund.error) && <ErrorState error={cancel.error ?? refund.error} />}
    </li>
  );
}
