import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type EntryOrder, MAX_STANDING_CAPACITY, venueDto } from '@tiketi/contracts';
import { type FormEvent, useState } from 'react';
import { Link } from 'react-router';
import { SeatMap } from '../components/seat-map.tsx';
import { ErrorState, Notice, Outcome, QueryState } from '../components/states.tsx';
import { api } from '../lib/api.ts';
import { useI18n } from '../lib/i18n.tsx';
import { seatsAndPlaces, useVenueLayout } from '../lib/queries.ts';
import { useTitle } from '../lib/use-title.ts';
import { useVenue, venueLabel } from './admin-queries.ts';
import { RowsEditor } from './admin-table.tsx';
import { type PickedVenue, VenuePicker } from './venue-picker.tsx';

/** A section as the form edits it: rows of equal seats, or a standing area of `capacity` places. */
type SectionDraft = {
  name: string;
  rows: number;
  seatsPerRow: number;
  tierKey: string;
  standing: boolean;
  capacity: number;
  entryOrder: EntryOrder;
};

const seatedDraft = (name: string, tierKey: string, rows = 5, seatsPerRow = 10): SectionDraft => ({
  name,
  rows,
  seatsPerRow,
  tierKey,
  standing: false,
  capacity: 500,
  entryOrder: 'arrival',
});

export function AdminVenuesPage() {
  const { t } = useI18n();
  useTitle(t('admin.venues'));
  const queryClient = useQueryClient();
  const [sections, setSections] = useState<SectionDraft[]>([seatedDraft('A', 'R'), seatedDraft('B', 'S')]);
  const [viewing, setViewing] = useState<PickedVenue>();
  const [deleted, setDeleted] = useState(false);
  const create = useMutation({
    mutationFn: (form: FormData) =>
      api('/api/venues', {
        body: {
          name: String(form.get('name')),
          city: String(form.get('city')),
          address: String(form.get('address') ?? ''),
          sections: layoutOf(sections),
        },
        schema: venueDto,
      }),
    onSuccess: async (venue) => {
      setViewing({ id: venue.id, label: venueLabel(venue) });
      // Every venue picker lists it from now on, the event form's too.
      await queryClient.invalidateQueries({ queryKey: ['venues'] });
    },
  });
  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    create.mutate(new FormData(e.currentTarget));
  };
  const total = countsIn(sections);

  return (
    <>
      <h1>{t('admin.venues')}</h1>
      <section className="card stack">
        {deleted && !viewing && <Notice kind="success">{t('adm.venueDeleted')}</Notice>}
        <VenuePicker picked={viewing} onPick={setViewing} />
        {viewing && (
          <VenueEditor
            key={viewing.id}
            venueId={viewing.id}
            onDeleted={() => {
              setViewing(undefined);
              setDeleted(true);
            }}
            onRenamed={setViewing}
          />
        )}
      </section>
      <form className="card stack" onSubmit={onSubmit}>
        <h2>{t('common.create')}</h2>
        <label>
          {t('adm.name')}
          <input name="name" required maxLength={200} />
        </label>
        <label>
          {t('adm.city')}
          <input name="city" required maxLength={100} />
        </label>
        <label>
          {t('adm.address')}
          <input name="address" maxLength={300} />
        </label>
        <SectionsEditor sections={sections} onChange={setSections} />
        <p className="muted">{layoutPreview(t, total)}</p>
        <Outcome of={create.data ?? create.error}>
          {create.isSuccess && (
            <Notice kind="success">
              {t('adm.venueCreated', { venue: venueLabel(create.data) })}{' '}
              <Link to={`/admin/events/new?venueId=${create.data.id}`}>{t('adm.newEvent')}</Link>
            </Notice>
          )}
          {create.error && <ErrorState error={create.error} />}
        </Outcome>
        <button type="submit" disabled={create.isPending}>
          {t('common.create')}
        </button>
      </form>
    </>
  );
}

const countsIn = (sections: SectionDraft[]) => ({
  seats: sections.reduce((sum, s) => sum + (s.standing ? 0 : s.rows * s.seatsPerRow), 0),
  places: sections.reduce((sum, s) => sum + (s.standing ? s.capacity : 0), 0),
});

/** The layout preview's line: what the layout holds, seats and standing places each by its name. */
const layoutPreview = (t: ReturnType<typeof useI18n>['t'], counts: { seats: number; places: number }) =>
  t('adm.layoutPreview', { what: seatsAndPlaces(counts, t) });

