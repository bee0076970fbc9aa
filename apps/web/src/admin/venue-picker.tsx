import { useId, useState } from 'react';
import { ErrorState } from '../components/states.tsx';
import { useI18n } from '../lib/i18n.tsx';
import { useVenues, venueLabel } from './admin-queries.ts';

export type PickedVenue = { id: string; label: string };

/**
 * A venue chosen from every venue the event service lists, narrowed down by name or city. The picked
 * venue stays among the choices when a search leaves it out, so searching never unpicks it unseen.
 */
export function VenuePicker({
  name,
  picked,
  onPick,
  required,
  disabled,
}: {
  /** The form field the venue id is submitted as. */
  name?: string;
  picked: PickedVenue | undefined;
  onPick: (venue: PickedVenue | undefined) => void;
  required?: boolean;
  disabled?: boolean;
}) {
  const { t } = useI18n();
  const [search, setSearch] = useState('');
  const venues = useVenues(search);
  const selectId = useId();
  const statusId = useId();
  const listed = new Map((venues.data?.items ?? []).map((v) => [v.id, venueLabel(v)]));
  const shown = venues.data?.items.length ?? 0;
  const total = venues.data?.total ?? 0;

  return (
    <>
      <label>
        {t('adm.findVenue')}
        <input
          type="search"
          value={search}
          placeholder={t('adm.findVenueHint')}
          disabled={disabled}
          aria-controls={selectId}
          onChange={(e) => setSearch(e.target.value)}
          // Enter in the search box means "search", not "submit the event form around it".
          onKeyDown={(e) => {
            if (e.key === 'Enter') e.preventDefault();
          }}
        />
      </label>
      {/* Labelled apart from the select, whose option texts would otherwise become part of its name. */}
      <div className="field">
        <label htmlFor={selectId}>{t('adm.venue')}</label>
        <select
          id={selectId}
          name={name}
          required={required}
          disabled={disabled}
          aria-describedby={statusId}
          value={picked?.id ?? ''}
          onChange={(e) => {
            const id = e.target.value;
            onPick(id ? { id, label: listed.get(id) ?? picked?.label ?? id } : undefined);
          }}
        >
          <option value="">—</option>
          {picked && !listed.has(picked.id) && <option value={picked.id}>{picked.label}</option>}
          {[...listed].map(([id, label]) => (
            <option key={id} value={id}>
              {label}
            </option>
          ))}
        </select>
        <small id={statusId} aria-live="polite">
          {venues.data && shown === 0 && t('adm.noVenues')}
          {shown < total && t('adm.moreVenues', { n: shown, total })}
        </small>
        {venues.error && <ErrorState error={venues.error} onRetry={() => venues.refetch()} />}
      </div>
    </>
  );
}
