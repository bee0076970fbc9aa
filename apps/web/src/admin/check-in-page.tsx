import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useEffect, useRef, useState } from 'react';
import { z } from 'zod';
import { ErrorState, Notice } from '../components/states.tsx';
import { api } from '../lib/api.ts';
import { useI18n } from '../lib/i18n.tsx';
import { useAdminEvents } from './admin-queries.ts';

const checkInAnswer = z.object({
  ticketId: z.uuid(),
  eventId: z.uuid(),
  seatLabel: z.string(),
  status: z.literal('USED'),
  usedAt: z.string(),
});

type Detector = { detect(source: HTMLVideoElement): Promise<{ rawValue: string }[]> };
type DetectorClass = new (options: { formats: string[] }) => Detector;

/** Chromium-based browsers on phones ship a QR detector; elsewhere the code is typed. */
const BarcodeDetectorClass = (globalThis as { BarcodeDetector?: DetectorClass }).BarcodeDetector;

export function CheckInPage() {
  const { t } = useI18n();
  const events = useAdminEvents();
  const [code, setCode] = useState('');
  const [eventId, setEventId] = useState('');
  const [scanning, setScanning] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const checkIn = useMutation({
    mutationFn: (qr: string) =>
      api('/api/tickets/check-in', { body: { qr, ...(eventId ? { eventId } : {}) }, schema: checkInAnswer }),
    onSuccess: () => {
      setCode('');
      input.current?.focus();
    },
  });
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    if (code.trim()) checkIn.mutate(code.trim());
  };
  return (
    <>
      <h1>{t('checkin.title')}</h1>
      <form className="card stack" onSubmit={onSubmit}>
        <label>
          {t('checkin.event')}
          <select value={eventId} onChange={(e) => setEventId(e.target.value)}>
            <option value="">{t('common.all')}</option>
            {events.data?.items.map((e) => (
              <option key={e.id} value={e.id}>
                {e.title}
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
            spellCheck={false}
            maxLength={1000}
          />
        </label>
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
            <span data-testid="checkin-ok">{t('checkin.ok', { seat: checkIn.data.seatLabel })}</span>
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