/** The API's layout: standing areas by capacity, seated sections of equal rows numbered from 1. */
const layoutOf = (sections: SectionDraft[]) =>
  sections.map((s) =>
    s.standing
      ? { name: s.name, standing: { capacity: s.capacity, tierKey: s.tierKey, entryOrder: s.entryOrder } }
      : {
          name: s.name,
          rows: Array.from({ length: s.rows }, (_, r) => ({
            label: String(r + 1),
            seatCount: s.seatsPerRow,
            tierKey: s.tierKey,
          })),
        },
  );

function SectionsEditor({
  sections,
  onChange,
}: {
  sections: SectionDraft[];
  onChange: (sections: SectionDraft[]) => void;
}) {
  const { t } = useI18n();
  return (
    <RowsEditor
      legend={t('adm.sections')}
      rows={sections}
      onChange={onChange}
      newRow={(rows) => seatedDraft(String.fromCharCode(65 + rows.length), 'S')}
      addLabel={t('adm.addSection')}
      removeLabel={t('adm.remove')}
    >
      {(s, update) => (
        <>
          <label>
            {t('adm.sectionName')}
            <input
              value={s.name}
              required
              maxLength={20}
              onChange={(e) => update({ name: e.target.value })}
            />
          </label>
          <label>
            {t('adm.sectionKind')}
            <select
              value={s.standing ? 'standing' : 'seated'}
              onChange={(e) => update({ standing: e.target.value === 'standing' })}
            >
              <option value="seated">{t('adm.seated')}</option>
              <option value="standing">{t('adm.standing')}</option>
            </select>
          </label>
          {s.standing ? (
            <>
              <label>
                {t('adm.capacity')}
                <input
                  type="number"
                  min={1}
                  max={MAX_STANDING_CAPACITY}
                  value={s.capacity}
                  onChange={(e) => update({ capacity: Number(e.target.value) })}
                />
              </label>
              <label>
                {t('adm.entryOrder')}
                <select
                  value={s.entryOrder}
                  onChange={(e) => update({ entryOrder: e.target.value as EntryOrder })}
                >
                  <option value="arrival">{t('adm.entryArrival')}</option>
                  <option value="draw">{t('adm.entryDraw')}</option>
                </select>
              </label>
            </>
          ) : (
            <>
              <label>
                {t('adm.rows')}
                <input
                  type="number"
                  min={1}
                  max={500}
                  value={s.rows}
                  onChange={(e) => update({ rows: Number(e.target.value) })}
                />
              </label>
              <label>
                {t('adm.seatsPerRow')}
                <input
                  type="number"
                  min={1}
                  max={1000}
                  value={s.seatsPerRow}
                  onChange={(e) => update({ seatsPerRow: Number(e.target.value) })}
                />
              </label>
            </>
          )}
          <label>
            {t('adm.tierKey')}
            <input
              value={s.tierKey}
              required
              maxLength={20}
              onChange={(e) => update({ tierKey: e.target.value })}
            />
          </label>
        </>
      )}
    </RowsEditor>
  );
}

/**
 * A venue as it is: its name and address edited at any time; its seat layout replaced, or the venue
 * deleted, only while no concert uses it (the server refuses otherwise, and the page says why up front).
 */
