import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type PublicUser, pageOf, publicUser, staffEventsResponse } from '@tiketi/contracts';
import { type FormEvent, useEffect, useState } from 'react';
import { ErrorState, Loading, Notice, QueryState } from '../components/states.tsx';
import { api } from '../lib/api.ts';
import { dateTime } from '../lib/format.ts';
import { useI18n } from '../lib/i18n.tsx';
import { everyPage } from '../lib/queries.ts';
import { useTitle } from '../lib/use-title.ts';
import { useAdminEvents } from './admin-queries.ts';

const staffPage = pageOf(publicUser);

/** Operators create door-staff accounts and choose the concerts each may check tickets in for. */
export function StaffPage() {
  const { t } = useI18n();
  useTitle(t('staff.title'));
  const queryClient = useQueryClient();
  const staff = useQuery({
    queryKey: ['admin', 'staff'],
    queryFn: ({ signal }) => everyPage('/api/users?role=staff', staffPage, signal),
  });
  const create = useMutation({
    mutationFn: (body: { email: string; name: string; password: string }) =>
      api('/api/users/staff', { body, schema: publicUser }),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ['admin', 'staff'] }),
  });
  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    create.mutate(
      {
        email: String(form.get('email')),
        name: String(form.get('name')),
        password: String(form.get('password')),
      },
      { onSuccess: () => (e.target as HTMLFormElement).reset() },
    );
  };
  return (
    <>
      <h1>{t('staff.title')}</h1>
      <p className="muted">{t('staff.intro')}</p>
      <form className="card stack" onSubmit={onSubmit}>
        <h2>{t('staff.create')}</h2>
        <label>
          {t('staff.email')}
          <input name="email" type="email" required maxLength={254} autoComplete="off" />
        </label>
        <label>
          {t('staff.name')}
          <input name="name" required maxLength={100} autoComplete="off" />
        </label>
        <label>
          {t('staff.password')}
          <input
            name="password"
            type="password"
            required
            minLength={8}
            maxLength={128}
            autoComplete="new-password"
          />
        </label>
        <div className="actions">
          <button type="submit" disabled={create.isPending}>
            {t('staff.submit')}
          </button>
        </div>
        {create.isSuccess && (
          <Notice kind="success">{t('staff.created', { email: create.data.email })}</Notice>
        )}
        {create.error && <ErrorState error={create.error} />}
      </form>
      <QueryState query={staff}>
        {(data) =>
          data.items.length === 0 ? (
            <p>{t('staff.none')}</p>
          ) : (
            <ul className="stack staff-list">
              {data.items.map((member) => (
                <StaffCard key={member.id} member={member} />
              ))}
            </ul>
          )
        }
      </QueryState>
    </>
  );
}

/** One staff account with a checkbox per concert; saving replaces the whole set. */
function StaffCard({ member }: { member: PublicUser }) {
  const { t, locale } = useI18n();
  const events = useAdminEvents();
  const assigned = useQuery({
    queryKey: ['admin', 'staff', member.id, 'events'],
    queryFn: ({ signal }) =>
      api(`/api/tickets/staff/${member.id}/events`, { schema: staffEventsResponse, signal }),
  });
  const [chosen, setChosen] = useState<Set<string>>();
  useEffect(() => {
    if (assigned.data && !chosen) setChosen(new Set(assigned.data.events.map((e) => e.id)));
  }, [assigned.data, chosen]);
  const save = useMutation({
    mutationFn: (eventIds: string[]) =>
      api(`/api/tickets/staff/${member.id}/events`, {
        method: 'PUT',
        body: { eventIds },
        schema: staffEventsResponse,
      }),
  });
  // Only published concerts can have a door; drafts are not sold yet.
  const selectable = events.data?.items.filter((e) => e.status !== 'draft') ?? [];
  return (
    <li className="card" data-staff-id={member.id}>
      <h2>
        {member.name} <span className="muted">{member.email}</span>
      </h2>
      {!chosen || !events.data ? (
        assigned.error || events.error ? (
          <ErrorState
            error={assigned.error ?? events.error}
            onRetry={() => {
              if (assigned.error) void assigned.refetch();
              if (events.error) void events.refetch();
            }}
          />
        ) : (
          <Loading />
        )
      ) : (
        <form
          className="stack"
          onSubmit={(e) => {
            e.preventDefault();
            save.mutate([...chosen]);
          }}
        >
          <fieldset>
            <legend>{t('staff.events')}</legend>
            {selectable.map((e) => (
              <label key={e.id} className="inline">
                <input
                  type="checkbox"
                  checked={chosen.has(e.id)}
                  onChange={(change) => {
                    const next = new Set(chosen);
                    if (change.target.checked) next.add(e.id);
                    else next.delete(e.id);
                    setChosen(next);
                    save.reset();
                  }}
                />{' '}
                {e.title} <span className="muted">{dateTime(e.startsAt, locale)}</span>
              </label>
            ))}
          </fieldset>
          <div className="actions">
            <button type="submit" disabled={save.isPending}>
              {t('staff.save')}
            </button>
          </div>
          {save.isSuccess && <Notice kind="success">{t('staff.saved')}</Notice>}
          {save.error && <ErrorState error={save.error} />}
        </form>
      )}
    </li>
  );
}
