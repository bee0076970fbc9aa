import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  CHALLENGE_MAX_NUMBER,
  type EventDetailDto,
  eventDetailDto,
  MIN_PAYMENT_KRW,
  WAITLIST_OFFER_MINUTES_DEFAULT,
} from '@tiketi/contracts';
import { type FormEvent, useEffect, useState } from 'react';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router';
import { Poster } from '../components/poster.tsx';
import { ErrorState, Loading, Notice, Outcome, QueryState } from '../components/states.tsx';
import { api } from '../lib/api.ts';
import { dateTime, fromSeoulInput, wonRange } from '../lib/format.ts';
import { useI18n } from '../lib/i18n.tsx';
import type { MessageKey } from '../lib/messages.ts';
import { useTitle } from '../lib/use-title.ts';
import { useAdminEvents, useArtists, useVenue, venueLabel } from './admin-queries.ts';
import { AdminTable, RowsEditor } from './admin-table.tsx';
import { DateTimeField } from './date-time-field.tsx';
import { uploadImage } from './upload.ts';
import { type PickedVenue, VenuePicker } from './venue-picker.tsx';

export function AdminEventsPage() {
  const { t, locale } = useI18n();
  useTitle(t('admin.events'));
  const events = useAdminEvents();
  return (
    <>
      <div className="row-between">
        <h1>{t('admin.events')}</h1>
        <Link className="button" to="/admin/events/new">
          {t('adm.newEvent')}
        </Link>
      </div>
      <QueryState query={events}>
        {(data) => (
          <AdminTable
            columns={[
              t('adm.title'),
              t('common.status'),
              t('adm.startsAt'),
              t('adm.venue'),
              t('event.prices'),
              <span key="edit" className="visually-hidden">
                {t('adm.edit')}
              </span>,
            ]}
          >
            {data.items.map((e) => (
              <tr key={e.id}>
                <th scope="row">{e.title}</th>
                <td>{t(`status.${e.status}` as MessageKey)}</td>
                <td>{dateTime(e.startsAt, locale)}</td>
                <td>{e.venue.name}</td>
                <td>{wonRange(e.priceRange, locale)}</td>
                <td className="links">
                  <Link to={`/admin/events/${e.id}`}>{t('adm.edit')}</Link>{' '}
                  <Link to={`/admin/events/${e.id}/report`}>{t('adm.report')}</Link>{' '}
                  <Link to={`/admin/events/${e.id}/vouchers`}>{t('adm.vouchers')}</Link>
                </td>
              </tr>
            ))}
          </AdminTable>
        )}
      </QueryState>
    </>
  );
}

type Tier = { key: string; name: string; price: number };
/** What saved the event last: the form's own button, an action of the status card above it, or its cancelling. */
type SavedBy = 'form' | 'card' | 'cancel';

export function AdminEventEditPage() {
  const { id } = useParams();
  const { t } = useI18n();
  const event = useQuery({
    queryKey: ['event', id],
    queryFn: ({ signal }) => api(`/api/events/${id}`, { schema: eventDetailDto, signal }),
    enabled: Boolean(id),
  });
  useTitle(...(id ? [t('adm.editEvent'), event.data?.title] : [t('adm.newEvent')]));
  // The artist picker takes its saved value only when it first renders, so it waits for its options.
  const artists = useArtists();
  // Each save remounts the form with the saved values, so the confirmation lives here; a create moves
  // to the new event's address, which renders this same page and keeps it.
  const [saved, setSaved] = useState<SavedBy>();
  const pending = (id && event.isPending) || artists.isPending;
  if (pending) return <Loading />;
  if (id && (event.error || !event.data))
    return <ErrorState error={event.error} onRetry={() => event.refetch()} />;
  if (artists.error || !artists.data)
    return <ErrorState error={artists.error} onRetry={() => artists.refetch()} />;
  return (
    <EventForm
      key={event.data?.updatedAt ?? 'new'}
      event={event.data}
      artists={artists.data.items}
      saved={saved}
      onSaved={setSaved}
    />
  );
}

