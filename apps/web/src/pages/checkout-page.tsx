import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  type PaymentDto,
  type ReservationDto,
  reservationDto,
  tossPaymentRequestResponse,
  WEB_PAGES,
} from '@tiketi/contracts';
import { type FormEvent, useEffect, useRef, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { OtherAccount } from '../components/other-account.tsx';
import { ErrorState, Notice, QueryState } from '../components/states.tsx';
import { track } from '../lib/analytics.ts';
import {
  ApiError,
  api,
  idempotencyHeaders,
  isNotFound,
  newIdempotencyKey,
  retryTransient,
  tossFailureMessage,
} from '../lib/api.ts';
import { countdown, dateTime, won } from '../lib/format.ts';
import { useI18n } from '../lib/i18n.tsx';
import type { MessageKey } from '../lib/messages.ts';
import {
  lineName,
  orderLines,
  reservationPaymentsQuery,
  reservationQuery,
  useEvent,
  useTossCheckoutRules,
  useWaitlist,
} from '../lib/queries.ts';
import { useSession } from '../lib/session.ts';
import { useNow } from '../lib/use-now.ts';
import { useTitle } from '../lib/use-title.ts';

export function CheckoutPage() {
  const { reservationId = '' } = useParams();
  const { t, locale } = useI18n();
  useTitle(t('checkout.title'));
  const session = useSession();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const now = useNow();
  const reservation = useQuery({
    ...reservationQuery(reservationId),
    // A hold ends by itself, or with its event: the page follows it rather than offering a dead button.
    refetchInterval: (query) => (query.state.data?.status === 'PENDING' ? 5000 : false),
  });
  const event = useEvent(reservation.data?.eventId);
  const rules = useTossCheckoutRules();
  // A hold made for this fan from the event's waiting list: the page says so and until when.
  const waitlist = useWaitlist(reservation.data?.eventId, reservation.data?.status === 'PENDING');
  const offer = waitlist.data?.entry?.offer;
  // Earlier tries at Toss for this hold: the first one extended it, the last may have been declined, or may
  // still be being confirmed (a confirm Toss did not answer waits for its webhook or reconciliation): the
  // page follows that one until it settles, as Pay cannot work meanwhile.
  const attempts = useQuery({
    ...reservationPaymentsQuery(reservationId),
    refetchInterval: (query) =>
      newestFirst(query.state.data?.items)[0]?.status === 'IN_PROGRESS' ? 3000 : false,
  });
  const status = reservation.data?.status;
  useEffect(() => {
    // A hold ended by the event's cancellation: the event page and this one must say so, with the reason.
    if (status === 'CANCELLED') void queryClient.invalidateQueries({ queryKey: ['event'] });
  }, [status, queryClient]);

  // Set in the tap itself: a second tap that comes before the page has drawn the disabled button (a busy
  // phone, a double tap) must not ask for another payment. Cleared when the request fails, to try again.
  const paying = useRef(false);
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
    onError: (error) => {
      paying.current = false;
      // The page shows what the server now has: a cancelled event, an ended hold, or the amount after a
      // voucher changed in another tab (the next press then pays that).
      const stale = ['EVENT_CANCELLED', 'HOLD_EXPIRED', 'AMOUNT_MISMATCH', 'RESERVATION_NOT_PENDING'];
      if (error instanceof ApiError && stale.includes(error.code)) {
        void queryClient.invalidateQueries({ queryKey: ['event'] });
        void reservation.refetch();
      }
      // A payment of this hold is being confirmed (in another tab, say): the page says so and follows it.
      if (error instanceof ApiError && error.code === 'PAYMENT_IN_PROGRESS') void attempts.refetch();
    },
  });
  const release = useMutation({
    mutationFn: (key: string) =>
      api(`/api/reservations/${reservationId}`, { method: 'DELETE', headers: idempotencyHeaders(key) }),
    retry: retryTransient,
    onSuccess: async () => {
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: ['seats'] }),
        queryClient.invalidateQueries({ queryKey: ['own-holds'] }),
      ]);
      navigate(reservation.data ? `/events/${reservation.data.eventId}/seats` : '/');
    },
  });

  if (session && isNotFound(reservation.error)) {
    return (
      <main id="main" className="container narrow">
        <h1>{t('checkout.title')}</h1>
        {/* Most often a mailed link (a waiting-list offer) opened where someone else is signed in. */}
        <OtherAccount message="checkout.otherAccount" values={{ email: session.user.email }} />
      </main>
    );
  }
  return (
    <main id="main" className="container narrow">
      <h1>{t('checkout.title')}</h1>
      <QueryState query={reservation}>
        {(r) => {
          const left = Date.parse(r.expiresAt) - now;
          const cancelled = event.data?.status === 'cancelled';
          const tries = newestFirst(attempts.data?.items);
          // Until the last payment is settled nothing here can be done: neither paying nor giving seats back.
          const confirming = r.status === 'PENDING' && tries[0]?.status === 'IN_PROGRESS';
          const paid = tries[0]?.status === 'COMPLETED';
          // Approved by Toss after the hold had ended: the payment service gave the whole amount back.
          const refundedLate = tries[0]?.refunds.some((refund) => refund.lateApproval) ?? false;
          const payable = r.status === 'PENDING' && left > 0 && !cancelled && !confirming && !paid;
          const minutes = rules.data ? Math.round(rules.data.paymentWindowSeconds / 60) : undefined;
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
                {orderLines(r.seats, event.data).map((line) => (
                  <li key={line.key}>
                    <span>{lineName(line, t)}</span> <span>{won(line.price, locale)}</span>
                  </li>
                ))}
              </ul>
              {r.discount > 0 && (
                <ul className="lines">
                  <li>
                    <span>{t('checkout.subtotal')}</span> <span>{won(r.amount + r.discount, locale)}</span>
                  </li>
                  <li data-testid="discount">
                    <span>{t('checkout.discount', { code: r.voucherCode ?? '' })}</span>{' '}
                    <span>−{won(r.discount, locale)}</span>
                  </li>
                </ul>
              )}
              <p className="total">
                {t('seats.total')} <strong data-testid="amount">{won(r.amount, locale)}</strong>
              </p>
              {payable && tries.length === 0 && <VoucherField reservation={r} />}
              {/* A payment asked for fixes the amount (Toss may still approve it late): said, not just gone. */}
              {payable && tries.length > 0 && (
                <p className="muted" data-testid="voucher-locked">
                  {t('checkout.voucherLocked')}
                </p>
              )}
              {payable && (
                <p className="timer" role="timer" aria-live="off">
                  {t('checkout.holdEnds', { time: countdown(left, locale) })}
                </p>
              )}
              {payable && offer?.reservationId === r.id && (
                <Notice>
                  <span data-testid="waitlist-offer">
                    {t('checkout.waitlistOffer', { until: dateTime(offer.expiresAt, locale) })}
                  </span>
                </Notice>
              )}
              {/* An offer already lasts longer than the payment window, which never shortens it. */}
              {payable && offer?.reservationId !== r.id && <HoldRule tries={tries} minutes={minutes} />}
              {payable && tries[0]?.failure && (
                <Notice kind="warning">
                  {t('checkout.lastTry', {
                    reason: tossFailureMessage(tries[0].failure, { t, locale }),
                  })}
                </Notice>
              )}
              {confirming && (
                <Notice>
                  <span data-testid="payment-confirming">{t('checkout.confirming')}</span>
                </Notice>
              )}
              {!confirming && (
                <HoldEnded
                  reservation={r}
                  left={left}
                  cancelled={cancelled}
                  reason={event.data?.cancelReason}
                  paid={paid}
                  refundedLate={refundedLate}
                />
              )}
              {pay.error && !confirming && <ErrorState error={pay.error} />}
              {release.error && <ErrorState error={release.error} />}
              {pay.isSuccess && <Notice>{t('checkout.redirecting')}</Notice>}
              {payable && (
                <div className="actions">
                  <button
                    type="button"
                    className="big"
                    disabled={pay.isPending || pay.isSuccess}
                    aria-busy={pay.isPending || pay.isSuccess}
                    onClick={() => {
                      if (paying.current) return;
                      paying.current = true;
                      pay.mutate();
                    }}
                  >
                    {t('checkout.pay')}
                  </button>
                  <button
                    type="button"
                    className="secondary"
                    disabled={release.isPending || pay.isPending}
                    onClick={() => release.mutate(newIdempotencyKey())}
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

/**
 * A voucher code for the held seats: the server computes the discount and the new amount, which is what
 * the payment then asks for. Once the payment has started the code can no longer change.
 */
function VoucherField({ reservation: r }: { reservation: ReservationDto }) {
  const { t, locale } = useI18n();
  const queryClient = useQueryClient();
  const [code, setCode] = useState('');
  const path = `/api/reservations/${r.id}/voucher`;
  const update = (next: ReservationDto) => queryClient.setQueryData(['reservation', r.id], next);
  const apply = useMutation({
    mutationFn: (typed: string) =>
      api(path, { method: 'PUT', body: { code: typed }, schema: reservationDto }),
    onSuccess: (next) => {
      update(next);
      setCode('');
    },
  });
  const remove = useMutation({
    mutationFn: () => api(path, { method: 'DELETE', schema: reservationDto }),
    onSuccess: update,
  });
  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    if (code.trim()) {
      remove.reset();
      apply.mutate(code.trim());
    }
  };
  const busy = apply.isPending || remove.isPending;
  return (
    <form className="voucher" onSubmit={onSubmit}>
      <label>
        {t('checkout.voucher')}
        <input
          name="voucher"
          value={code}
          onChange={(e) => setCode(e.target.value)}
          maxLength={64}
          autoComplete="off"
          autoCapitalize="characters"
        />
      </label>
      <div className="actions">
        <button type="submit" className="secondary" disabled={busy || !code.trim()}>
          {t('checkout.applyVoucher')}
        </button>
        {r.voucherCode && (
          <button type="button" className="secondary" disabled={busy} onClick={() => remove.mutate()}>
            {t('checkout.removeVoucher')}
          </button>
        )}
      </div>
      {apply.isSuccess && r.voucherCode && (
        <Notice kind="success">
          {t('checkout.voucherApplied', { code: r.voucherCode, amount: won(r.discount, locale) })}
        </Notice>
      )}
      {apply.error && <ErrorState error={apply.error} />}
      {remove.error && <ErrorState error={remove.error} />}
    </form>
  );
}

/**
 * Opening Toss's checkout lengthens the hold to the payment window: said before the fan opens it, and
 * after (when they come back), so the timer never jumps unexplained.
 */
function HoldRule({ tries, minutes }: { tries: PaymentDto[]; minutes: number | undefined }) {
  const { t } = useI18n();
  if (minutes === undefined) return null;
  return tries.length === 0 ? (
    <p className="muted" data-testid="hold-rule">
      {t('checkout.extendRule', { minutes })}
    </p>
  ) : (
    <Notice>{t('checkout.extended', { minutes })}</Notice>
  );
}

/** The tries at Toss, the last one first. */
function newestFirst(tries: PaymentDto[] | undefined): PaymentDto[] {
  return [...(tries ?? [])].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

/**
 * A hold that is over is not a dead end: the tickets once paid, the way back to the seats (also after a
 * payment refunded for coming too late), to the concert whose waiting-list offer lapsed, or to the
 * cancelled event and why.
 */
function HoldEnded({
  reservation: r,
  left,
  cancelled,
  reason,
  paid,
  refundedLate,
}: {
  reservation: ReservationDto;
  left: number;
  cancelled: boolean;
  reason: string | null | undefined;
  /** The last payment of the hold went through. */
  paid: boolean;
  /** The last payment went through after the hold had ended, and was refunded in full. */
  refundedLate: boolean;
}) {
  const { t } = useI18n();
  if (r.status === 'CONFIRMED' || paid) {
    return (
      <>
        {paid && <Notice kind="success">{t('payment.success')}</Notice>}
        <Link className="button" to={WEB_PAGES.myTickets}>
          {t('payment.toTickets')}
        </Link>
      </>
    );
  }
  if (refundedLate) {
    // The fan was charged: the page says the money went back (as the fail page does), not that nothing was.
    return (
      <>
        <Notice kind="warning">
          <span data-testid="late-refund">
            {t('checkout.lateApproval')} {t('payment.refunded')}
          </span>
        </Notice>
        <Link className="button" to={`/events/${r.eventId}/seats`}>
          {t('checkout.chooseAgain')}
        </Link>
      </>
    );
  }
  if (cancelled && r.status !== 'REFUNDED') {
    return (
      <>
        <Notice kind="warning">
          {t('checkout.eventCancelled')}
          {reason && (
            <>
              <br />
              {t('event.cancelReason', { reason })}
            </>
          )}
        </Notice>
        <Link className="button" to={WEB_PAGES.event(r.eventId)}>
          {t('checkout.toEvent')}
        </Link>
      </>
    );
  }
  const over = r.status === 'EXPIRED' || r.status === 'CANCELLED' || (r.status === 'PENDING' && left <= 0);
  if (!over) return null;
  if (r.waitlistOffer && r.status !== 'CANCELLED') {
    // A lapsed waiting-list offer: its seats went to the next fan on the list (or on sale when nobody was
    // waiting) and the concert is usually still sold out, so the way on is the concert page and its list.
    return (
      <>
        <Notice kind="warning">
          <span data-testid="offer-lapsed">{t('checkout.offerLapsed')}</span>
          <br />
          {t('checkout.offerLapsedNext')}
        </Notice>
        <Link className="button" to={WEB_PAGES.event(r.eventId)}>
          {t('checkout.toEvent')}
        </Link>
      </>
    );
  }
  return (
    <>
      <Notice kind="warning">
        {r.status === 'CANCELLED' ? t('checkout.released') : t('checkout.expired')}
      </Notice>
      <Link className="button" to={`/events/${r.eventId}/seats`}>
        {t('checkout.chooseAgain')}
      </Link>
    </>
  );
}
