import { keepPreviousData, useMutation, useQuery } from '@tanstack/react-query';
import {
  type AdminUserDetail,
  adminUserDetail,
  adminUserPage,
  type NotificationDto,
  notificationDto,
  PASSWORD_RESET_TTL_MINUTES,
  type PublicUser,
  pageOf,
  passwordResetSent,
} from '@tiketi/contracts';
import type { FormEvent, ReactNode } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { Pager } from '../components/pager.tsx';
import { ErrorState, Loading, Notice, QueryState } from '../components/states.tsx';
import { api } from '../lib/api.ts';
import { date, dateTime } from '../lib/format.ts';
import { useI18n } from '../lib/i18n.tsx';
import { isMessageKey, type MessageKey } from '../lib/messages.ts';
import { useTitle } from '../lib/use-title.ts';
import { PartialNotice } from './admin-layout.tsx';
import { useAdminEvents } from './admin-queries.ts';
import { AdminTable } from './admin-table.tsx';
import { PAYMENT_COLUMNS, PaymentRow, RESERVATION_COLUMNS, ReservationRow } from './sales-page.tsx';

const PAGE_SIZE = 20;
const mailsPage = pageOf(notificationDto);

/** `/admin/users`: fans found by a part of their email address or name, the newest accounts first. */
export function UsersPage() {
  const { t, locale } = useI18n();
  useTitle(t('admin.fans'));
  const [params, setParams] = useSearchParams();
  const q = params.get('query') ?? '';
  const pageNo = Number(params.get('page') ?? 1) || 1;
  const users = useQuery({
    queryKey: ['admin', 'users', q, pageNo],
    queryFn: ({ signal }) => {
      const search = new URLSearchParams({ page: String(pageNo), pageSize: String(PAGE_SIZE) });
      if (q) search.set('query', q);
      return api(`/api/admin/users?${search}`, { schema: adminUserPage, signal });
    },
    placeholderData: keepPreviousData,
  });
  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const query = String(new FormData(e.currentTarget).get('query') ?? '').trim();
    setParams(query ? { query } : {});
  };
  const goTo = (n: number) => {
    const next = new URLSearchParams(params);
    next.set('page', String(n));
    setParams(next);
  };
  return (
    <>
      <h1>{t('admin.fans')}</h1>
      <form className="filters" onSubmit={onSubmit}>
        <label className="grow">
          {t('fans.search')}
          <input name="query" type="search" maxLength={200} defaultValue={q} key={q} />
        </label>
        <button type="submit">{t('common.search')}</button>
      </form>
      <QueryState query={users}>
        {(data) => (
          <>
            <AdminTable
              columns={[
                t('auth.name'),
                t('auth.email'),
                t('fans.role'),
                t('fans.verified'),
                t('fans.joined'),
              ]}
              empty={data.items.length === 0 && <p>{t('fans.none')}</p>}
            >
              {data.items.map((user) => (
                <tr key={user.id} data-user-id={user.id}>
                  <td>
                    <Link to={`/admin/users/${user.id}`}>{user.name}</Link>
                  </td>
                  <td>{user.email}</td>
                  <td>{t(`fans.role.${user.role}`)}</td>
                  <td>
                    <VerifiedBadge user={user} />
                  </td>
                  <td>{date(user.createdAt, locale)}</td>
                </tr>
              ))}
            </AdminTable>
            <Pager page={pageNo} total={data.total} pageSize={PAGE_SIZE} onPage={goTo} />
          </>
        )}
      </QueryState>
    </>
  );
}

function VerifiedBadge({ user }: { user: PublicUser }) {
  const { t } = useI18n();
  return (
    <span className={`badge ${user.emailVerified ? 'verified' : 'unverified'}`}>
      {t(user.emailVerified ? 'account.verified' : 'account.unverified')}
    </span>
  );
}

/**
 * `/admin/users/:id`: what support needs to help one fan: the account, its latest reservations and
 * payments, the mails sent to it, and a password reset link. An account its owner deleted has no profile
 * any more, but its orders and payments are kept and shown.
 */
