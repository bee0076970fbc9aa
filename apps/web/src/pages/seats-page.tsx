import { useMutation, useQueryClient } from '@tanstack/react-query';
import { holdResponse } from '@tiketi/contracts';
import { useEffect, useMemo, useRef, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { type DrawnSection, groupBySection, SeatMap, TIER_COLORS } from '../components/seat-map.tsx';
import { ErrorState, Loading, NotFound, Notice } from '../components/states.tsx';
import { admissions } from '../lib/admission.ts';
import { track } from '../lib/analytics.ts';
import { ApiError, api, isNotFound } from '../lib/api.ts';
import { countdown, won } from '../lib/format.ts';
import { useI18n } from '../lib/i18n.tsx';
import { useEvent, useSeatMap } from '../lib/queries.ts';
import { useSession } from '../lib/session.ts';
import { useNow } from '../lib/use-now.ts';

export function SeatsPage() {
  const { id: eventId = '' } = useParams();
  const { t, locale } = useI18n();
  const navigate = useNavigate();
  const session = useSession();
  const queryClient = useQueryClient();
  const event = useEvent(eventId);
  const seatMap = useSeatMap(eventId);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [notice, setNotice] = useState<string>();
  const now = useNow();
  const admission = admissions.get(eventId);
  const tracked = useRef(false);

  useEffect(() => {
    if (!tracked.current && eventId) {
      tracked.current = true;
      track('seat_map_view', { eventId });
    }
  }, [eventId]);

  // The event's seats as the reservation service sells them (ids, live state, price), placed where the
  // venue layout puts them.
  const live = useMemo(() => new Map((seatMap.data?.seats ?? []).map((s) => [s.id, s])), [seatMap.data]);
  const sections = useMemo<DrawnSection[]>(
    () =>
      groupBySection(seatMap.data?.seats ?? []).map(({ name, seats }) => ({
        name,
        seats: seats.map((s) => ({ ...s, tier: s.tierId })),
      })),
    [seatMap.data],
  );

  // A seat someone else took since it was chosen leaves the selection.
  useEffect(() => {
    setSelected((current) => {
      const still = [...current].filter((id) => live.get(id)?.status === 'available');
      return still.length === current.size ? current : new Set(still);
    });
  }, [live]);

  const hold = useMutation({
    mutationFn: () =>
      api(`/api/reservations`, {
        body: { eventId, seatIds: [...selected] },
        headers: {
          'idempotency-key': crypto.randomUUID(),
          ...(admission ? { 'x-queue-token': admission.token } : {}),
        },
        schema: holdResponse,
      }),
    onSuccess: (answer) => navigate(`/checkout/${answer.reservationId}`),
    onError: (error) => {
      // Seats someone else took show as taken once the map is read again, and leave the selection.
      if (error instanceof ApiError && error.code === 'SEATS_TAKEN') {
        void queryClient.invalidateQueries({ queryKey: ['seats', eventId] });
      }
    },
  });

  if (event.isPending || seatMap.isPending) {
    return (
      <main id="main" className="container">
        <Loading />
      </main>
    );
  }
  const failed = event.error ?? (seatMap.data ? undefined : seatMap.error);
  if (isNotFound(failed)) {
    return (
      <main id="main" className="container">
        <NotFound />
      </main>
    );
  }
  if (failed || !event.data) {
    return (
      <main id="main" className="container">
        <ErrorState
          error={failed}
          onRetry={() => {
            void event.refetch();
            void seatMap.refetch();
          }}
        />
      </main>
    );
  }

  const ev = event.data;
  const limit = ev.perUserLimit;
  const tierIndex = new Map(ev.priceTiers.map((tier, i) => [tier.id, i]));
  const tierColor = (id: string) => TIER_COLORS[(tierIndex.get(id) ?? 0) % TIER_COLORS.length] ?? '#7c3aed';
  const tierName = (id: string) => ev.priceTiers.find((tier) => tier.id === id)?.name ?? '';
  const toggle = (seatId: string) => {
    setNotice(undefined);
    setSelected((current) => {
      const next = new Set(current);
      if (next.has(seatId)) next.delete(seatId);
      else if (next.size >= limit) {
        setNotice(t('seats.limit', { n: limit }));
        return current;
      } else next.add(seatId);
      return next;
    });
  };
  const chosen = [...selected].map((id) => ({
    id,
    label: live.get(id)?.label ?? id,
    price: live.get(id)?.price ?? 0,
  }));
  const total = chosen.reduce((sum, s) => sum + s.price, 0);
  const needsQueue = ev.waitingRoom.enabled && !admission;

  return (
    <main id="main" className="container wide seats-page">
      <h1>{t('seats.title')}</h1>
      <p className="lead">{ev.title}</p>
      {admission && (
        <p className="muted" role="timer">
          {t('seats.admissionLeft', { time: countdown(Date.parse(admission.expiresAt) - now) })}
        </p>
      )}
      {needsQueue && (
        <Notice kind="warning">
          {t('seats.needQueue')} <Link to={`/events/${eventId}/queue`}>{t('event.joinQueue')}</Link>
        </Notice>
      )}
      <ul className="legend" aria-label={t('seats.legend')}>
        {ev.priceTiers.map((tier) => (
          <li key={tier.id}>
            <span className="swatch" style={{ background: tierColor(tier.id) }} /> {tier.name}{' '}
            {won(tier.price, locale)}
          </li>
        ))}
        <li>
          <span className="swatch" style={{ background: '#d1d5db' }} /> {t('seats.sold')} / {t('seats.held')}
        </li>
        <li>
          <span className="swatch" style={{ background: '#111827' }} /> {t('seats.mine')}
        </li>
      </ul>
      {seatMap.data && (
        <p className="muted" data-testid="seats-left">
          {t('seats.left', { n: seatMap.data.counts.available })}
        </p>
      )}
      <div className="seats-layout">
        <SeatMap
          sections={sections}
          tierColor={tierColor}
          tierName={tierName}
          selected={selected}
          onToggle={toggle}
        />
        <aside className="basket" aria-live="polite">
          <h2>{t('seats.selected', { n: selected.size, max: limit })}</h2>
          <ul>
            {chosen.map((s) => (
              <li key={s.id}>
                {s.label} <span>{won(s.price, locale)}</span>
              </li>
            ))}
          </ul>
          <p className="total">
            {t('seats.total')} <strong>{won(total, locale)}</strong>
          </p>
          {notice && <Notice kind="warning">{notice}</Notice>}
          {hold.error instanceof ApiError && hold.error.code === 'EMAIL_NOT_VERIFIED' ? (
            <Notice kind="warning">{t('verify.holdRefused')}</Notice>
          ) : (
            hold.error && (
              <ErrorState error={hold.error} context={{ seatLabel: (id) => live.get(id)?.label }} />
            )
          )}
          {session ? (
            <button
              type="button"
              className="big"
              disabled={selected.size === 0 || hold.isPending || needsQueue}
              onClick={() => hold.mutate()}
            >
              {t('seats.hold')}
            </button>
          ) : (
            // Anyone may look at the seat map; holding seats needs an account.
            <Link className="button big" to={`/login?next=${encodeURIComponent(`/events/${eventId}/seats`)}`}>
              {t('nav.login')}
            </Link>
          )}
        </aside>
      </div>
    </main>
  );
}
