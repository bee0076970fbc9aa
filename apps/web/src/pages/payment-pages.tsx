import { useQuery } from '@tanstack/react-query';
import { type PaymentDto, paymentDto, WEB_PAGES } from '@tiketi/contracts';
import { useEffect, useRef, useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { ErrorState, Loading, Notice } from '../components/states.tsx';
import { ApiError, api, tossFailureMessage } from '../lib/api.ts';
import { countdown, won } from '../lib/format.ts';
import { useI18n } from '../lib/i18n.tsx';
import { lineName, orderLines, reservationQuery, useEvent, usePaymentOfOrder } from '../lib/queries.ts';
import { useNow } from '../lib/use-now.ts';
import { useTitle } from '../lib/use-title.ts';

/** The fail page's address for a payment that did not go through, with its failure code. */
function failPage(orderId: string, code: string): string {
  const params = new URLSearchParams({ code, orderId });
  return `${WEB_PAGES.paymentFail}?${params}`;
}

/** Toss did not answer the confirm: the payment is settled later, by its webhook or by reconciliation. */
const settlingLater = (error: unknown) => error instanceof ApiError && error.code === 'PAYMENT_PENDING';

/** Worth asking again: the service or the network did not answer. */
const retryable = (error: unknown) => !(error instanceof ApiError) || error.status >= 500;

/**
 * Toss sends the fan back here with paymentKey, orderId and amount; the payment service approves it. A
 * payment Toss then refuses (a declined card) is not a success: the fan goes on to the fail page.
 */
export function PaymentSuccessPage() {
  const { t, locale } = useI18n();
  useTitle(t('checkout.title'));
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const [payment, setPayment] = useState<PaymentDto>();
  const [error, setError] = useState<unknown>();
  const [attempt, setAttempt] = useState(0);
  const [settling, setSettling] = useState(false);
  const sent = useRef(-1);
  const paymentKey = params.get('paymentKey') ?? '';
  const orderId = params.get('orderId') ?? '';
  const amount = Number(params.get('amount'));
  const event = useEvent(payment?.eventId);
  // While it is being confirmed the page follows the payment, as the checkout does; once settled, confirm
  // (idempotent) answers its outcome, which is shown as any other: the tickets, or the fail page.
  const followed = usePaymentOfOrder(orderId, settling);
  const followedStatus = followed.data?.status;
  useEffect(() => {
    if (!settling || !followedStatus || followedStatus === 'IN_PROGRESS') return;
    setSettling(false);
    setAttempt((n) => n + 1);
  }, [settling, followedStatus]);

  useEffect(() => {
    // Confirm is idempotent on the server; this only avoids a needless second call in development.
    if (sent.current === attempt) return;
    sent.current = attempt;
    api('/api/payments/toss/confirm', { body: { paymentKey, orderId, amount }, schema: paymentDto }).then(
      (answer) => {
        if (answer.status === 'FAILED' || answer.status === 'EXPIRED') {
          const failure = answer.failure ?? { code: answer.status, message: '' };
          navigate(failPage(orderId, failure.code), { replace: true });
        } else setPayment(answer);
      },
      (failed: unknown) => {
        if (settlingLater(failed)) return setSettling(true);
        // Sending the same confirm again cannot change a refusal: only a new payment can.
        if (retryable(failed)) return setError(failed);
        const problem = (failed as ApiError).problem as Record<string, unknown> | undefined;
        // A refusal by Toss (PAYMENT_REJECTED) carries Toss's own code (its words are kept with the payment).
        const tossCode = typeof problem?.failureCode === 'string' ? problem.failureCode : undefined;
        navigate(failPage(orderId, tossCode ?? (failed as ApiError).code), { replace: true });
      },
    );
  }, [paymentKey, orderId, amount, attempt, navigate]);

  return (
    <main id="main" className="container narrow">
      <h1>{t('checkout.title')}</h1>
      {error !== undefined ? (
        <ErrorState
          error={error}
          onRetry={() => {
            setError(undefined);
            setAttempt((n) => n + 1);
          }}
        />
      ) : settling ? (
        <Notice>
          <span data-testid="payment-confirming">{t('checkout.confirming')}</span>
        </Notice>
      ) : !payment ? (
        <Loading label={t('payment.confirming')} />
      ) : (
        <section className="card">
          <Notice kind="success">{t('payment.success')}</Notice>
          <p>
            {payment.orderName} · <strong>{won(payment.amount, locale)}</strong>
          </p>
          <ul className="lines" data-testid="paid-places">
            {orderLines(payment.seats, event.data).map((line) => (
              <li key={line.key}>{lineName(line, t)}</li>
            ))}
          </ul>
          <Link className="button big" to={WEB_PAGES.myTickets}>
            {t('payment.toTickets')}
          </Link>
        </section>
      )}
    </main>
  );
}

/**
 * A payment that did not go through: why (our words for Toss's code, and Toss's own), whether the seats are
 * still held and for how long, and another try with a new payment while they are.
 */
export function PaymentFailPage() {
  const i18n = useI18n();
  const { t, locale } = i18n;
  useTitle(t('checkout.title'));
  const [params] = useSearchParams();
  const now = useNow();
  const code = params.get('code') ?? '';
  const orderId = params.get('orderId') ?? '';
  const payment = usePaymentOfOrder(orderId);
  const reservationId = payment.data?.reservationId;
  const reservation = useQuery(reservationQuery(reservationId));
  const r = reservation.data;
  // The address is anyone's to write: its words are never shown. The reason is ours for a code we know,
  // else what Toss told our server about this order (the caller's own payment).
  const recorded = payment.data?.failure;
  const reason = code
    ? tossFailureMessage({ code, message: recorded?.code === code ? recorded.message : '' }, i18n)
    : '';
  const left = r ? Date.parse(r.expiresAt) - now : 0;
  const held = r?.status === 'PENDING' && left > 0;
  // Whether money moved is told from our record of the order, never from the address.
  const status = payment.data?.status;
  const refunded = status === 'REFUNDED' || status === 'PARTIALLY_REFUNDED';
  const notCharged = status === 'PENDING' || status === 'FAILED' || status === 'EXPIRED';

  if (status === 'COMPLETED') {
    // An old or copied fail address of an order that was paid after all: the tickets are there.
    return (
      <main id="main" className="container narrow">
        <h1>{t('checkout.title')}</h1>
        <section className="card">
          <Notice kind="success">{t('payment.success')}</Notice>
          <Link className="button big" to={WEB_PAGES.myTickets}>
            {t('payment.toTickets')}
          </Link>
        </section>
      </main>
    );
  }

  return (
    <main id="main" className="container narrow">
      <h1>{t('checkout.title')}</h1>
      <section className="card stack" data-testid="payment-failed">
        <Notice kind="warning">
          <strong>
            {refunded
              ? t('payment.refunded')
              : code === 'REJECT_CARD_PAYMENT'
                ? t('payment.declined')
                : notCharged
                  ? `${t('payment.failed')} ${t('payment.notCharged')}`
                  : t('payment.failed')}
          </strong>
          {reason && (
            <>
              <br />
              {t('payment.failedWhy', { message: reason })}
            </>
          )}
        </Notice>
        {(payment.isLoading || reservation.isLoading) && <Loading />}
        {r && held ? (
          <>
            <p className="timer" role="timer" aria-live="off">
              {t('payment.holdKept', { time: countdown(left, locale) })}
            </p>
            <Link className="button big" to={`/checkout/${r.id}`}>
              {t('payment.payAgain')}
            </Link>
          </>
        ) : r ? (
          <>
            <Notice>{t('payment.holdOver')}</Notice>
            <Link className="button" to={`/events/${r.eventId}/seats`}>
              {t('checkout.chooseAgain')}
            </Link>
          </>
        ) : (
          !payment.isLoading &&
          !reservation.isLoading && (
            <Link className="button" to={WEB_PAGES.myTickets}>
              {t('payment.tryAgain')}
            </Link>
          )
        )}
      </section>
    </main>
  );
}