function VenueEditor({
  venueId,
  onDeleted,
  onRenamed,
}: {
  venueId: string;
  onDeleted: () => void;
  onRenamed: (venue: PickedVenue) => void;
}) {
  const { t } = useI18n();
  const queryClient = useQueryClient();
  const venue = useVenue(venueId);
  const [sections, setSections] = useState<SectionDraft[]>();
  const refresh = async () => {
    await queryClient.invalidateQueries({ queryKey: ['venues'] });
    await queryClient.invalidateQueries({ queryKey: ['venue', venueId] });
    await queryClient.invalidateQueries({ queryKey: ['layout', venueId] });
  };
  const save = useMutation({
    mutationFn: (form: FormData) =>
      api(`/api/venues/${venueId}`, {
        method: 'PATCH',
        body: {
          name: String(form.get('name')),
          city: String(form.get('city')),
          address: String(form.get('address') ?? ''),
        },
        schema: venueDto,
      }),
    onSuccess: async (saved) => {
      onRenamed({ id: saved.id, label: venueLabel(saved) });
      await refresh();
    },
  });
  const relayout = useMutation({
    mutationFn: (drafts: SectionDraft[]) =>
      api(`/api/venues/${venueId}/layout`, {
        method: 'PUT',
        body: { sections: layoutOf(drafts) },
        schema: venueDto,
      }),
    onSuccess: refresh,
  });
  const remove = useMutation({
    mutationFn: () => api(`/api/venues/${venueId}`, { method: 'DELETE' }),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: ['venues'] });
      onDeleted();
    },
  });
  return (
    <QueryState query={venue}>
      {(v) => {
        const drafts =
          sections ??
          v.sections.map((s) => ({
            ...seatedDraft(
              s.name,
              s.tierKeys[0] ?? v.tierKeys[0] ?? 'R',
              Math.max(1, s.rowCount),
              Math.max(1, Math.round(s.seatCount / Math.max(1, s.rowCount))),
            ),
            ...(s.standing ? { standing: true, ...s.standing } : {}),
          }));
        const locked = v.eventCount > 0;
        return (
          <div className="stack" data-testid="venue-editor">
            <form
              className="stack"
              onSubmit={(e) => {
                e.preventDefault();
                save.mutate(new FormData(e.currentTarget));
              }}
            >
              <h2>{t('adm.editVenue')}</h2>
              {save.isSuccess && <Notice kind="success">{t('common.saved')}</Notice>}
              {save.error && <ErrorState error={save.error} />}
              <label>
                {t('adm.name')}
                <input name="name" required maxLength={200} defaultValue={v.name} />
              </label>
              <label>
                {t('adm.city')}
                <input name="city" required maxLength={100} defaultValue={v.city} />
              </label>
              <label>
                {t('adm.address')}
                <input name="address" maxLength={300} defaultValue={v.address} />
              </label>
              <button type="submit" disabled={save.isPending}>
                {t('common.save')}
              </button>
            </form>
            <VenueLayout venueId={venueId} />
            {locked ? (
              <Notice kind="warning">{t('adm.layoutLocked', { n: v.eventCount })}</Notice>
            ) : (
              <form
                className="stack"
                onSubmit={(e) => {
                  e.preventDefault();
                  relayout.mutate(drafts);
                }}
              >
                <SectionsEditor sections={drafts} onChange={setSections} />
                <p className="muted">{layoutPreview(t, countsIn(drafts))}</p>
                <Outcome of={relayout.data ?? relayout.error}>
                  {relayout.isSuccess && <Notice kind="success">{t('adm.layoutReplaced')}</Notice>}
                  {relayout.error && <ErrorState error={relayout.error} />}
                </Outcome>
                <div className="actions">
                  <button type="submit" disabled={relayout.isPending}>
                    {t('adm.replaceLayout')}
                  </button>
                  <button
                    type="button"
                    className="danger"
                    disabled={remove.isPending}
                    onClick={() =>
                      window.confirm(t('adm.deleteVenueConfirm', { name: venueLabel(v) })) && remove.mutate()
                    }
                  >
                    {t('adm.deleteVenue')}
                  </button>
                </div>
              </form>
            )}
            {remove.error && <ErrorState error={remove.error} />}
          </div>
        );
      }}
    </QueryState>
  );
}

function VenueLayout({ venueId }: { venueId: string }) {
  const { t } = useI18n();
  const layout = useVenueLayout(venueId);
  return (
    <QueryState query={layout}>
      {(data) => {
        const tiers = [
          ...new Set(data.sections.flatMap((s) => s.rows.flatMap((r) => r.seats.map((x) => x.tierKey)))),
        ];
        const sections = data.sections.map((s) => ({
          name: s.name,
          seats: s.rows.flatMap((r) =>
            r.seats.map((seat) => ({
              ...seat,
              tier: seat.tierKey,
              status: 'available' as const,
              price: undefined,
            })),
          ),
        }));
        const colors = ['#7c3aed', '#2563eb', '#0d9488', '#d97706', '#db2777'];
        return (
          <>
            <p className="muted">
              {layoutPreview(t, {
                seats: data.sections.reduce(
                  (sum, s) => sum + (s.standing ? 0 : s.rows.reduce((n, r) => n + r.seats.length, 0)),
                  0,
                ),
                places: data.sections.reduce((sum, s) => sum + (s.standing?.capacity ?? 0), 0),
              })}
            </p>
            <SeatMap
              sections={sections}
              tierColor={(k) => colors[tiers.indexOf(k) % colors.length] ?? '#7c3aed'}
              tierName={(k) => k}
              selected={new Set()}
              onToggle={() => undefined}
              plan
            />
          </>
        );
      }}
    </QueryState>
  );
}
