import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { tossPaymentRequestResponse } from '@tiketi/contracts';
import { useNavigate, useParams } from 'react-router';
import { ErrorState, Notice, QueryState } from '../components/states.tsx';
import { track } from '../lib/analytics.ts';
import { api } from '../lib/api.ts';
import { countdown, dateTime, won } from '../lib/format.ts';
import { useI18n } from '../lib/i18n.tsx';
import type { MessageKey } from '../lib/messages.ts';
import { reservationSchema, useEvent } from '../lib/queries.ts';
import { useSession } from '../lib/session.ts';
import { useNow } from '../lib/use-now.ts';

export function CheckoutPage() {
  const { reservationId = '' } = useParams();
  const { t, locale } = useI18n();
  const session = useSession();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const now = useNow();
  const reservation = useQuery({
    queryKey: ['reservation', reservationId],
    queryFn: ({ signal }) => api(`/api/reservations/${reservationId}`, { schema: reservationSchema, signal }),
  });
  const event = useEvent(reservation.data?.eventId);

  const pay = useMutation({
    mutationFn: async () => {
      const r = reservation.data;
      if (!r || !session) throw new Error('no reservation');
      track('checkout_start', {
        eventId: r.eventId,
        properties: { amount: r.amount, seats: r.seats.length },
      });
      return api('/api/payments/toss/request', {
        body: {
          reservationId: r.id,
          amount: r.amount,
          customerInfo: { name: session.user.name, email: session.user.email },
        },
        schema: tossPaymentRequestResponse,
      });
    },
    // Toss's checkout page (the sandbox's, locally) brings the fan back to /payments/success or /fail.
    onSuccess: (answer) => window.location.assign(answer.paymentUrl),
  });
  const release = useMutation({
    mutationFn: () => api(`/api/reservations/${reservationId}`, { method: 'DELETE' }),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: ['seats'] });
      navigate(reservation.data ? `/events/${reservation.data.eventId}/seats` : '/');
    },
  });

  return (
    <main id="main" className="container narrow">
      <h1>{t('checkout.title')}</h1>
      <QueryState query={reservation}>
        {(r) => {
          const left = Date.parse(r.expiresAt) - now;
          const payable = r.status === 'PENDING' && left > 0;
          return (
            <section className="card checkout">
              {event.data && (
                <>
                  <h2>{event.data.title}</h2>
                  <p className="muted">
                    {dateTime(event.data.startsAt, locale)} · {event.data.venue.name}
                  </p>
                </>
              )}
              <p>{t('checkout.status', { status: t(`res.${r.status}` as MessageKey) })}</p>
              <h3>{t('checkout.seats')}</h3>
              <ul className="lines">
                {r.seats.map((s) => (
                  <li key={s.id}>
                    <span>{s.label}</span> <span>{won(s.price, locale)}</span>
                  </li>
                ))}
              </ul>
              <p className="total">
                {t('seats.total')} <strong data-testid="amount">{won(r.amount, locale)}</strong>
              </p>
              {r.status === 'PENDING' &&
                (left > 0 ? (
                  <p className="timer" role="timer" aria-live="off">
                    {t('checkout.holdEnds', { time: countdown(left) })}
                  </p>
                ) : (
                  <Notice kind="warning">{t('checkout.expired')}</Notice>
                ))}
              {pay.error && <ErrorState error={pay.error} />}
              {release.error && <ErrorState error={release.error} />}
              {pay.isSuccess && <Notice>{t('checkout.redirecting')}</Notice>}
              {payable && (
                <div className="actions">
                  <button
                    type="button"
                    className="big"
                    disabled={pay.isPending || pay.isSuccess}
                    onClick={() => pay.mutate()}
                  >
                    {t('checkout.pay')}
                  </button>
                  <button
                    type="button"
                    className="secondary"
                    disabled={release.isPending || pay.isPending}
                    onClick={() => release.mutate()}
                  >
                    {t('checkout.release')}
                  </button>
                </div>
              )}
            </section>
          );
        }}
      </QueryState>
    </main>
  );
}
