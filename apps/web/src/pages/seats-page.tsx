import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { holdResponse, queueStatus } from '@tiketi/contracts';
import { useEffect, useMemo, useRef, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { LeaveRoom } from '../components/leave-room.tsx';
import { type DrawnSection, groupBySection, SeatMap, TIER_COLORS } from '../components/seat-map.tsx';
import { StandingAreas, type StandingOffer } from '../components/standing-areas.tsx';
import { ErrorState, Loading, NotFound, Notice } from '../components/states.tsx';
import { admissions } from '../lib/admission.ts';
import { track } from '../lib/analytics.ts';
import { ApiError, api, isNotFound } from '../lib/api.ts';
import { countdown, dateTime, won } from '../lib/format.ts';
import { useI18n } from '../lib/i18n.tsx';
import { useEvent, useOwnHolds, useOwnTicketsOf, useSeatMap } from '../lib/queries.ts';
import { saleState } from '../lib/sale.ts';
import { useSession } from '../lib/session.ts';
import { useNow } from '../lib/use-now.ts';
import { useTitle } from '../lib/use-title.ts';

/** How often, at most, an admitted fan's seat page tells the waiting room the fan is still there. */
const TURN_CHECK_MS = 30_000;

export function SeatsPage() {
  const { id: eventId = '' } = useParams();
  const { t, locale } = useI18n();
  const navigate = useNavigate();
  const session = useSession();
  const queryClient = useQueryClient();
  const event = useEvent(eventId);
  useTitle(t('seats.title'), event.data?.title);
  const seatMap = useSeatMap(eventId);
  const ownHolds = useOwnHolds(eventId, Boolean(session));
  const ownTickets = useOwnTicketsOf(eventId, Boolean(session));
  const [selected, setSelected] = useState<Set<string>>(new Set());
  /** Places wanted per standing area (by name); the server picks which when holding. */
  const [quantities, setQuantities] = useState<Record<string, number>>({});
  // A choice was refused at the per-person limit: said by the limit's line as it is now, not as it was.
  const [refused, setRefused] = useState(false);
  const now = useNow();
  const [turnEnded, setTurnEnded] = useState(false);
  const admission = turnEnded ? undefined : admissions.get(eventId);
  const tracked = useRef(false);

  // The waiting room gives the slot of an admitted fan who holds nothing and shows no sign of life to the
  // next fan. While this page is open it asks for the status, which is that sign, well within the limit
  // the answer gives; and so learns when the turn has ended (lapsed, given up, or away too long).
  const turn = useQuery({
    queryKey: ['queue-turn', eventId],
    queryFn: () => api(`/api/queue/${eventId}/status`, { schema: queueStatus }),
    enabled: Boolean(admission),
    refetchInterval: (query) =>
      Math.min(TURN_CHECK_MS, ((query.state.data?.idleLimitSeconds ?? 90) * 1000) / 3),
    refetchIntervalInBackground: true,
    retry: false,
    // Only this page's own answers count: a turn that ended before a new admission says nothing of it.
    gcTime: 0,
  });
  useEffect(() => {
    if (!turn.isFetchedAfterMount) return;
    if ((turn.data && turn.data.state !== 'admitted') || isNotFound(turn.error)) {
      admissions.clear(eventId);
      setTurnEnded(true);
    }
  }, [turn.isFetchedAfterMount, turn.data, turn.error, eventId]);

  useEffect(() => {
    if (!tracked.current && eventId) {
      tracked.current = true;
      track('seat_map_view', { eventId });
    }
  }, [eventId]);

  // The event's seats as the reservation service sells them (ids, live state, price), placed where the
  // venue layout puts them. Standing areas are sold by count: their places are not drawn as seats.
  // The fan's own holds still running: their seats are never offered again, whatever the map says. Not
  // filtered by the clock: that would rebuild every seat each second, and a lapsed hold keeps its seats
  // held on the map too until the server ends it.
  const own = useMemo(
    () => (ownHolds.data?.items ?? []).filter((r) => r.status === 'PENDING'),
    [ownHolds.data],
  );
  const live = useMemo(() => {
    const held = new Set(own.flatMap((r) => r.seats.map((s) => s.id)));
    return new Map(
      (seatMap.data?.seats ?? []).map((s) => [
        s.id,
        held.has(s.id) && s.status === 'available' ? { ...s, status: 'held' as const } : s,
      ]),
    );
  }, [seatMap.data, own]);
  const standingTerms = useMemo(
    () =>
      new Map(
        (event.data?.venue.sections ?? []).flatMap((s) =>
          s.standing ? [[s.name, s.standing] as const] : [],
        ),
      ),
    [event.data],
  );
  const { sections, areas } = useMemo(() => {
    const grouped = groupBySection([...live.values()]);
    return {
      sections: grouped
        .filter(({ name }) => !standingTerms.has(name))
        .map<DrawnSection>(({ name, seats }) => ({
          name,
          seats: seats.map((s) => ({ ...s, tier: s.tierId })),
        })),
      areas: grouped.flatMap(({ name, seats }) => {
        const terms = standingTerms.get(name);
        const first = seats[0];
        if (!terms || !first) return [];
        const left = seats.filter((s) => s.status === 'available').length;
        return [{ name, tierId: first.tierId, price: first.price, left, entryOrder: terms.entryOrder }];
      }),
    };
  }, [live, standingTerms]);

  // Fewer places left than wanted (others held them meanwhile): the quantity falls to what is left.
  useEffect(() => {
    setQuantities((current) => {
      let changed = false;
      const next = { ...current };
      for (const area of areas) {
        const wanted = next[area.name] ?? 0;
        if (wanted > area.left) {
          next[area.name] = area.left;
          changed = true;
        }
      }
      return changed ? next : current;
    });
  }, [areas]);

  // A seat someone else took since it was chosen leaves the selection.
  useEffect(() => {
    setSelected((current) => {
      const still = [...current].filter((id) => live.get(id)?.status === 'available');
      return still.length === current.size ? current : new Set(still);
    });
  }, [live]);

  const places = Object.entries(quantities)
    .filter(([, quantity]) => quantity > 0)
    .map(([section, quantity]) => ({ section, quantity }));
  const placeCount = places.reduce((sum, p) => sum + p.quantity, 0);

  // The per-person limit counts what the fan already holds or bought for this concert, as the server does:
  // what is left of it is what the page lets them choose.
  const owned =
    own.reduce((sum, r) => sum + r.seats.length, 0) +
    (ownTickets.data?.items ?? []).filter((ticket) => ticket.status !== 'VOIDED').length;
  const perUserLimit = event.data?.perUserLimit;
  const limit = Math.max(0, (perUserLimit ?? 0) - owned);
  // Counts read again (a hold ended, a ticket refunded) can leave room: a refusal made before is over.
  // biome-ignore lint/correctness/useExhaustiveDependencies: the refusal ends when the limit changes.
  useEffect(() => setRefused(false), [limit]);
  const [trimmed, setTrimmed] = useState<{ owned: number; limit: number; n: number }>();
  // A hold or a purchase elsewhere (another tab) can leave less of the limit than was chosen here: the choice
  // is cut down to what is left, seats chosen first kept, and the page says why, rather than offer a hold the
  // server would refuse.
  useEffect(() => {
    if (perUserLimit === undefined || selected.size + placeCount <= limit) return;
    const seats = [...selected].slice(0, limit);
    let room = limit - seats.length;
    const kept: Record<string, number> = {};
    for (const [area, quantity] of Object.entries(quantities)) {
      kept[area] = Math.min(quantity, room);
      room -= kept[area];
    }
    setSelected(new Set(seats));
    setQuantities(kept);
    setTrimmed({ owned, limit: perUserLimit, n: limit });
  }, [perUserLimit, limit, owned, selected, quantities, placeCount]);

  // One key per choice: a second tap on Hold (a double tap comes before the button is drawn disabled), or
  // the same choice sent again, answers the hold the first made. Places by count would otherwise be picked
  // again, and the fan would hold twice as many.
  const holdKey = useRef<{ choice: string; key: string }>(undefined);
  const hold = useMutation({
    mutationFn: () => {
      const body = {
        eventId,
        seatIds: [...selected],
        ...(places.length ? { standing: places } : {}),
      };
      const choice = JSON.stringify(body);
      if (holdKey.current?.choice !== choice) holdKey.current = { choice, key: crypto.randomUUID() };
      return api(`/api/reservations`, {
        body,
        headers: {
          'idempotency-key': holdKey.current.key,
          ...(admission ? { 'x-queue-token': admission.token } : {}),
        },
        schema: holdResponse,
      });
    },
    onSuccess: (answer) => {
      void queryClient.invalidateQueries({ queryKey: ['own-holds', eventId] });
      navigate(`/checkout/${answer.reservationId}`);
    },
    onError: (error) => {
      // Seats someone else took show as taken once the map is read again, and leave the selection.
      if (error instanceof ApiError && ['SEATS_TAKEN', 'STANDING_SOLD_OUT'].includes(error.code)) {
        void queryClient.invalidateQueries({ queryKey: ['seats', eventId] });
      }
      // Seats this fan let go unpaid too often stay free on the map, but not for them: they leave the selection.
      if (error instanceof ApiError && error.code === 'SEATS_LEFT_FOR_OTHERS') {
        const ids = error.problem?.seatIds;
        const refused = new Set(Array.isArray(ids) ? ids.map(String) : []);
        setSelected((current) => new Set([...current].filter((id) => !refused.has(id))));
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
  // A cancelled concert, or one whose sale has not opened or is over, has no seats to choose here.
  const sale = saleState(ev, now);
  if (sale !== 'open') {
    return (
      <main id="main" className="container narrow">
        <h1>{ev.title}</h1>
        <div data-testid="seats-closed">
          <Notice kind="warning">
            {sale === 'cancelled'
              ? t('event.cancelled')
              : sale === 'before'
                ? t('event.opensIn', { when: dateTime(ev.saleOpensAt, locale) })
                : t('event.notOnSale')}
          </Notice>
          <Link className="button secondary" to={`/events/${ev.id}`}>
            {t('queue.backToEvent')}
          </Link>
        </div>
      </main>
    );
  }
  const limitNotice =
    owned === 0
      ? t('seats.limit', { n: limit })
      : limit === 0
        ? t('seats.limitReached', { limit: ev.perUserLimit, owned })
        : t('seats.limitOwned', { limit: ev.perUserLimit, owned, n: limit });
  const tierIndex = new Map(ev.priceTiers.map((tier, i) => [tier.id, i]));
  const tierColor = (id: string) => TIER_COLORS[(tierIndex.get(id) ?? 0) % TIER_COLORS.length] ?? '#7c3aed';
  const tierName = (id: string) => ev.priceTiers.find((tier) => tier.id === id)?.name ?? '';
  const toggle = (seatId: string) => {
    setRefused(false);
    setTrimmed(undefined);
    setSelected((current) => {
      const next = new Set(current);
      if (next.has(seatId)) next.delete(seatId);
      else if (next.size + placeCount >= limit) {
        setRefused(true);
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
  const offers: StandingOffer[] = areas.map((area) => {
    const wanted = quantities[area.name] ?? 0;
    return {
      name: area.name,
      tierName: tierName(area.tierId),
      tierColor: tierColor(area.tierId),
      price: area.price,
      left: area.left,
      entryOrder: area.entryOrder,
      // The per-user limit counts places as seats.
      max: Math.max(0, Math.min(area.left, limit - selected.size - (placeCount - wanted))),
    };
  });
  const standingLines = offers.flatMap((area) => {
    const quantity = quantities[area.name] ?? 0;
    return quantity > 0 ? [{ name: area.name, quantity, price: area.price * quantity }] : [];
  });
  const picked = selected.size + placeCount;
  const total =
    chosen.reduce((sum, s) => sum + s.price, 0) + standingLines.reduce((sum, line) => sum + line.price, 0);
  const needsQueue = ev.waitingRoom.enabled && !admission;
  // The button says what is held: standing places are not seats.
  const holdLabel =
    placeCount === 0
      ? t('seats.hold')
      : selected.size > 0
        ? t('seats.holdSeatsAndPlaces')
        : placeCount === 1
          ? t('seats.holdPlace')
          : t('seats.holdPlaces', { n: placeCount });

  return (
    <main id="main" className="container wide seats-page">
      <h1>{t('seats.title')}</h1>
      <p className="lead">{ev.title}</p>
      {admission && (
        <p className="muted" role="timer">
          {t('seats.admissionLeft', { time: countdown(Date.parse(admission.expiresAt) - now, locale) })}
        </p>
      )}
      {/* Offered while the fan holds nothing: a live hold keeps the slot, and the server would refuse. */}
      {admission && own.length === 0 && turn.data?.idleLimitSeconds && (
        <p className="muted" data-testid="idle-hint">
          {t('seats.idleHint', { n: Math.ceil(turn.data.idleLimitSeconds / 60) })}
        </p>
      )}
      {admission && own.length === 0 && (
        <LeaveRoom
          eventId={eventId}
          label="seats.giveTurn"
          hint="seats.giveTurnHint"
          onLeft={() => admissions.clear(eventId)}
          testId="give-turn"
        />
      )}
      {needsQueue && (
        <Notice kind="warning">
          {t(turnEnded ? 'seats.turnEnded' : 'seats.needQueue')}{' '}
          <Link to={`/events/${eventId}/queue`}>{t('event.joinQueue')}</Link>
        </Notice>
      )}
      {own.length > 0 && (
        <div data-testid="own-holds">
          <Notice>
            {t('seats.ownHolds', { n: own.reduce((sum, r) => sum + r.seats.length, 0) })}{' '}
            <Link to={`/checkout/${own[0]?.id}`}>{t('seats.toCheckout')}</Link>
          </Notice>
        </div>
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
      {/* Standing places are counted on their areas' cards, not as seats. */}
      {seatMap.data && sections.length > 0 && (
        <p className="muted" data-testid="seats-left">
          {t('seats.left', { n: seatMap.data.counts.available - areas.reduce((sum, a) => sum + a.left, 0) })}
        </p>
      )}
      <div className="seats-layout">
        <div className="seats-choices">
          <StandingAreas
            areas={offers}
            quantities={quantities}
            onChange={(area, quantity) => {
              setRefused(false);
              setTrimmed(undefined);
              setQuantities((current) => ({ ...current, [area]: quantity }));
            }}
          />
          {sections.length > 0 && (
            <SeatMap
              sections={sections}
              tierColor={tierColor}
              tierName={tierName}
              selected={selected}
              onToggle={toggle}
            />
          )}
        </div>
        <aside className="basket" aria-live="polite">
          {/* With no more to choose, "0 / 0" says nothing: the line below says why. */}
          <h2>
            {limit === 0 && picked === 0
              ? t('seats.selectedTitle')
              : t('seats.selected', { n: picked, max: limit })}
          </h2>
          {/* A trimmed choice's note says the same counts, and why the choice changed; so does the word on a
              choice just refused, which stands in for this line rather than beside it. */}
          {owned > 0 && !trimmed && !refused && (
            <p className="muted" data-testid="limit-owned">
              {limitNotice}
            </p>
          )}
          <ul>
            {standingLines.map((line) => (
              <li key={line.name} data-standing-line={line.name}>
                {t('seats.standingLine', { name: line.name, n: line.quantity })}{' '}
                <span>{won(line.price, locale)}</span>
              </li>
            ))}
            {chosen.map((s) => (
              <li key={s.id}>
                {s.label} <span>{won(s.price, locale)}</span>
              </li>
            ))}
          </ul>
          <p className="total">
            {t('seats.total')} <strong>{won(total, locale)}</strong>
          </p>
          {trimmed && (
            <Notice kind="warning">
              <span data-testid="limit-trimmed">{t('seats.limitTrimmed', trimmed)}</span>
            </Notice>
          )}
          {refused && <Notice kind="warning">{limitNotice}</Notice>}
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
              disabled={picked === 0 || picked > limit || hold.isPending || needsQueue}
              onClick={() => {
                // The server's answer is what counts now: an earlier word on the selection goes.
                setRefused(false);
                setTrimmed(undefined);
                hold.mutate();
              }}
            >
              {holdLabel}
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
