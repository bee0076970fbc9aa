import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type EventDetailDto, type WaitlistStatus, WEB_PAGES, waitlistStatus } from '@tiketi/contracts';
import { useState } from 'react';
import { Link, useLocation } from 'react-router';
import { api } from '../lib/api.ts';
import { dateTime } from '../lib/format.ts';
import { useI18n } from '../lib/i18n.tsx';
import { useWaitlist } from '../lib/queries.ts';
import { useSession } from '../lib/session.ts';
import { ErrorState, Loading } from './states.tsx';

/**
 * A sold-out event's waiting list: join it (for a tier and a number of seats), see the place, leave it,
 * and follow an offer to its checkout.
 */
export function WaitlistPanel({ event }: { event: EventDetailDto }) {
  const { t, locale } = useI18n();
  const session = useSession();
  const location = useLocation();
  const queryClient = useQueryClient();
  const status = useWaitlist(event.id, Boolean(session));
  const [tierId, setTierId] = useState('');
  const [quantity, setQuantity] = useState(1);
  const settle = (answer: WaitlistStatus | undefined) =>
    queryClient.setQueryData(['waitlist', event.id], answer ?? { entry: null });
  const join = useMutation({
    mutationFn: () =>
      api(`/api/waitlist/${event.id}`, {
        body: { quantity, ...(tierId ? { tierId } : {}) },
        schema: waitlistStatus,
      }),
    onSuccess: settle,
  });
  const leave = useMutation({
    mutationFn: () => api(`/api/waitlist/${event.id}`, { method: 'DELETE' }),
    onSuccess: () => settle(undefined),
  });

  let body: React.ReactNode;
  if (!session) {
    const next = encodeURIComponent(`${location.pathname}${location.search}`);
    body = (
      <Link className="button big" to={`${WEB_PAGES.login}?next=${next}`}>
        {t('waitlist.loginToJoin')}
      </Link>
    );
  } else if (status.isPending) {
    body = <Loading />;
  } else if (status.isError) {
    body = <ErrorState error={status.error} onRetry={() => void status.refetch()} />;
  } else if (status.data.entry?.offer) {
    const { offer } = status.data.entry;
    body = (
      <>
        <p data-testid="waitlist-offered">
          {t('waitlist.offered', { until: dateTime(offer.expiresAt, locale) })}
        </p>
        <Link className="button big" to={WEB_PAGES.checkout(offer.reservationId)}>
          {t('waitlist.toCheckout')}
        </Link>
      </>
    );
  } else if (status.data.entry) {
    const { entry } = status.data;
    const tier = event.priceTiers.find((p) => p.id === entry.tierId);
    body = (
      <>
        <p className="waitlist-place" data-testid="waitlist-place">
          {t('waitlist.place', { place: entry.place ?? 1 })}
        </p>
        <p className="muted">
          {tier
            ? t('waitlist.wish', { n: entry.quantity, tier: tier.name })
            : t('waitlist.wishAnyTier', { n: entry.quantity })}
        </p>
        <p className="muted">{t('waitlist.howItGoes', { minutes: event.waitlistOfferMinutes })}</p>
        <button type="button" className="secondary" disabled={leave.isPending} onClick={() => leave.mutate()}>
          {t('waitlist.leave')}
        </button>
      </>
    );
  } else {
    body = (
      <form
        className="waitlist-form"
        onSubmit={(e) => {
          e.preventDefault();
          join.mutate();
        }}
      >
        <p className="muted">{t('waitlist.howItWorks', { minutes: event.waitlistOfferMinutes })}</p>
        <label>
          {t('waitlist.tier')}
          <select value={tierId} onChange={(e) => setTierId(e.target.value)}>
            <option value="">{t('waitlist.anyTier')}</option>
            {event.priceTiers.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('waitlist.quantity')}
          <select value={quantity} onChange={(e) => setQuantity(Number(e.target.value))}>
            {Array.from({ length: event.perUserLimit }, (_, i) => i + 1).map((n) => (
              <option key={n} value={n}>
                {t('waitlist.seats', { n })}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" className="big" disabled={join.isPending}>
          {t('waitlist.join')}
        </button>
      </form>
    );
  }

  return (
    <section className="card waitlist" aria-labelledby="waitlist-title">
      <h2 id="waitlist-title">{t('waitlist.title')}</h2>
      {/* Seats held for this fan are not "every seat taken". */}
      {!(session && status.data?.entry?.offer) && <p>{t('waitlist.soldOut')}</p>}
      {body}
      {join.error && <ErrorState error={join.error} />}
      {leave.error && <ErrorState error={leave.error} />}
    </section>
  );
}
