import type {
  QueueAdmitted,
  QueueCancelled,
  QueueClosed,
  QueueLeftNotice,
  QueueProgress,
} from '@tiketi/contracts';
import { type Logger, type Metrics, periodicJob, signAdmissionToken } from '@tiketi/kit';
import type { TickOptions, TickResult, WaitingRoomRepository } from '../db/waiting-room.repository.ts';
import type { SeatsLeft } from './seats-left.ts';
import { closedNotice } from './waiting-room.ts';

/** Where the room's news goes: broadcasts per event (progress, cancellation), messages to one user's sockets. */
export type QueueNotifier = {
  progress(eventId: string, message: QueueProgress): void;
  admitted(eventId: string, userId: string, message: QueueAdmitted): void;
  cancelled(eventId: string, message: QueueCancelled): void;
  closed(eventId: string, message: QueueClosed): void;
  left(eventId: string, userId: string, message: QueueLeftNotice): void;
};

export type AdmissionLoopOptions = TickOptions & { tickMs: number; tokenSecret: string };

/**
 * Runs the atomic admission step for every live waiting room on a timer. Every instance runs it: there is
 * no leader to lose, and two instances stepping at once only split the same admissions between them.
 */
export function createAdmissionLoop(deps: {
  repo: WaitingRoomRepository;
  notifier: QueueNotifier;
  /** How many seats are left, told to the line with its progress. */
  seatsLeft: SeatsLeft;
  metrics: Metrics;
  logger: Logger;
  options: AdmissionLoopOptions;
}) {
  const { repo, notifier, options, logger } = deps;
  // Named as deploy/monitoring's alert rules and dashboards query them.
  const admissions = deps.metrics.counter('tiketi_queue_admitted_total', 'Users admitted from the line.', [
    'event_id',
  ]);
  const abandoned = deps.metrics.counter(
    'tiketi_queue_abandoned_total',
    'Waiters who lost their place after going silent past the grace period.',
    ['event_id'],
  );
  const waiting = deps.metrics.gauge('tiketi_queue_waiting', 'People waiting in line (as last seen here).', [
    'event_id',
  ]);
  const active = deps.metrics.gauge(
    'tiketi_queue_active_shoppers',
    'Admitted users holding a shopping slot.',
    ['event_id'],
  );
  const waited = deps.metrics.histogram(
    'tiketi_queue_wait_seconds',
    'Time from joining the line to admission.',
    ['event_id'],
    [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600],
  );

  async function stepEvent(eventId: string): Promise<void> {
    const result = await repo.tick(eventId, options);
    if (result.closed) {
      if (await repo.retire(eventId)) notifier.closed(eventId, closedNotice(eventId, 'SALE_CLOSED'));
      return;
    }
    waiting.set({ event_id: eventId }, result.waiting);
    active.set({ event_id: eventId }, result.active);
    if (result.dropped) abandoned.inc({ event_id: eventId }, result.dropped);
    if (result.admitted.length) await admit(eventId, result);
    if (result.waiting > 0) deps.seatsLeft.refresh(eventId);
    if (result.broadcast) {
      const seatsLeft = deps.seatsLeft.of(eventId);
      notifier.progress(eventId, {
        eventId,
        opened: result.opened,
        nowServing: result.served,
        waiting: result.waiting,
        admissionsPerMinute: result.measuredRate > 0 ? result.measuredRate * 60 : result.ratePerMinute,
        pace: result.pace,
        opensAt: new Date(result.opensAt).toISOString(),
        ...(result.gone.length ? { gone: result.gone } : {}),
        ...(seatsLeft === undefined ? {} : { seatsLeft }),
      });
    }
  }

  async function admit(eventId: string, result: TickResult): Promise<void> {
    const ttlSeconds = Math.floor(options.admissionTtlMs / 1000);
    const expiresAt = new Date(Date.now() + ttlSeconds * 1000).toISOString();
    admissions.inc({ event_id: eventId }, result.admitted.length);
    for (const { userId, number, waitedMs } of result.admitted) {
      waited.observe({ event_id: eventId }, waitedMs / 1000);
      const admissionToken = await signAdmissionToken(options.tokenSecret, userId, eventId, ttlSeconds);
      notifier.admitted(eventId, userId, { eventId, number, admissionToken, admissionExpiresAt: expiresAt });
    }
  }

  // A failed step is retried at the next tick; what it did not commit in Redis did not happen.
  const loop = periodicJob({
    name: 'admission step',
    intervalMs: options.tickMs,
    logger,
    metrics: deps.metrics,
    async pass() {
      await repo.refreshShopperStay();
      for (const eventId of await repo.liveEvents()) await stepEvent(eventId);
    },
  });

  return {
    /** One step now, resolved when it has ended (tests and start-up use it). */
    step: loop.runNow,
    start: loop.start,
    stop: loop.stop,
  };
}

export type AdmissionLoop = ReturnType<typeof createAdmissionLoop>;
