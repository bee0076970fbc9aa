import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { type EventSummaryDto, eventStatus, eventSummaryDto, pageOf } from '@tiketi/contracts';
import { type FormEvent, useEffect } from 'react';
import { Link, useLocation, useSearchParams } from 'react-router';
import { Pager } from '../components/pager.tsx';
import { Poster } from '../components/poster.tsx';
import { Notice, QueryState } from '../components/states.tsx';
import { track } from '../lib/analytics.ts';
import { api } from '../lib/api.ts';
import { date, won } from '../lib/format.ts';
import { useI18n } from '../lib/i18n.tsx';
import type { MessageKey } from '../lib/messages.ts';
import { sessionStore } from '../lib/session.ts';
import { useTitle } from '../lib/use-title.ts';

const PAGE_SIZE = 12;
const eventsPage = pageOf(eventSummaryDto);

export function EventsPage() {
  const { t, locale } = useI18n();
  useTitle(t('events.title'));
  const [params, setParams] = useSearchParams();
  // Where a fan lands who just deleted their account: said so, and the ended session forgotten here.
  const arrived = useLocation().state as { accountDeleted?: boolean; passwordReset?: boolean } | null;
  const accountDeleted = arrived?.accountDeleted;
  useEffect(() => {
    if (accountDeleted) sessionStore.set(null);
  }, [accountDeleted]);
  const q = params.get('q') ?? '';
  const status = params.get('status') ?? '';
  const from = params.get('from') ?? '';
  const sort = params.get('sort') ?? 'date';
  const pageNo = Number(params.get('page') ?? 1) || 1;

  const query = useQuery({
    queryKey: ['events', q, status, from, sort, pageNo],
    queryFn: ({ signal }) => {
      const search = new URLSearchParams({ sort, page: String(pageNo), pageSize: String(PAGE_SIZE) });
      if (q) search.set('q', q);
      if (status) search.set('status', status);
      if (from) search.set('from', from);
      return api(`/api/events?${search}`, { schema: eventsPage, signal });
    },
    placeholderData: keepPreviousData,
  });

  useEffect(() => {
    if (q) track('search', { properties: { q: q.slice(0, 100) } });
  }, [q]);

  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const next = new URLSearchParams();
    for (const key of ['q', 'status', 'from', 'sort']) {
      const value = String(form.get(key) ?? '').trim();
      if (value) next.set(key, value);
    }
    setParams(next);
  };
  const goTo = (n: number) => {
    const next = new URLSearchParams(params);
    next.set('page', String(n));
    setParams(next);
  };

  return (
    <main id="main" className="container">
      {accountDeleted && (
        <Notice kind="success">
          <span data-testid="account-deleted">{t('account.deleted')}</span>
        </Notice>
      )}
      {arrived?.passwordReset && (
        <Notice kind="success">
          <span data-testid="password-reset-done">{t('reset.done')}</span>
        </Notice>
      )}
      <h1>{t('events.title')}</h1>
      <form className="filters" onSubmit={onSubmit}>
        <label className="grow">
          <span className="visually-hidden">{t('events.search')}</span>
          <input name="q" type="search" defaultValue={q} placeholder={t('events.search')} />
        </label>
        <label>
          {t('events.filterStatus')}
          <select name="status" defaultValue={status}>
            <option value="">{t('common.all')}</option>
            {eventStatus.options
              .filter((s) => s !== 'draft')
              .map((s) => (
                <option key={s} value={s}>
                  {t(`status.${s}` as MessageKey)}
                </option>
              ))}
          </select>
        </label>
        <label>
          {t('events.filterFrom')}
          <input name="from" type="date" defaultValue={from} />
        </label>
        <label>
          {t('events.sort')}
          <select name="sort" defaultValue={sort}>
            <option value="date">{t('events.sortDate')}</option>
            <option value="-date">{t('events.sortDateDesc')}</option>
            <option value="title">{t('events.sortTitle')}</option>
          </select>
        </label>
        <button type="submit">{t('common.search')}</button>
      </form>
      <QueryState query={query}>
        {(data) =>
          data.items.length === 0 ? (
            <p>{t('events.empty')}</p>
          ) : (
            <>
              <ul className="event-grid">
                {data.items.map((event) => (
                  <EventCard key={event.id} event={event} locale={locale} />
                ))}
              </ul>
              <Pager page={pageNo} total={data.total} pageSize={PAGE_SIZE} onPage={goTo} />
            </>
          )
        }
      </QueryState>
    </main>
  );
}

function EventCard({ event, locale }: { event: EventSummaryDto; locale: 'ko' | 'en' }) {
  const { t } = useI18n();
  return (
    <li className="event-card">
      <Link to={`/events/${event.id}`} data-event-id={event.id}>
        <Poster image={event.poster} alt={event.title} />
        <div className="body">
          <span className={`badge ${event.status}`}>{t(`status.${event.status}` as MessageKey)}</span>
          {event.waitingRoom.enabled && <span className="badge queue">{t('events.queue')}</span>}
          <h2>{event.title}</h2>
          <p className="muted">
            {date(event.startsAt, locale)} · {event.venue.name}, {event.venue.city}
          </p>
          <p>
            {event.priceRange.min === event.priceRange.max
              ? won(event.priceRange.min, locale)
              : t('events.from', { price: won(event.priceRange.min, locale) })}
          </p>
        </div>
      </Link>
    </li>
  );
}
