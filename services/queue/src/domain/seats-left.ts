import type { Logger } from '@tiketi/kit';

/** A count older than this many refresh periods is not told: the line should not read a stale "sold out". */
const STALE_AFTER_REFRESHES = 6;

/**
 * How many seats of each live room's event are free, as this instance last read them from the reservation
 * service: at most one read per event per `refreshMs`, never waited for by the admission step (the count
 * goes out with the next broadcast). A failed read keeps the last count until it is stale.
 */
export function createSeatsLeft(deps: {
  read: (eventId: string) => Promise<number | undefined>;
  refreshMs: number;
  logger: Logger;
}) {
  const known = new Map<string, { left: number | undefined; at: number }>();
  const asked = new Map<string, number>();

  return {
    /** Starts a read of the event's count unless one ran within the refresh period. */
    refresh(eventId: string): void {
      const now = Date.now();
      if (now - (asked.get(eventId) ?? 0) < deps.refreshMs) return;
      asked.set(eventId, now);
      deps.read(eventId).then(
        (left) => known.set(eventId, { left, at: Date.now() }),
        (error: Error) =>
          deps.logger.warn({ err: error.message, eventId }, 'could not read how many seats are left'),
      );
    },
    /** The count last read, while it is fresh. */
    of(eventId: string): number | undefined {
      const last = known.get(eventId);
      if (!last || Date.now() - last.at > STALE_AFTER_REFRESHES * deps.refreshMs) return undefined;
      return last.left;
    },
  };
}

export type SeatsLeft = ReturnType<typeof createSeatsLeft>;
