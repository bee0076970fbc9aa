import type { EventDetailDto } from '@tiketi/contracts';
import { useEffect } from 'react';
import { Link, useParams } from 'react-router';
import { Poster } from '../components/poster.tsx';
import { Notice, QueryState } from '../components/states.tsx';
import { WaitlistPanel } from '../components/waitlist-panel.tsx';
import { track } from '../lib/analytics.ts';
import { dateTime, won } from '../lib/format.ts';
import { useI18n } from '../lib/i18n.tsx';
import type { MessageKey } from '../lib/messages.ts';
import { seatsAndPlaces, useEvent, useSeatMap } from '../lib/queries.ts';
import { saleState } from '../lib/sale.ts';
import { useNow } from '../lib/use-now.ts';
import { useTitle } from '../lib/use-title.ts';

/** A tier's seats and standing places: a standing area's places are of its tier, and are not seats. */
function placesOfTier(event: EventDetailDto, tier: EventDetailDto['priceTiers'][number]) {
  const places = event.venue.sections
    .filter((section) => section.standing && section.tierKeys.includes(tier.key))
    .reduce((sum, section) => sum + section.seatCount, 0);
  return { seats: Math.max(0, tier.seatCount - places), places };
}

export function EventPage() {
  const { id } = useParams();
  const { t, locale } = useI18n();
  const query = useEvent(id);
  useTitle(query.data?.title);
  const now = useNow(10_000);
  // Whether any seat is left: a sold-out event offers its waiting list instead of the seat map.
  const seats = useSeatMap(id, 15_000);
  const soldOut = seats.data !== undefined && seats.data.counts.available === 0;
  useEffect(() => {
    if (id) track('event_view', { eventId: id });
  }, [id]);

  return (
    <main id="main" className="container">
      <QueryState query={query}>
        {(event) => {
          const queued = event.waitingRoom.enabled;
          const sale = saleState(event, now);
          // A waiting room takes arrivals before the sale opens and draws their order at the opening.
          const open = sale === 'open' || (queued && sale === 'before');
          // The seat counts read here are fresher than the catalogue's word (looked at every few seconds).
          const status =
            sale === 'open' && seats.data && (event.status === 'on_sale' || event.status === 'sold_out')
              ? soldOut
                ? 'sold_out'
                : 'on_sale'
              : event.status;
          return (
            <article className="event-detail">
              <Poster image={event.poster} alt={event.title} size="medium" />
              <div>
                <span className={`badge ${status}`} data-testid="event-status">
                  {t(`status.${status}` as MessageKey)}
                </span>
                <h1>{event.title}</h1>
                <p className="muted">{event.artist.name}</p>
                <dl className="facts">
                  <dt>{t('event.when')}</dt>
                  <dd>{dateTime(event.startsAt, locale)}</dd>
                  <dt>{t('event.where')}</dt>
                  <dd>
                    {event.venue.name}, {event.venue.city}
                    <br />
                    <span className="muted">{event.venue.address}</span>
                  </dd>
                  <dt>{t('event.saleOpens')}</dt>
                  <dd>{dateTime(event.saleOpensAt, locale)}</dd>
                  <dt>{t('event.saleCloses')}</dt>
                  <dd>{dateTime(event.saleClosesAt, locale)}</dd>
                </dl>
                <h2>{t('event.prices')}</h2>
                <ul className="tiers">
                  {event.priceTiers.map((tier) => (
                    <li key={tier.id}>
                      <span>{tier.name}</span> <strong>{won(tier.price, locale)}</strong>
                      <span className="muted">
                        {' · '}
                        {seatsAndPlaces(placesOfTier(event, tier), t)}
                      </span>
                    </li>
                  ))}
                </ul>
                <p className="muted">{t('event.limit', { n: event.perUserLimit })}</p>
                {event.status === 'cancelled' ? (
                  <Notice kind="warning">
                    {t('event.cancelled')}
                    {event.cancelReason && (
                      <>
                        <br />
                        <span data-testid="cancel-reason">
                          {t('event.cancelReason', { reason: event.cancelReason })}
                        </span>
                      </>
                    )}
                  </Notice>
                ) : open && soldOut ? (
                  <WaitlistPanel event={event} />
                ) : open ? (
                  <Link className="button big" to={`/events/${event.id}/${queued ? 'queue' : 'seats'}`}>
                    {queued ? t('event.joinQueue') : t('event.book')}
                  </Link>
                ) : sale === 'before' ? (
                  <Notice>{t('event.opensIn', { when: dateTime(event.saleOpensAt, locale) })}</Notice>
                ) : (
                  <Notice>{t('event.notOnSale')}</Notice>
                )}
                <p className="description">{event.description}</p>
              </div>
            </article>
          );
        }}
      </QueryState>
    </main>
  );
}
