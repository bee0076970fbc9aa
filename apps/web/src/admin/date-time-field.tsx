import { seoulInput } from '../lib/format.ts';
import { useI18n } from '../lib/i18n.tsx';

/**
 * One `datetime-local` field in the concert's own time (Seoul), whatever the operator's browser zone is:
 * the operator types what fans will read, the API gets UTC ISO (`fromSeoulInput`). Empty without `iso`.
 */
export function DateTimeField({
  name,
  label,
  iso,
  required = false,
}: {
  name: string;
  label: string;
  iso: string | null | undefined;
  required?: boolean;
}) {
  const { t } = useI18n();
  return (
    <label>
      {`${label} ${t('adm.seoulTime')}`}
      <input
        name={name}
        type="datetime-local"
        required={required}
        defaultValue={iso ? seoulInput(iso) : ''}
      />
    </label>
  );
}
