import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  eventDetailDto,
  type PriceTierDto,
  type VoucherDto,
  voucherDto,
  voucherList,
} from '@tiketi/contracts';
import { type FormEvent, type ReactNode, useState } from 'react';
import { Link, useParams } from 'react-router';
import { ErrorState, Notice, QueryState } from '../components/states.tsx';
import { api } from '../lib/api.ts';
import { dateTime, fromSeoulInput, won } from '../lib/format.ts';
import { useI18n } from '../lib/i18n.tsx';
import { useTitle } from '../lib/use-title.ts';
import { AdminTable } from './admin-table.tsx';
import { DateTimeField } from './date-time-field.tsx';

/** A voucher's terms as the form sends them (the code apart): the same on making and on changing one. */
function termsOf(form: FormData) {
  const when = (name: string) => (form.get(name) ? fromSeoulInput(form.get(name)) : null);
  return {
    kind: String(form.get('kind')),
    value: Number(form.get('value')),
    tierIds: form.getAll('tierIds').map(String),
    maxUses: Number(form.get('maxUses')),
    validFrom: when('validFrom'),
    validUntil: when('validUntil'),
  };
}

/** A voucher's terms as form fields, empty for a new one or showing the voucher's own. */
function VoucherFields({
  tiers,
  voucher,
  children,
}: {
  tiers: PriceTierDto[];
  voucher?: VoucherDto;
  /** Fields shown first in the same row (the code, on a new voucher). */
  children?: ReactNode;
}) {
  const { t, locale } = useI18n();
  return (
    <>
      <div className="filters">
        {children}
        <label>
          {t('adm.voucherKind')}
          <select name="kind" defaultValue={voucher?.kind ?? 'percent'}>
            <option value="percent">{t('adm.voucherPercent')}</option>
            <option value="amount">{t('adm.voucherAmount')}</option>
          </select>
        </label>
        <label>
          {t('adm.voucherValue')}
          <input
            name="value"
            type="number"
            required
            min={1}
            max={100_000_000}
            defaultValue={voucher?.value}
          />
        </label>
        <label>
          {t('adm.voucherMaxUses')}
          <input
            name="maxUses"
            type="number"
            required
            min={Math.max(1, voucher?.used ?? 1)}
            max={1_000_000}
            defaultValue={voucher?.maxUses}
          />
        </label>
        <DateTimeField name="validFrom" label={t('adm.voucherValidFrom')} iso={voucher?.validFrom} />
        <DateTimeField name="validUntil" label={t('adm.voucherValidUntil')} iso={voucher?.validUntil} />
      </div>
      <fieldset>
        <legend>{t('adm.voucherTiers')}</legend>
        {tiers.map((tier) => (
          <label key={tier.id} className="check">
            <input
              type="checkbox"
              name="tierIds"
              value={tier.id}
              defaultChecked={voucher?.tierIds.includes(tier.id) ?? false}
            />{' '}
            {tier.name} ({won(tier.price, locale)})
          </label>
        ))}
      </fieldset>
    </>
  );
}

/**
 * One event's voucher codes: the ones made, with their uses, each changed or disabled (enabled again) in
 * place, and a form for a new one.
 */
export function VouchersPage() {
  const { id = '' } = useParams();
  const { t, locale } = useI18n();
  const queryClient = useQueryClient();
  const event = useQuery({
    queryKey: ['event', id],
    queryFn: ({ signal }) => api(`/api/events/${id}`, { schema: eventDetailDto, signal }),
  });
  useTitle(t('adm.vouchers'), event.data?.title);
  const vouchers = useQuery({
    queryKey: ['admin', 'vouchers', id],
    queryFn: ({ signal }) => api(`/api/admin/events/${id}/vouchers`, { schema: voucherList, signal }),
  });
  const [made, setMade] = useState<VoucherDto>();
  const [editing, setEditing] = useState<VoucherDto>();
  const [saved, setSaved] = useState<VoucherDto>();
  const update = useMutation({
    mutationFn: ({ voucher, body }: { voucher: VoucherDto; body: object }) =>
      api(`/api/admin/vouchers/${voucher.id}`, { method: 'PUT', body, schema: voucherDto }),
    onSuccess: (voucher) => {
      setSaved(voucher);
      setEditing(undefined);
      void queryClient.invalidateQueries({ queryKey: ['admin', 'vouchers', id] });
    },
  });
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
    create.mutate({ code: String(form.get('code')), ...termsOf(form) });
  };
  const onSave = (voucher: VoucherDto) => (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    update.mutate({ voucher, body: { ...termsOf(new FormData(e.currentTarget)), active: voucher.active } });
  };
  // Disabling keeps every term as it is; only `active` changes.
  const toggle = (v: VoucherDto) =>
    update.mutate({
      voucher: v,
      body: {
        kind: v.kind,
        value: v.value,
        tierIds: v.tierIds,
        maxUses: v.maxUses,
        validFrom: v.validFrom,
        validUntil: v.validUntil,
        active: !v.active,
      },
    });
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
        <VoucherFields tiers={tiers}>
          <label>
            {t('adm.voucherCode')}
            <input name="code" required minLength={3} maxLength={32} pattern="[A-Za-z0-9_\-]+" />
          </label>
        </VoucherFields>
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
      {editing && (
        <form
          key={editing.id}
          className="card stack"
          onSubmit={onSave(editing)}
          aria-labelledby="edit-voucher"
          data-testid="voucher-editor"
        >
          <h2 id="edit-voucher">{t('adm.voucherEdit', { code: editing.code })}</h2>
          <p className="muted">{t('adm.voucherEditNote')}</p>
          <VoucherFields tiers={tiers} voucher={editing} />
          <div className="actions">
            <button type="submit" disabled={update.isPending}>
              {t('common.save')}
            </button>
            <button type="button" className="secondary" onClick={() => setEditing(undefined)}>
              {t('common.cancel')}
            </button>
          </div>
          {update.error && <ErrorState error={update.error} />}
        </form>
      )}
      {saved && !editing && <Notice kind="success">{t('adm.voucherSaved', { code: saved.code })}</Notice>}
      {update.error && !editing && <ErrorState error={update.error} />}
      <QueryState query={vouchers}>
        {(data) => (
          <AdminTable
            columns={[
              t('adm.voucherCode'),
              t('adm.voucherKind'),
              t('adm.tier'),
              t('adm.voucherUsed'),
              t('adm.voucherValidity'),
              t('adm.voucherState'),
              <span key="actions" className="visually-hidden">
                {t('adm.edit')}
              </span>,
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
                <td data-testid="voucher-state">
                  {v.active ? t('adm.voucherActive') : t('adm.voucherInactive')}
                </td>
                <td className="actions">
                  <button
                    type="button"
                    className="secondary"
                    aria-label={`${t('adm.edit')} ${v.code}`}
                    onClick={() => {
                      update.reset();
                      setSaved(undefined);
                      setEditing(v);
                    }}
                  >
                    {t('adm.edit')}
                  </button>
                  <button
                    type="button"
                    className="secondary"
                    aria-label={`${v.active ? t('adm.voucherDisable') : t('adm.voucherEnable')} ${v.code}`}
                    disabled={update.isPending}
                    onClick={() => toggle(v)}
                  >
                    {v.active ? t('adm.voucherDisable') : t('adm.voucherEnable')}
                  </button>
                </td>
              </tr>
            ))}
          </AdminTable>
        )}
      </QueryState>
    </>
  );
}
