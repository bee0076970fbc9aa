import { useMutation, useQueryClient } from '@tanstack/react-query';
import { venueDto } from '@tiketi/contracts';
import { type FormEvent, useState } from 'react';
import { Link } from 'react-router';
import { SeatMap } from '../components/seat-map.tsx';
import { ErrorState, Notice, QueryState } from '../components/states.tsx';
import { api } from '../lib/api.ts';
import { useI18n } from '../lib/i18n.tsx';
import { useVenueLayout } from '../lib/queries.ts';
import { venueLabel } from './admin-queries.ts';
import { RowsEditor } from './admin-table.tsx';
import { type PickedVenue, VenuePicker } from './venue-picker.tsx';

type SectionDraft = { name: string; rows: number; seatsPerRow: number; tierKey: string };

export function AdminVenuesPage() {
  const { t } = useI18n();
  const queryClient = useQueryClient();
  const [sections, setSections] = useState<SectionDraft[]>([
    { name: 'A', rows: 5, seatsPerRow: 10, tierKey: 'R' },
    { name: 'B', rows: 5, seatsPerRow: 10, tierKey: 'S' },
  ]);
  const [viewing, setViewing] = useState<PickedVenue>();
  const create = useMutation({
    mutationFn: (form: FormData) =>
      api('/api/venues', {
        body: {
          name: String(form.get('name')),
          city: String(form.get('city')),
          address: String(form.get('address') ?? ''),
          sections: sections.map((s) => ({
            name: s.name,
            rows: Array.from({ length: s.rows }, (_, r) => ({
              label: String(r + 1),
              seatCount: s.seatsPerRow,
              tierKey: s.tierKey,
            })),
          })),
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
  const total = sections.reduce((sum, s) => sum + s.rows * s.seatsPerRow, 0);

  return (
    <>
      <h1>{t('admin.venues')}</h1>
      <section className="card stack">
        <VenuePicker picked={viewing} onPick={setViewing} />
        {viewing && <VenueLayout venueId={viewing.id} />}
      </section>
      <form className="card stack" onSubmit={onSubmit}>
        <h2>{t('common.create')}</h2>
        {create.isSuccess && (
          <Notice kind="success">
            {t('adm.venueCreated', { id: create.data.id })}{' '}
            <Link to={`/admin/events/new?venueId=${create.data.id}`}>{t('adm.newEvent')}</Link>
          </Notice>
        )}
        {create.error && <ErrorState error={create.error} />}
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
        <RowsEditor
          legend={t('adm.sections')}
          rows={sections}
          onChange={setSections}
          newRow={(rows) => ({
            name: String.fromCharCode(65 + rows.length),
            rows: 5,
            seatsPerRow: 10,
            tierKey: 'S',
          })}
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
        <p className="muted">{t('adm.layoutPreview', { n: total })}</p>
        <button type="submit" disabled={create.isPending}>
          {t('common.create')}
        </button>
      </form>
    </>
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
            <p className="muted">{t('adm.layoutPreview', { n: data.seatCount })}</p>
            <SeatMap
              sections={sections}
              tierColor={(k) => colors[tiers.indexOf(k) % colors.length] ?? '#7c3aed'}
              tierName={(k) => k}
              selected={new Set()}
              onToggle={() => undefined}
            />
          </>
        );
      }}
    </QueryState>
  );
}
