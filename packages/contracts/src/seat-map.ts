import { z } from 'zod';
import { canonicalId } from './ids.ts';

export const seatStatus = z.enum(['available', 'held', 'sold']);
export type SeatStatus = z.infer<typeof seatStatus>;

const seatCounts = z.object({ available: z.number().int(), held: z.number().int(), sold: z.number().int() });

/** `GET /api/seats/event/:eventId`: every seat with its status in one answer (the first public shape). */
export const seatMapDto = z.object({
  eventId: canonicalId(),
  counts: seatCounts,
  seats: z.array(
    z.object({
      id: canonicalId(),
      label: z.string(),
      section: z.string(),
      row: z.string(),
      number: z.number().int(),
      x: z.number(),
      y: z.number(),
      tierId: canonicalId(),
      price: z.number().int(),
      status: seatStatus,
    }),
  ),
});
export type SeatMapDto = z.infer<typeof seatMapDto>;

/**
 * `GET /api/seats/event/:eventId/layout/:version`: where each seat is and what it costs, which never
 * changes for one version (cached for good by browsers and CDNs). Per section, one array per field, all in
 * the same seat order; `tiers` holds an index into the answer's `tiers`.
 */
export const seatLayoutDto = z.object({
  eventId: canonicalId(),
  version: z.string(),
  tiers: z.array(z.object({ id: canonicalId(), price: z.number().int() })),
  sections: z.array(
    z.object({
      name: z.string(),
      ids: z.array(z.string()),
      labels: z.array(z.string()),
      rows: z.array(z.string()),
      numbers: z.array(z.number().int()),
      x: z.array(z.number()),
      y: z.array(z.number()),
      tiers: z.array(z.number().int().nonnegative()),
    }),
  ),
});
export type SeatLayoutDto = z.infer<typeof seatLayoutDto>;

/**
 * `GET /api/seats/event/:eventId/availability`: the status of every seat, per section in the layout's seat
 * order, as runs (`encodeRuns`), with the layout version it belongs to. Answers carry an ETag (304 when
 * unchanged) and come compressed when asked for.
 */
export const seatAvailabilityDto = z.object({
  eventId: canonicalId(),
  layoutVersion: z.string(),
  counts: seatCounts,
  sections: z.array(z.object({ name: z.string(), runs: z.string().regex(/^(\d+[ahs])*$/) })),
});
export type SeatAvailabilityDto = z.infer<typeof seatAvailabilityDto>;

const RUN_CODE: Record<SeatStatus, string> = { available: 'a', held: 'h', sold: 's' };
const RUN_STATUS: Record<string, SeatStatus> = { a: 'available', h: 'held', s: 'sold' };

/** Statuses in seat order as runs: `3a1h2a` is three available, one held, two available. */
export function encodeRuns(statuses: Iterable<SeatStatus>): string {
  let out = '';
  let current: SeatStatus | undefined;
  let length = 0;
  for (const status of statuses) {
    if (status === current) {
      length++;
      continue;
    }
    if (current) out += `${length}${RUN_CODE[current]}`;
    current = status;
    length = 1;
  }
  if (current) out += `${length}${RUN_CODE[current]}`;
  return out;
}

/** The statuses `encodeRuns` wrote, in seat order. */
export function decodeRuns(runs: string): SeatStatus[] {
  const out: SeatStatus[] = [];
  for (const [, count, code] of runs.matchAll(/(\d+)([ahs])/g)) {
    const status = RUN_STATUS[code as string] as SeatStatus;
    for (let i = 0; i < Number(count); i++) out.push(status);
  }
  return out;
}

/** Layout and availability of one version put together: every seat with its place, price and status. */
export function joinSeatMap(layout: SeatLayoutDto, availability: SeatAvailabilityDto) {
  const runs = new Map(availability.sections.map((s) => [s.name, decodeRuns(s.runs)]));
  return layout.sections.flatMap((section) => {
    const statuses = runs.get(section.name) ?? [];
    return section.ids.map((id, i) => {
      const tier = layout.tiers[section.tiers[i] as number];
      return {
        id,
        label: section.labels[i] as string,
        section: section.name,
        row: section.rows[i] as string,
        number: section.numbers[i] as number,
        x: section.x[i] as number,
        y: section.y[i] as number,
        tierId: tier?.id ?? '',
        price: tier?.price ?? 0,
        // A seat the availability does not cover (another layout version) is not offered.
        status: statuses[i] ?? ('sold' as SeatStatus),
      };
    });
  });
}
export type JoinedSeat = ReturnType<typeof joinSeatMap>[number];
