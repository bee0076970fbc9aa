import { type Logger, type Metrics, periodicJob } from '@tiketi/kit';
import type { WaitingRoomRepository } from '../db/waiting-room.repository.ts';

const BATCH = 1000;

/**
 * Who is connected to this instance, told to Redis in batches on one timer (never a timer per waiter).
 * A waiter whose instance dies simply stops being refreshed: they reconnect elsewhere or, after the grace
 * period, lose the place.
 */
export function createPresence(deps: {
  repo: WaitingRoomRepository;
  metrics: Metrics;
  logger: Logger;
  refreshMs: number;
}) {
  const here = new Map<string, Map<string, number>>();
  // The queue HPA scales on this (deploy/k8s, through prometheus-adapter).
  const sockets = deps.metrics.gauge(
    'tiketi_queue_connections',
    'Waiting-room sockets connected to this instance.',
  );

  async function refresh(): Promise<void> {
    for (const [eventId, users] of here) {
      const ids = [...users.keys()];
      for (let i = 0; i < ids.length; i += BATCH) {
        await deps.repo.touch(eventId, ids.slice(i, i + BATCH));
      }
    }
  }

  const job = periodicJob({
    name: 'presence refresh',
    pass: refresh,
    intervalMs: deps.refreshMs,
    logger: deps.logger,
    metrics: deps.metrics,
  });

  return {
    add(eventId: string, userId: string): void {
      const users = here.get(eventId) ?? new Map<string, number>();
      here.set(eventId, users);
      users.set(userId, (users.get(userId) ?? 0) + 1);
      sockets.inc();
    },
    /** The last sign of life is the moment of leaving: the grace period counts from there. */
    async remove(eventId: string, userId: string): Promise<void> {
      sockets.dec();
      const users = here.get(eventId);
      const left = (users?.get(userId) ?? 1) - 1;
      if (left > 0) {
        users?.set(userId, left);
        return;
      }
      users?.delete(userId);
      if (users?.size === 0) here.delete(eventId);
      await deps.repo.touch(eventId, [userId]);
    },
    start: job.start,
    stop: job.stop,
  };
}

export type Presence = ReturnType<typeof createPresence>;
