import {
  QUEUE_SOCKET,
  type QueueAdmitted,
  type QueueCancelled,
  type QueueProgress,
  type QueueStatus,
  queueStatus,
} from '@tiketi/contracts';
import { useEffect, useRef, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { io } from 'socket.io-client';
import { ErrorState, Loading, Notice } from '../components/states.tsx';
import { admissions } from '../lib/admission.ts';
import { track } from '../lib/analytics.ts';
import { ApiError, api } from '../lib/api.ts';
import { solveChallengeFor } from '../lib/challenge.ts';
import { dateTime } from '../lib/format.ts';
import { useI18n } from '../lib/i18n.tsx';
import { useEvent } from '../lib/queries.ts';
import { sessionStore } from '../lib/session.ts';

type Live = { nowServing: number; waiting: number; perMinute: number };

/** What the queue service answers for a cancelled event, over HTTP and in a refused socket handshake. */
const EVENT_CANCELLED = 'EVENT_CANCELLED';
const isCancelled = (err: unknown) => err instanceof ApiError && err.code === EVENT_CANCELLED;

export function WaitingRoomPage() {
  const [attempt, setAttempt] = useState(0);
  // A retry starts the room afresh: a new join, a new socket.
  return <WaitingRoom key={attempt} onRetry={() => setAttempt((n) => n + 1)} />;
}

function WaitingRoom({ onRetry }: { onRetry: () => void }) {
  const { id: eventId = '' } = useParams();
  const { t, locale } = useI18n();
  const navigate = useNavigate();
  const event = useEvent(eventId);
  const [status, setStatus] = useState<QueueStatus>();
  const [live, setLive] = useState<Live>();
  const [connected, setConnected] = useState(false);
  const [error, setError] = useState<unknown>();
  // The event was cancelled: the wait is over for good (the reason when the broadcast gave one).
  const [cancelled, setCancelled] = useState<{ reason: string | null }>();
  const admittedRef = useRef(false);

  useEffect(() => {
    if (!eventId) return;
    let stopped = false;
    const admit = (token: string, expiresAt: string) => {
      if (admittedRef.current || stopped) return;
      admittedRef.current = true;
      admissions.save(eventId, { token, expiresAt });
      navigate(`/events/${eventId}/seats`, { replace: true });
    };
    const take = (next: QueueStatus) => {
      if (stopped) return;
      setStatus(next);
      if (next.state === 'admitted' && next.admissionToken && next.admissionExpiresAt) {
        admit(next.admissionToken, next.admissionExpiresAt);
      }
    };

    const socket = io(window.location.origin, {
      path: QUEUE_SOCKET.path,
      transports: ['websocket'],
      autoConnect: false,
      // Read on every (re)connection, so a refreshed access token is used.
      auth: (cb) => cb({ token: sessionStore.get()?.accessToken ?? '', eventId }),
    });
    // A safety net under the socket: a slow poll also keeps the place alive if the socket cannot connect.
    const poll = setInterval(() => {
      if (socket.connected || admittedRef.current) return;
      api(`/api/queue/${eventId}/status`, { schema: queueStatus }).then(take, (err: unknown) => {
        if (isCancelled(err)) cancel(null);
      });
    }, 5000);
    // The wait is over for good: no more socket, no more polls.
    const cancel = (reason: string | null) => {
      if (stopped) return;
      stopped = true;
      clearInterval(poll);
      socket.close();
      setCancelled({ reason });
    };

    socket.on('connect', () => setConnected(true));
    socket.on('disconnect', () => setConnected(false));
    socket.on('connect_error', (err: Error & { data?: { status?: number; code?: string } }) => {
      setConnected(false);
      if (err.data?.code === EVENT_CANCELLED) {
        cancel(null);
        return;
      }
      // An expired access token: any API call refreshes it, then the socket tries again by itself.
      if (err.data?.status === 401) {
        api('/api/users/me').then(
          () => socket.connect(),
          () => undefined,
        );
      }
    });
    socket.on(QUEUE_SOCKET.status, (message: QueueStatus) => take(message));
    socket.on(QUEUE_SOCKET.progress, (message: QueueProgress) => {
      setLive({
        nowServing: message.nowServing,
        waiting: message.waiting,
        perMinute: message.admissionsPerMinute,
      });
      setStatus((current) => {
        if (current && current.number === null && message.opened) {
          // The opening draw just happened: ask for the number it gave us.
          socket.emit(QUEUE_SOCKET.status, (answer: QueueStatus | { error: unknown }) => {
            if ('queueId' in answer) take(answer);
          });
        }
        return current;
      });
    });
    socket.on(QUEUE_SOCKET.admitted, (message: QueueAdmitted) =>
      admit(message.admissionToken, message.admissionExpiresAt),
    );
    socket.on(QUEUE_SOCKET.cancelled, (message: QueueCancelled) => cancel(message.reason));

    solveChallengeFor('join', eventId)
      .then((headers) => api(`/api/queue/${eventId}/join`, { method: 'POST', schema: queueStatus, headers }))
      .then((joined) => {
        track('queue_join', { eventId });
        take(joined);
        if (!admittedRef.current && !stopped) socket.connect();
      })
      .catch((err: unknown) => {
        if (isCancelled(err)) cancel(null);
        else if (!stopped) setError(err);
      });

    return () => {
      stopped = true;
      clearInterval(poll);
      socket.close();
    };
  }, [eventId, navigate]);

  const title = event.data?.title;
  const position =
    status?.number != null && live
      ? Math.max(0, status.number - live.nowServing)
      : (status?.position ?? null);
  const perMinute = live?.perMinute ?? event.data?.waitingRoom.admissionRatePerMinute ?? 0;
  const etaSeconds =
    position != null && perMinute > 0
      ? Math.round((position / perMinute) * 60)
      : (status?.etaSeconds ?? null);

  return (
    <main id="main" className="container narrow waiting-room">
      <h1>{t('queue.title')}</h1>
      {title && <p className="lead">{title}</p>}
      {cancelled ? (
        <div data-testid="queue-cancelled">
          <Notice kind="warning">
            <strong>{t('queue.cancelled')}</strong>
            {cancelled.reason && <p>{t('queue.cancelledReason', { reason: cancelled.reason })}</p>}
            <p>{t('queue.cancelledRefund')}</p>
          </Notice>
          <Link className="button secondary" to="/">
            {t('queue.otherEvents')}
          </Link>
        </div>
      ) : error !== undefined ? (
        <ErrorState error={error} onRetry={onRetry} />
      ) : !status ? (
        <Loading label={t('challenge.checking')} />
      ) : status.state === 'admitted' ? (
        <Notice kind="success">{t('queue.admitted')}</Notice>
      ) : (
        <>
          <p>{t('queue.intro')}</p>
          <p className={`live-dot ${connected ? 'on' : ''}`} role="status">
            {connected ? t('queue.connected') : t('queue.reconnecting')}
          </p>
          {status.number === null ? (
            <Notice>{t('queue.beforeOpen', { when: dateTime(status.opensAt, locale) })}</Notice>
          ) : (
            <div className="queue-figures" aria-live="polite">
              <div>
                <span className="label">{t('queue.position')}</span>
                <strong data-testid="queue-position">{position ?? '–'}</strong>
              </div>
              <div>
                <span className="label">{t('queue.ahead')}</span>
                <strong>{position != null ? Math.max(0, position - 1) : '–'}</strong>
              </div>
              <div>
                <span className="label">{t('queue.eta')}</span>
                <strong>
                  {etaSeconds == null
                    ? '–'
                    : etaSeconds < 60
                      ? t('queue.seconds')
                      : t('queue.minutes', { n: Math.ceil(etaSeconds / 60) })}
                </strong>
              </div>
            </div>
          )}
          {status.number !== null && <p className="muted">{t('queue.number', { n: status.number })}</p>}
          <progress
            max={Math.max(1, status.number ?? 1)}
            value={live ? Math.min(live.nowServing, status.number ?? 0) : 0}
            aria-label={t('queue.position')}
          />
        </>
      )}
    </main>
  );
}
