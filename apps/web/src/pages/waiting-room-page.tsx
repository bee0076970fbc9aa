import {
  estimateWait,
  positionIn,
  QUEUE_ETA_LIMIT_SECONDS,
  QUEUE_SOCKET,
  type QueueAdmitted,
  type QueueCancelled,
  type QueueClosed,
  type QueueLeftNotice,
  type QueueProgress,
  type QueueStatus,
  queueClosed,
  queueStatus,
} from '@tiketi/contracts';
import { useEffect, useRef, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { io } from 'socket.io-client';
import { LeaveRoom } from '../components/leave-room.tsx';
import { ErrorState, Loading, Notice } from '../components/states.tsx';
import { admissions } from '../lib/admission.ts';
import { track } from '../lib/analytics.ts';
import { ApiError, api } from '../lib/api.ts';
import { solveChallengeFor } from '../lib/challenge.ts';
import { countdown, dateTime } from '../lib/format.ts';
import { useI18n } from '../lib/i18n.tsx';
import { useEvent } from '../lib/queries.ts';
import { sessionStore } from '../lib/session.ts';
import { useNow } from '../lib/use-now.ts';
import { useTitle } from '../lib/use-title.ts';

type Live = Pick<QueueProgress, 'nowServing' | 'gone' | 'waiting' | 'pace' | 'seatsLeft'>;
type Wait = { seconds: number; beyondLimit: boolean };

/** What the queue service answers for a cancelled event, over HTTP and in a refused socket handshake. */
const EVENT_CANCELLED = 'EVENT_CANCELLED';
const isCancelled = (err: unknown) => err instanceof ApiError && err.code === EVENT_CANCELLED;
/** The line leads nowhere any more (`QueueClosed`): the sale closed, or the room was switched off. */
const CLOSED_CODES: readonly string[] = queueClosed.shape.code.options;
const closedCodeOf = (err: unknown) =>
  err instanceof ApiError && CLOSED_CODES.includes(err.code) ? (err.code as QueueClosed['code']) : undefined;

export function WaitingRoomPage() {
  const [attempt, setAttempt] = useState(0);
  // A retry starts the room afresh: a new join, a new socket.
  return <WaitingRoom key={attempt} onRetry={() => setAttempt((n) => n + 1)} />;
}

function WaitingRoom({ onRetry }: { onRetry: () => void }) {
  const { id: eventId = '' } = useParams();
  const { t } = useI18n();
  const navigate = useNavigate();
  const event = useEvent(eventId);
  useTitle(t('queue.title'), event.data?.title);
  const [status, setStatus] = useState<QueueStatus>();
  const [live, setLive] = useState<Live>();
  // The room's own answer came after its last broadcast (a reconnection, a poll): it is the newer word on
  // this fan's place until the next broadcast, which a long line may send only seconds later.
  const [answerIsNewer, setAnswerIsNewer] = useState(true);
  const liveRef = useRef<Live>(undefined);
  const [connected, setConnected] = useState(false);
  const [opensAtLocal, setOpensAtLocal] = useState<number>();
  const [error, setError] = useState<unknown>();
  // The event was cancelled: the wait is over for good (the reason when the broadcast gave one).
  const [cancelled, setCancelled] = useState<{ reason: string | null }>();
  const [closed, setClosed] = useState<QueueClosed['code']>();
  // The fan left this line, in another window (this one goes to the event page when it leaves).
  const [leftElsewhere, setLeftElsewhere] = useState(false);
  const leavingRef = useRef(false);
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
      setAnswerIsNewer(next.nowServing >= (liveRef.current?.nowServing ?? 0));
      // Before the opening the server counts the seconds to it: the countdown runs on its clock, not ours
      // (an opening beyond the estimate's bound is hours away, where a clock's few seconds do not show).
      if (next.number === null && next.etaSeconds !== null) {
        setOpensAtLocal(next.etaBeyondLimit ? Date.parse(next.opensAt) : Date.now() + next.etaSeconds * 1000);
      }
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
        const code = closedCodeOf(err);
        if (code) close(code);
      });
    }, 5000);
    // The wait is over for good: no more socket, no more polls.
    const stop = () => {
      if (stopped) return false;
      stopped = true;
      clearInterval(poll);
      socket.close();
      return true;
    };
    const cancel = (reason: string | null) => {
      if (stop()) setCancelled({ reason });
    };
    const close = (code: QueueClosed['code']) => {
      if (stop()) setClosed(code);
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
    // The server closes a socket whose access token expired (or whose session ended): a refreshed token
    // opens it again; a session that ended cannot be refreshed, and the page stays as the sign-in leaves it.
    socket.on(QUEUE_SOCKET.error, (problem: { status?: number }) => {
      if (problem.status !== 401 || stopped) return;
      api('/api/users/me').then(
        () => {
          if (!stopped) socket.connect();
        },
        () => undefined,
      );
    });
    socket.on(QUEUE_SOCKET.status, (message: QueueStatus) => take(message));
    socket.on(QUEUE_SOCKET.progress, (message: QueueProgress) => {
      liveRef.current = message;
      setLive(message);
      setAnswerIsNewer(false);
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
    socket.on(QUEUE_SOCKET.closed, (message: QueueClosed) => close(message.code));
    socket.on(QUEUE_SOCKET.left, (_message: QueueLeftNotice) => {
      if (!leavingRef.current && stop()) setLeftElsewhere(true);
    });

    solveChallengeFor('join', eventId)
      .then((headers) => api(`/api/queue/${eventId}/join`, { method: 'POST', schema: queueStatus, headers }))
      .then((joined) => {
        track('queue_join', { eventId });
        take(joined);
        if (!admittedRef.current && !stopped) socket.connect();
      })
      .catch((err: unknown) => {
        const code = closedCodeOf(err);
        if (isCancelled(err)) cancel(null);
        else if (code) close(code);
        else if (!stopped) setError(err);
      });

    return () => {
      stopped = true;
      clearInterval(poll);
      socket.close();
    };
  }, [eventId, navigate]);

  const title = event.data?.title;
  const fromBroadcast = live && !answerIsNewer ? live : undefined;
  const position =
    status?.number != null && fromBroadcast
      ? positionIn(status.number, fromBroadcast)
      : (status?.position ?? null);
  // The server's rule (`estimateWait`) on the pace it broadcasts; without a broadcast newer than the room's
  // answer, the answer's own estimate.
  const wait: Wait | null =
    position != null && fromBroadcast
      ? estimateWait(position, fromBroadcast.pace)
      : status && status.etaSeconds !== null
        ? { seconds: status.etaSeconds, beyondLimit: status.etaBeyondLimit }
        : null;

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
      ) : closed ? (
        <div data-testid="queue-closed">
          <Notice kind="warning">{t(`queue.closed.${closed}`)}</Notice>
          {closed === 'WAITING_ROOM_OFF' ? (
            <Link className="button" to={`/events/${eventId}/seats`}>
              {t('queue.toSeats')}
            </Link>
          ) : (
            <Link className="button secondary" to="/">
              {t('queue.otherEvents')}
            </Link>
          )}
        </div>
      ) : leftElsewhere ? (
        <div data-testid="queue-left">
          <Notice kind="warning">{t('queue.leftElsewhere')}</Notice>
          <div className="actions">
            <button type="button" onClick={onRetry}>
              {t('queue.joinAgain')}
            </button>
            <Link className="button secondary" to={`/events/${eventId}`}>
              {t('queue.backToEvent')}
            </Link>
          </div>
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
          <p data-testid="queue-rule">{t('queue.rule')}</p>
          <p className={`live-dot ${connected ? 'on' : ''}`} role="status">
            {connected ? t('queue.connected') : t('queue.reconnecting')}
          </p>
          {status.number === null ? (
            <BeforeOpening opensAt={status.opensAt} opensAtLocal={opensAtLocal} />
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
                <strong data-testid="queue-eta">{waitText(wait, t)}</strong>
              </div>
            </div>
          )}
          {status.number !== null && <p className="muted">{t('queue.number', { n: status.number })}</p>}
          {live?.seatsLeft === 0 ? (
            <Notice kind="warning">
              <span data-testid="queue-seats-left">{t('queue.soldOutNow')}</span>{' '}
              <Link to={`/events/${status.eventId}`}>{t('queue.toWaitlist')}</Link>
            </Notice>
          ) : (
            live?.seatsLeft !== undefined && (
              <p className="muted" data-testid="queue-seats-left">
                {t('queue.seatsLeft', { n: live.seatsLeft })}
              </p>
            )
          )}
          <progress
            max={Math.max(1, status.number ?? 1)}
            value={Math.min(Math.max(live?.nowServing ?? 0, status.nowServing), status.number ?? 0)}
            aria-label={t('queue.position')}
          />
          <LeaveRoom
            eventId={status.eventId}
            label="queue.leave"
            hint="queue.leaveHint"
            onLeaving={() => {
              leavingRef.current = true;
            }}
          />
        </>
      )}
    </main>
  );
}