export function UserPage() {
  const { id = '' } = useParams();
  const { t } = useI18n();
  const detail = useQuery({
    queryKey: ['admin', 'user', id],
    queryFn: ({ signal }) => api(`/api/admin/users/${id}`, { schema: adminUserDetail, signal }),
  });
  useTitle(detail.data && (detail.data.user?.name ?? t('fans.deleted')), t('admin.fans'));
  return (
    <QueryState query={detail}>
      {(d) => (
        <>
          <h1>{d.user?.name ?? t('fans.deleted')}</h1>
          {d.partial && <PartialNotice unavailable={d.unavailable} />}
          {d.user ? (
            <Profile user={d.user} />
          ) : (
            !d.unavailable.includes('user') && <Notice>{t('fans.deletedText')}</Notice>
          )}
          <History detail={d} />
          <Mails userId={d.userId} />
        </>
      )}
    </QueryState>
  );
}

function Profile({ user }: { user: PublicUser }) {
  const { t, locale } = useI18n();
  return (
    <section className="card stack" aria-labelledby="profile-title">
      <h2 id="profile-title">{t('account.profile')}</h2>
      <dl className="facts" data-testid="profile">
        <dt>{t('auth.email')}</dt>
        <dd>{user.email}</dd>
        <dt>{t('auth.name')}</dt>
        <dd>{user.name}</dd>
        <dt>{t('fans.role')}</dt>
        <dd>{t(`fans.role.${user.role}`)}</dd>
        <dt>{t('fans.locale')}</dt>
        <dd>{t(`fans.locale.${user.locale}`)}</dd>
        <dt>{t('fans.verified')}</dt>
        <dd>
          <VerifiedBadge user={user} />
        </dd>
        <dt>{t('fans.joined')}</dt>
        <dd>{dateTime(user.createdAt, locale)}</dd>
      </dl>
      <ResetLink userId={user.id} />
    </section>
  );
}

/**
 * For a fan who cannot sign in: the link the forgot-password page would mail them, sent to the address of
 * the account (the operator never sees the link). The user service mails at most one per account a
 * minute; a click within it is refused with the time to wait, which the error says.
 */
function ResetLink({ userId }: { userId: string }) {
  const { t } = useI18n();
  const send = useMutation({
    mutationFn: () =>
      api(`/api/users/${userId}/password-reset`, { method: 'POST', schema: passwordResetSent }),
  });
  return (
    <div className="stack">
      <div className="actions">
        <button type="button" className="secondary" disabled={send.isPending} onClick={() => send.mutate()}>
          {t('fans.sendReset')}
        </button>
      </div>
      {send.data && (
        <Notice kind="success">
          {t('fans.resetSent', { email: send.data.sentTo, minutes: PASSWORD_RESET_TTL_MINUTES })}
        </Notice>
      )}
      {send.error && <ErrorState error={send.error} />}
    </div>
  );
}

/** The fan's latest reservations and payments, as the orders page shows them. */
function History({ detail }: { detail: AdminUserDetail }) {
  const { t } = useI18n();
  const events = useAdminEvents();
  const titles = new Map((events.data?.items ?? []).map((e) => [e.id, e.title]));
  return (
    <>
      {/* Without the concerts the lists name each one by its id: said, with a way to ask again. */}
      {events.error && (
        <ErrorState
          error={events.error}
          lead={t('fans.titlesMissing')}
          onRetry={() => void events.refetch()}
        />
      )}
      <HistoryPart
        id="reservations-title"
        title="adm.searchReservations"
        columns={RESERVATION_COLUMNS}
        page={detail.reservations}
        row={(r) => <ReservationRow key={r.id} reservation={r} title={titles.get(r.eventId)} />}
      />
      <HistoryPart
        id="payments-title"
        title="adm.searchPayments"
        columns={PAYMENT_COLUMNS}
        page={detail.payments}
        row={(p) => <PaymentRow key={p.id} payment={p} title={titles.get(p.eventId)} />}
      />
    </>
  );
}

/** One of the fan's lists; null when its service did not answer, which it says. */
function HistoryPart<T>({
  id,
  title,
  columns,
  page,
  row,
}: {
  id: string;
  title: MessageKey;
  columns: MessageKey[];
  page: { items: T[]; total: number } | null;
  row: (item: T) => ReactNode;
}) {
  const { t } = useI18n();
  return (
    <section aria-labelledby={id}>
      <h2 id={id}>{t(title)}</h2>
      {page ? (
        <>
          <Latest shown={page.items.length} total={page.total} />
          <AdminTable
            columns={columns.map((key) => t(key))}
            empty={page.items.length === 0 && <p>{t('common.none')}</p>}
          >
            {page.items.map(row)}
          </AdminTable>
        </>
      ) : (
        <p className="muted">{t('fans.partMissing')}</p>
      )}
    </section>
  );
}

