import { type PaymentDto, paymentDto } from '@tiketi/contracts';
import { useEffect, useRef, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { ErrorState, Loading, Notice } from '../components/states.tsx';
import { api } from '../lib/api.ts';
import { won } from '../lib/format.ts';
import { useI18n } from '../lib/i18n.tsx';

/** Toss sends the fan back here with paymentKey, orderId and amount; the payment service approves it. */
export function PaymentSuccessPage() {
  const { t, locale } = useI18n();
  const [params] = useSearchParams();
  const [payment, setPayment] = useState<PaymentDto>();
  const [error, setError] = useState<unknown>();
  const [attempt, setAttempt] = useState(0);
  const sent = useRef(-1);
  const paymentKey = params.get('paymentKey') ?? '';
  const orderId = params.get('orderId') ?? '';
  const amount = Number(params.get('amount'));

  useEffect(() => {
    // Confirm is idempotent on the server; this only avoids a needless second call in development.
    if (sent.current === attempt) return;
    sent.current = attempt;
    api('/api/payments/toss/confirm', { body: { paymentKey, orderId, amount }, schema: paymentDto }).then(
      setPayment,
      setError,
    );
  }, [paymentKey, orderId, amount, attempt]);

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
      ) : !payment ? (
        <Loading label={t('payment.confirming')} />
      ) : (
        <section className="card">
          <Notice kind="success">{t('payment.success')}</Notice>
          <p>
            {payment.orderName} · <strong>{won(payment.amount, locale)}</strong>
          </p>
          <ul className="lines">
            {payment.seats.map((s) => (
              <li key={s.id}>{s.label}</li>
            ))}
          </ul>
          <Link className="button big" to="/me/tickets">
            {t('payment.toTickets')}
          </Link>
        </section>
      )}
    </main>
  );
}

export function PaymentFailPage() {
  const { t } = useI18n();
  const [params] = useSearchParams();
  const message = params.get('message') ?? params.get('code') ?? '';
  return (
    <main id="main" className="container narrow">
      <h1>{t('checkout.title')}</h1>
      <Notice kind="warning">
        {t('payment.failed')}
        {message && <> {t('payment.failedWhy', { message })}</>}
      </Notice>
      <Link className="button" to="/me/tickets">
        {t('payment.tryAgain')}
      </Link>
    </main>
  );
}