/** The wait as a fan reads it: never a figure past the bound, which is "more than N hours" instead. */
function waitText(wait: Wait | null, t: ReturnType<typeof useI18n>['t']): string {
  if (!wait) return '–';
  if (wait.beyondLimit) return t('queue.beyond', { n: QUEUE_ETA_LIMIT_SECONDS / 3600 });
  if (wait.seconds < 60) return t('queue.seconds');
  const minutes = Math.ceil(wait.seconds / 60);
  return minutes < 60
    ? t('queue.minutes', { n: minutes })
    : t('queue.hours', { h: Math.floor(minutes / 60), m: minutes % 60 });
}

/** Before the sale opens: when it opens (in Seoul time), a live countdown to it, and what happens then. */
function BeforeOpening({ opensAt, opensAtLocal }: { opensAt: string; opensAtLocal: number | undefined }) {
  const { t, locale } = useI18n();
  const now = useNow(1000);
  const left = (opensAtLocal ?? Date.parse(opensAt)) - now;
  return (
    <Notice>
      <p>{t('queue.beforeOpen', { when: dateTime(opensAt, locale) })}</p>
      <p className="queue-countdown" data-testid="queue-countdown">
        {left > 0 ? (
          <>
            <span className="label">{t('queue.opensIn')}</span> <strong>{countdown(left, locale)}</strong>
          </>
        ) : (
          t('queue.drawing')
        )}
      </p>
    </Notice>
  );
}