/** The detail holds the latest few: says so when there are more, which the orders page finds by user id. */
function Latest({ shown, total }: { shown: number; total: number }) {
  const { t } = useI18n();
  return total > shown ? <p className="muted">{t('fans.latest', { shown, total })}</p> : null;
}

/**
 * The mails sent to the fan, newest first, a page at a time. Asked again now and then while the page is
 * open: a mail is sent a moment after what caused it (the reset link above, a payment).
 */
function Mails({ userId }: { userId: string }) {
  const { t, locale } = useI18n();
  const [params, setParams] = useSearchParams();
  const pageNo = Number(params.get('mails') ?? 1) || 1;
  const mails = useQuery({
    queryKey: ['admin', 'user', userId, 'mails', pageNo],
    queryFn: ({ signal }) => {
      const search = new URLSearchParams({ userId, page: String(pageNo), pageSize: String(PAGE_SIZE) });
      return api(`/api/notifications?${search}`, { schema: mailsPage, signal });
    },
    placeholderData: keepPreviousData,
    refetchInterval: 15_000,
  });
  return (
    <section aria-labelledby="mails-title">
      <h2 id="mails-title">{t('fans.mails')}</h2>
      {mails.isPending ? (
        <Loading />
      ) : mails.error || !mails.data ? (
        // The mails come from the notification service alone: when it is down, only this part says so.
        <ErrorState error={mails.error} onRetry={() => mails.refetch()} />
      ) : (
        <>
          <AdminTable
            columns={[
              t('fans.mailSent'),
              t('fans.mailKind'),
              t('fans.mailSubject'),
              t('fans.mailTo'),
              t('common.status'),
              t('fans.mailActions'),
            ]}
            empty={mails.data.items.length === 0 && <p>{t('common.none')}</p>}
          >
            {mails.data.items.map((mail) => (
              <tr key={mail.id} data-template={mail.template}>
                <td>{dateTime(mail.createdAt, locale)}</td>
                <td>{templateLabel(mail.template, t)}</td>
                <td>{mail.subject ?? '—'}</td>
                <td>{mail.recipient ?? '—'}</td>
                <td data-testid="mail-status">
                  <MailStatus mail={mail} />
                </td>
                <td>{mail.canSendAgain && <SendAgain mail={mail} onSent={() => mails.refetch()} />}</td>
              </tr>
            ))}
          </AdminTable>
          <Pager
            page={pageNo}
            total={mails.data.total}
            pageSize={PAGE_SIZE}
            onPage={(n) => {
              const next = new URLSearchParams(params);
              next.set('mails', String(n));
              setParams(next);
            }}
          />
        </>
      )}
    </section>
  );
}

/**
 * For a fan who says a mail never came, or a mail whose send was left unconfirmed: the notification
 * service writes it anew and sends it as a mail of its own, which the list then shows.
 */
function SendAgain({ mail, onSent }: { mail: NotificationDto; onSent: () => void }) {
  const { t } = useI18n();
  const send = useMutation({
    mutationFn: () =>
      api(`/api/notifications/${mail.id}/send-again`, { method: 'POST', schema: notificationDto }),
    onSuccess: onSent,
  });
  return (
    <div className="stack">
      <div className="actions">
        <button type="button" className="secondary" disabled={send.isPending} onClick={() => send.mutate()}>
          {t('mail.sendAgain')}
        </button>
      </div>
      {send.data && (
        <Notice kind="success">{t('mail.sentAgain', { email: send.data.recipient ?? '' })}</Notice>
      )}
      {send.error && <ErrorState error={send.error} />}
    </div>
  );
}

function MailStatus({ mail }: { mail: NotificationDto }) {
  const { t } = useI18n();
  return (
    <>
      {t(`mail.${mail.status}`)}
      {mail.againOf && <div className="muted">{t('mail.copyOf')}</div>}
      {mail.status === 'unconfirmed' ? (
        <div className="muted">{t('mail.unconfirmedHint')}</div>
      ) : (
        // The service's own words (why a mail was skipped, say), kept for the engineers support asks.
        mail.detail && <div className="muted">{mail.detail}</div>
      )}
    </>
  );
}

/** A template's name in words; one the app does not know yet shows as its name. */
function templateLabel(template: string, t: (key: MessageKey) => string): string {
  const key = `mail.template.${template}`;
  return isMessageKey(key) ? t(key) : template;
}
