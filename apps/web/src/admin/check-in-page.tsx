import { useMutation, useQuery } from '@tanstack/react-query';
import { checkInResponse, eventsAtDoorResponse, formatTicketCode } from '@tiketi/contracts';
import { type FormEvent, useEffect, useRef, useState } from 'react';
import { ErrorState, Notice } from '../components/states.tsx';
import { api } from '../lib/api.ts';
import { dateTime } from '../lib/format.ts';
import { useI18n } from '../lib/i18n.tsx';
import { useSession } from '../lib/session.ts';
import { useTitle } from '../lib/use-title.ts';
import { useAdminEvents } from './admin-queries.ts';

type Detector = { detect(source: HTMLVideoElement): Promise<{ rawValue: string }[]> };
type DetectorClass = new (options: { formats: string[] }) => Detector;

/** Chromium-based browsers on phones ship a QR detector; elsewhere the short code is typed. */
const BarcodeDetectorClass = (globalThis as { BarcodeDetector?: DetectorClass }).BarcodeDetector;

/** A scanned QR payload starts with its version tag; anything else is taken for a typed ticket code. */
const isQrPayload = (value: string) => value.startsWith('TKT1.');

/** The concerts this door can choose: a staff member's assignments, or every concert for an operator. */
function useDoorEvents(staff: boolean) {
  const all = useAdminEvents();
  const assigned = useQuery({
    queryKey: ['check-in', 'events'],
    queryFn: ({ signal }) => api('/api/tickets/check-in/events', { schema: eventsAtDoorResponse, signal }),
    enabled: staff,
  });
  const asked = staff ? assigned : all;
  return {
    events: staff
      ? assigned.data?.items
      : all.data?.items.map((e) => ({ id: e.id, title: e.title, startsAt: e.startsAt })),
    loaded: asked.isSuccess,
    error: asked.error,
    retry: () => void asked.refetch(),
  };
}

export function CheckInPage() {
  const { t, locale } = useI18n();
  useTitle(t('checkin.title'));
  const staff = useSession()?.user.role === 'staff';
  const { events, loaded, error, retry } = useDoorEvents(staff);
  const [code, setCode] = useState('');
  const [eventId, setEventId] = useState('');
  const [scanning, setScanning] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  // A staff member with one concert works at its door: nothing to choose.
  const only = staff && events?.length === 1 ? events[0]?.id : undefined;
  useEffect(() => {
    if (only && !eventId) setEventId(only);
  }, [only, eventId]);
  const checkIn = useMutation({
    mutationFn: (value: string) =>
      api('/api/tickets/check-in', {
        body: isQrPayload(value) ? { qr: value, ...(eventId ? { eventId } : {}) } : { code: value, eventId },
        schema: checkInResponse,
      }),
    onSuccess: () => {
      setCode('');
      input.current?.focus();
    },
  });
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    if (code.trim()) checkIn.mutate(code.trim());
  };
  // A typed code names a ticket only within its concert, so the concert must be chosen first.
  const needsEvent = staff || (code.trim() !== '' && !isQrPayload(code.trim()));
  return (
    <>
      <h1>{t('checkin.title')}</h1>
      {staff && loaded && events?.length === 0 && <Notice kind="warning">{t('checkin.noEvents')}</Notice>}
      {error && <ErrorState error={error} onRetry={retry} />}
      <form className="card stack" onSubmit={onSubmit}>
        <label>
          {needsEvent ? t('checkin.eventRequired') : t('checkin.event')}
          <select
            name="eventId"
            value={eventId}
            onChange={(e) => setEventId(e.target.value)}
            required={needsEvent}
          >
            <option value="">{needsEvent ? t('checkin.chooseEvent') : t('common.all')}</option>
            {events?.map((e) => (
              <option key={e.id} value={e.id}>
                {e.title ?? e.id}
                {e.startsAt ? ` · ${dateTime(e.startsAt, locale)}` : ''}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('checkin.code')}
          <input
            ref={input}
            name="qr"
            value={code}
            onChange={(e) => setCode(e.target.value)}
            required
            autoComplete="off"
            autoCapitalize="characters"
            spellCheck={false}
            maxLength={1000}
            aria-describedby="checkin-hint"
          />
        </label>
        <p id="checkin-hint" className="muted">
          {t('checkin.codeHint')}
        </p>
        <div className="actions">
          <button type="submit" disabled={checkIn.isPending}>
            {t('checkin.submit')}
          </button>
          {BarcodeDetectorClass ? (
            <button type="button" className="secondary" onClick={() => setScanning(!scanning)}>
              {scanning ? t('checkin.stopScan') : t('checkin.scan')}
            </button>
          ) : (
            <span className="muted">{t('checkin.noCamera')}</span>
          )}
        </div>
        {scanning && BarcodeDetectorClass && (
          <Scanner
            detector={BarcodeDetectorClass}
            onCode={(value) => {
              setScanning(false);
              setCode(value);
              checkIn.mutate(value);
            }}
          />
        )}
      </form>
      <div aria-live="polite">
        {checkIn.isSuccess && (
          <Notice kind="success">
            <span data-testid="checkin-ok">
              {/* A standing ticket is let in by its area and entry number; the place picked for it means nothing. */}
              {checkIn.data.entryNumber !== null
                ? t('checkin.okStanding', {
                    place: t('tickets.entry', {
                      section: checkIn.data.entrySection ?? '',
                      n: checkIn.data.entryNumber,
                    }),
                    code: formatTicketCode(checkIn.data.code),
                  })
                : t('checkin.ok', {
                    seat: checkIn.data.seatLabel,
                    code: formatTicketCode(checkIn.data.code),
                  })}
            </span>
          </Notice>
        )}
        {checkIn.error && <ErrorState error={checkIn.error} />}
      </div>
    </>
  );
}

function Scanner({
  detector: DetectorCtor,
  onCode,
}: {
  detector: DetectorClass;
  onCode: (code: string) => void;
}) {
  const video = useRef<HTMLVideoElement>(null);
  const [error, setError] = useState<unknown>();
  // The camera starts once per scan, whatever the parent re-renders meanwhile.
  const report = useRef(onCode);
  report.current = onCode;
  useEffect(() => {
    let stream: MediaStream | undefined;
    let timer: ReturnType<typeof setInterval> | undefined;
    let stopped = false;
    const detector = new DetectorCtor({ formats: ['qr_code'] });
    navigator.mediaDevices
      .getUserMedia({ video: { facingMode: 'environment' } })
      .then(async (s) => {
        if (stopped) {
          for (const track of s.getTracks()) track.stop();
          return;
        }
        stream = s;
        if (!video.current) return;
        video.current.srcObject = s;
        await video.current.play();
        timer = setInterval(async () => {
          if (!video.current) return;
          const found = await detector.detect(video.current).catch(() => []);
          const value = found[0]?.rawValue;
          if (value && !stopped) {
            stopped = true;
            report.current(value);
          }
        }, 300);
      })
      .catch(setError);
    return () => {
      stopped = true;
      clearInterval(timer);
      for (const track of stream?.getTracks() ?? []) track.stop();
    };
  }, [DetectorCtor]);
  if (error) return <ErrorState error={error} />;
  return <video ref={video} className="scanner" muted playsInline aria-label="QR camera" />;
}
