import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { eventDetailDto, type VoucherDto, voucherDto, voucherList } from '@tiketi/contracts';
import { type FormEvent, useState } from 'react';
import { Link, useParams } from 'react-router';
import { ErrorState, Notice, QueryState } from '../components/states.tsx';
import { api } from '../lib/api.ts';
import { dateTime, fromSeoulInput, won } from '../lib/format.ts';
import { useI18n } from '../lib/i18n.tsx';
import { AdminTable } from './admin-table.tsx';

/** One event's voucher codes: the ones made, with their uses, and a form for a new one. */
export function VouchersPage() {
  const { id = '' } = useParams();
  const { t, locale } = useI18n();
  const queryClient = useQueryClient();
  const event = useQuery({
    queryKey: ['event', id],
    queryFn: ({ signal }) => api(`/api/events/${id}`, { schema: eventDetailDto, signal }),
  });
  const vouchers = useQuery({
    queryKey: ['admin', 'vouchers', id],
    queryFn: ({ signal }) => api(`/api/admin/events/${id}/vouchers`, { schema: voucherList, signal }),
  });
  const [made, setMade] = useState<VoucherDto>();
  const create = useMutation({
    mutationFn: (body: object) => api(`/api/admin/events/${id}/vouchers`, { body, schema: voucherDto }),
    onSuccess: (voucher) => {
      setMade(voucher);
      void queryClient.invalidateQueries({ queryKey: ['admin', 'vouchers', id] });
    },
  });
  const tiers = event.data?.priceTiers ?? [];
  const tierName = new Map(tiers.map((tier) => [tier.id, tier.name]));
  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const when = (name: string) => (form.get(name) ? fromSeoulInput(form.get(name)) : null);
    create.mutate({
      code: String(form.get('code')),
      kind: String(form.get('kind')),
      value: Number(form.get('value')),
      tierIds: form.getAll('tierIds').map(String),
      maxUses: Number(form.get('maxUses')),
      validFrom: when('validFrom'),
      validUntil: when('validUntil'),
    });
  };
  const amountOff = (v: VoucherDto) => (v.kind === 'percent' ? `${v.value}%` : won(v.value, locale));
  const validity = (v: VoucherDto) =>
    v.validFrom || v.validUntil
      ? `${v.validFrom ? dateTime(v.validFrom, locale) : ''} – ${v.validUntil ? dateTime(v.validUntil, locale) : ''}`
      : t('adm.always');
  return (
    <>
      <div className="row-between">
        <h1>
          {t('adm.vouchers')}
          {event.data && `: ${event.data.title}`}
        </h1>
        <Link to={`/admin/events/${id}/report`}>{t('adm.report')}</Link>
      </div>
      <form className="card stack" onSubmit={onSubmit} aria-labelledby="new-voucher">
        <h2 id="new-voucher">{t('adm.voucherNew')}</h2>
        <div className="filters">
          <label>
            {t('adm.voucherCode')}
            <input name="code" required minLength={3} maxLength={32} pattern="[A-Za-z0-9_\-]+" />
          </label>
          <label>
            {t('adm.voucherKind')}
            <select name="kind" defaultValue="percent">
              <option value="percent">{t('adm.voucherPercent')}</option>
              <option value="amount">{t('adm.voucherAmount')}</option>
            </select>
          </label>
          <label>
            {t('adm.voucherValue')}
            <input name="value" type="number" required min={1} max={100_000_000} />
          </label>
          <label>
            {t('adm.voucherMaxUses')}
            <input name="maxUses" type="number" required min={1} max={1_000_000} />
          </label>
          <label>
            {t('adm.voucherValidFrom')} {t('adm.seoulTime')}
            <input name="validFrom" type="datetime-local" />
          </label>
          <label>
            {t('adm.voucherValidUntil')} {t('adm.seoulTime')}
            <input name="validUntil" type="datetime-local" />
          </label>
        </div>
        <fieldset>
          <legend>{t('adm.voucherTiers')}</legend>
          {tiers.map((tier) => (
            <label key={tier.id} className="check">
              <input type="checkbox" name="tierIds" value={tier.id} /> {tier.name} ({won(tier.price, locale)})
            </label>
          ))}
        </fieldset>
        <div className="actions">
          <button type="submit" disabled={create.isPending}>
            {t('common.create')}
          </button>
        </div>
        {create.isSuccess && made && (
          <Notice kind="success">{t('adm.voucherCreated', { code: made.code })}</Notice>
        )}
        {create.error && <ErrorState error={create.error} />}
      </form>
      <QueryState query={vouchers}>
        {(data) => (
          <AdminTable
            columns={[
              t('adm.voucherCode'),
              t('adm.voucherKind'),
              t('adm.tier'),
              t('adm.voucherUsed'),
              t('adm.voucherValidUntil'),
            ]}
            empty={data.items.length === 0 && <p>{t('common.none')}</p>}
          >
            {data.items.map((v) => (
              <tr key={v.id} data-code={v.code}>
                <th scope="row" className="mono">
                  {v.code}
                </th>
                <td>{amountOff(v)}</td>
                <td>
                  {v.tierIds.length === 0
                    ? t('adm.allTiers')
                    : v.tierIds.map((tierId) => tierName.get(tierId) ?? tierId).join(', ')}
                </td>
                <td data-testid="voucher-used">
                  {v.used} / {v.maxUses}
                </td>
                <td>{validity(v)}</td>
              </tr>
            ))}
          </AdminTable>
        )}
      </QueryState>
    </>
  );
}
