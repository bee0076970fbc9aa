import { sql } from '@tiketi/kit';
import { describe, expect, it } from 'vitest';
import { bearer, eventually, onSaleEvent, reservationSuite } from './helpers.ts';

describe('the business metrics of holds', () => {
  const event = onSaleEvent(4);
  const h = reservationSuite('obs-resv-metrics', {
    config: { SWEEP_INTERVAL_MS: 100 },
    // Serves HTTP; its sweeper stays off until the test starts it, as if it had stalled.
    instances: [{ listen: true }],
    events: [event],
  });
  const fan = h.user();

  async function sample(name: string): Promise<number | undefined> {
    const text = await (await fetch(`${h.svc.url}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
    return line === undefined ? undefined : Number(line.split(' ').at(-1));
  }

  it('counts running holds, and how late the oldest unreleased expired hold is until the sweeper catches up', async () => {
    const res = await fetch(`${h.svc.url}/api/reservations`, {
      method: 'POST',
      headers: bearer(fan.token, { 'content-type': 'application/json' }),
      body: JSON.stringify({ eventId: event.eventId, seatIds: [event.seats[0]?.id] }),
    });
    expect(res.status).toBe(201);
    const { reservationId } = (await res.json()) as { reservationId: string };
    expect(await sample('tiketi_reservation_holds_active')).toBe(1);
    expect(await sample('tiketi_reservation_hold_expiry_lag_seconds')).toBe(0);
    // The hold and its announcement wait in the outbox: no relay runs here.
    expect(await sample('tiketi_outbox_pending')).toBeGreaterThanOrEqual(1);

    await sql`update reservations set expires_at = now() - interval '30 seconds' where id = ${reservationId}`.execute(
      h.db,
    );
    expect(await sample('tiketi_reservation_holds_active')).toBe(0);
    expect(await sample('tiketi_reservation_hold_expiry_lag_seconds')).toBeGreaterThanOrEqual(30);

    await h.svc.start();
    await eventually(async () => expect(await sample('tiketi_reservation_hold_expiry_lag_seconds')).toBe(0));
    expect(await sample('tiketi_tickets_sold_total')).toBe(0);
  });
});