function EventForm({
  event,
  artists,
  saved,
  onSaved,
}: {
  event: EventDetailDto | undefined;
  artists: { id: string; name: string }[];
  saved: SavedBy | undefined;
  onSaved: (saved: SavedBy | undefined) => void;
}) {
  const { t } = useI18n();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [params] = useSearchParams();
  const [venue, setVenue] = useState<PickedVenue | undefined>(() => {
    if (event) return { id: event.venue.id, label: venueLabel(event.venue) };
    // From the Venues page's "new event" link, which knows the new venue only by id; the list names it
    // once it shows it.
    const id = params.get('venueId');
    return id ? { id, label: id } : undefined;
  });
  const [tiers, setTiers] = useState<Tier[]>(
    event?.priceTiers.map(({ key, name, price }) => ({ key, name, price })) ?? [],
  );
  const published = event !== undefined && event.status !== 'draft';
  // An event prices exactly the tiers its venue's seats use: the picked venue's are offered, each with the
  // name and price already typed for it, and no others (the event service would refuse them).
  const venueTiers = useVenue(published ? undefined : venue?.id).data?.tierKeys;
  useEffect(() => {
    if (!venueTiers) return;
    setTiers((typed) =>
      venueTiers.map((key) => typed.find((tier) => tier.key === key) ?? { key, name: key, price: 0 }),
    );
  }, [venueTiers]);

  const refresh = (by: SavedBy) => async (result: EventDetailDto) => {
    await queryClient.invalidateQueries({ queryKey: ['admin', 'events'] });
    queryClient.setQueryData(['event', result.id], result);
    onSaved(by);
    if (!event) navigate(`/admin/events/${result.id}`, { replace: true });
  };

  const save = useMutation({
    mutationFn: (form: FormData) => {
      const body = {
        title: String(form.get('title')),
        description: String(form.get('description') ?? ''),
        startsAt: fromSeoulInput(form.get('startsAt')),
        saleOpensAt: fromSeoulInput(form.get('saleOpensAt')),
        saleClosesAt: fromSeoulInput(form.get('saleClosesAt')),
        perUserLimit: Number(form.get('perUserLimit')),
        waitlistOfferMinutes: Number(form.get('waitlistOfferMinutes')),
        waitingRoom: {
          enabled: form.get('waitingRoom') === 'on',
          admissionRatePerMinute: Number(form.get('admissionRatePerMinute')),
          maxActiveShoppers: Number(form.get('maxActiveShoppers')),
          // Empty: the platform's default difficulty.
          challengeMaxNumber: form.get('challengeMaxNumber') ? Number(form.get('challengeMaxNumber')) : null,
        },
        ...(published
          ? {}
          : {
              artistId: String(form.get('artistId')),
              venueId: String(form.get('venueId')),
              priceTiers: tiers,
            }),
      };
      return event
        ? api(`/api/events/${event.id}`, { method: 'PATCH', body, schema: eventDetailDto })
        : api('/api/events', { body, schema: eventDetailDto });
    },
    onSuccess: refresh('form'),
  });
  const publish = useMutation({
    mutationFn: () => api(`/api/events/${event?.id}/publish`, { method: 'POST', schema: eventDetailDto }),
    onSuccess: refresh('card'),
  });
  const cancel = useMutation({
    mutationFn: (reason: string) =>
      api(`/api/events/${event?.id}/cancel`, { body: { reason }, schema: eventDetailDto }),
    onSuccess: refresh('cancel'),
  });
  // Cancelling refunds every buyer and cannot be undone: the card first says so and asks for the reason.
  const [cancelling, setCancelling] = useState(false);
  const poster = useMutation({
    mutationFn: async (file: File) => {
      const mediaId = await uploadImage(file, event?.title ?? '');
      return api(`/api/events/${event?.id}/poster`, {
        method: 'PUT',
        body: { mediaId },
        schema: eventDetailDto,
      });
    },
    onSuccess: refresh('card'),
  });

  // Each action says how it went, and only the last one: an earlier refusal must not stand for a later one.
  const actions = [save, publish, cancel, poster];
  const starting = (action: (typeof actions)[number]) => {
    onSaved(undefined);
    for (const other of actions) if (other !== action) other.reset();
  };
  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    starting(save);
    save.mutate(new FormData(e.currentTarget));
  };
  const cardError = publish.error ?? poster.error;
  // Publishing refuses a start or a sale closing gone by; a draft is saved with them, and told so at once.
  const pastTimes =
    event?.status === 'draft'
      ? (['startsAt', 'saleClosesAt'] as const)
          .filter((field) => Date.parse(event[field]) <= Date.now())
          .map((field) => t(`adm.${field}`))
      : [];

  return (
    <>
      <h1>{event ? t('adm.editEvent') : t('adm.newEvent')}</h1>
      {saved === 'card' && <Notice kind="success">{t('common.saved')}</Notice>}
      {saved === 'cancel' && <Notice kind="success">{t('adm.cancelled')}</Notice>}
      {cardError && <ErrorState error={cardError} />}
      {event && (
        <section className="card row">
          <Poster image={event.poster} alt={event.title} />
          <div className="stack">
            <p>
              {t('common.status')}: <strong>{t(`status.${event.status}` as MessageKey)}</strong>
            </p>
            <label>
              {t('adm.poster')}
              <input
                type="file"
                accept="image/*"
                disabled={poster.isPending}
                onChange={(e) => {
                  const file = e.target.files?.[0];
                  // Cleared, so the same file picked again (once fixed, say) is sent again.
                  e.target.value = '';
                  if (file) {
                    starting(poster);
                    poster.mutate(file);
                  }
                }}
              />
            </label>
            {event.status === 'draft' && (
              <button
                type="button"
                onClick={() => {
                  starting(publish);
                  publish.mutate();
                }}
                disabled={publish.isPending}
              >
                {t('adm.publish')}
              </button>
            )}
            {event.status !== 'cancelled' &&
              event.status !== 'draft' &&
              event.status !== 'ended' &&
              (cancelling ? (
                <form
                  className="stack"
                  onSubmit={(e) => {
                    e.preventDefault();
                    starting(cancel);
                    cancel.mutate(String(new FormData(e.currentTarget).get('reason')).trim());
                  }}
                >
                  <fieldset className="stack">
                    <legend>{t('adm.cancelEvent')}</legend>
                    <p>{t('adm.cancelWarning')}</p>
                    <label>
                      {t('adm.cancelReason')}
                      <textarea name="reason" rows={3} required maxLength={500} />
                    </label>
                    {cancel.error && <ErrorState error={cancel.error} />}
                    <div className="actions">
                      <button type="submit" className="danger" disabled={cancel.isPending}>
                        {t('adm.cancelConfirm')}
                      </button>
                      <button
                        type="button"
                        className="secondary"
                        onClick={() => {
                          setCancelling(false);
                          cancel.reset();
                        }}
                      >
                        {t('adm.cancelKeep')}
                      </button>
                    </div>
                  </fieldset>
                </form>
              ) : (
                <button type="button" className="danger" onClick={() => setCancelling(true)}>
                  {t('adm.cancelEvent')}
                </button>
              ))}
          </div>
        </section>
      )}
      <form className="stack form-grid" onSubmit={onSubmit}>
        <label>
          {t('adm.title')}
          <input name="title" required maxLength={200} defaultValue={event?.title} />
        </label>
        <label>
          {t('adm.artist')}
          <select name="artistId" required disabled={published} defaultValue={event?.artist.id}>
            {artists.map((a) => (
              <option key={a.id} value={a.id}>
                {a.name}
              </option>
            ))}
          </select>
        </label>
        <VenuePicker name="venueId" picked={venue} onPick={setVenue} required disabled={published} />
        <DateTimeField name="startsAt" label={t('adm.startsAt')} iso={event?.startsAt} required />
        <DateTimeField name="saleOpensAt" label={t('adm.saleOpensAt')} iso={event?.saleOpensAt} required />
        <DateTimeField name="saleClosesAt" label={t('adm.saleClosesAt')} iso={event?.saleClosesAt} required />
        <label>
          {t('adm.perUserLimit')}
          <input
            name="perUserLimit"
            type="number"
            min={1}
            max={10}
            required
            defaultValue={event?.perUserLimit ?? 4}
          />
        </label>
        <label>
          {t('adm.waitlistOfferMinutes')}
          <input
            name="waitlistOfferMinutes"
            type="number"
            min={5}
            max={1440}
            required
            defaultValue={event?.waitlistOfferMinutes ?? WAITLIST_OFFER_MINUTES_DEFAULT}
          />
        </label>
        <fieldset>
          <legend>{t('events.queue')}</legend>
          <label className="inline">
            <input name="waitingRoom" type="checkbox" defaultChecked={event?.waitingRoom.enabled ?? false} />{' '}
            {t('adm.waitingRoom')}
          </label>
          <label>
            {t('adm.admissionRate')}
            <input
              name="admissionRatePerMinute"
              type="number"
              min={1}
              required
              defaultValue={event?.waitingRoom.admissionRatePerMinute ?? 300}
            />
          </label>
          <label>
            {t('adm.maxShoppers')}
            <input
              name="maxActiveShoppers"
              type="number"
              min={1}
              required
              defaultValue={event?.waitingRoom.maxActiveShoppers ?? 200}
            />
          </label>
          <label>
            {t('adm.challengeMaxNumber')}
            <input
              name="challengeMaxNumber"
              type="number"
              min={CHALLENGE_MAX_NUMBER.min}
              max={CHALLENGE_MAX_NUMBER.max}
              step={1000}
              aria-describedby="challenge-hint"
              defaultValue={event?.waitingRoom.challengeMaxNumber ?? ''}
            />
            <small id="challenge-hint">{t('adm.challengeHint')}</small>
          </label>
        </fieldset>
        <RowsEditor
          legend={t('adm.tiers')}
          rows={tiers}
          onChange={setTiers}
          newRow={() => ({ key: '', name: '', price: MIN_PAYMENT_KRW })}
          addLabel={t('adm.addTier')}
          removeLabel={t('adm.remove')}
          disabled={published}
        >
          {(tier, update) => (
            <>
              <label>
                {t('adm.tierKey')}
                <input
                  value={tier.key}
                  required
                  maxLength={20}
                  onChange={(e) => update({ key: e.target.value })}
                />
              </label>
              <label>
                {t('adm.tierName')}
                <input
                  value={tier.name}
                  required
                  maxLength={60}
                  onChange={(e) => update({ name: e.target.value })}
                />
              </label>
              <label>
                {t('adm.tierPrice')}
                <input
                  type="number"
                  min={MIN_PAYMENT_KRW}
                  required
                  // A tier offered from the venue has no price until the operator types one.
                  value={tier.price || ''}
                  onChange={(e) => update({ price: Number(e.target.value) })}
                />
              </label>
            </>
          )}
        </RowsEditor>
        <label className="full">
          {t('adm.description')}
          <textarea name="description" rows={4} maxLength={10_000} defaultValue={event?.description} />
        </label>
        <Outcome of={saved === 'form' ? saved : save.error} className="full">
          {saved === 'form' &&
            (pastTimes.length > 0 ? (
              <Notice kind="warning">{t('adm.draftPast', { fields: pastTimes.join(', ') })}</Notice>
            ) : (
              <Notice kind="success">{t('common.saved')}</Notice>
            ))}
          {save.error && <ErrorState error={save.error} />}
        </Outcome>
        <button type="submit" disabled={save.isPending}>
          {event ? t('common.save') : t('common.create')}
        </button>
      </form>
    </>
  );
}
