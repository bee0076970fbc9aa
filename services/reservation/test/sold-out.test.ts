import { sql } from '@tiketi/kit';
import { describe, expect, it } from 'vitest';
import { bearer, eventually, holdAsNewFan, onSaleEvent, reservationSuite } from './helpers.ts';

describe('sold out', () => {
  const event = onSaleEvent(2);
  const h = reservationSuite('resv-sold-out', {
    config: { SOLD_OUT_CHECK_INTERVAL_MS: 100 },
    // Two instances look side by side, as a scaled-out service does.
    instances: [{}, {}],
    events: [event],
    start: true,
  });

  /** What the service announced of the event's availability, in order. */
  async function announced(eventId: string) {
    const rows = await sql<{ soldOut: boolean }>`select (envelope->'data'->>'soldOut')::boolean as "soldOut"
      from outbox where type = 'sale.availability_changed' and envelope->'data'->>'eventId' = ${eventId}
      order by id`.execute(h.db);
    return rows.rows.map((r) => r.soldOut);
  }

  it('announces once when the last seat is taken, and once when one comes back', async () => {
    await holdAsNewFan(h, event.eventId, [event.seats[0]!.id]);
    const last = await holdAsNewFan(h, event.eventId, [event.seats[1]!.id]);
    await eventually(async () => expect(await announced(event.eventId)).toEqual([true]));

    const given = await h.app.inject({
      method: 'DELETE',
      url: `/api/reservations/${last.reservationId}`,
      headers: bearer(last.token),
    });
    expect(given.statusCode, given.body).toBe(200);
    await eventually(async () => expect(await announced(event.eventId)).toEqual([true, false]));
    // Several looks later, still the same two.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await announced(event.eventId)).toEqual([true, false]);
  });
});
