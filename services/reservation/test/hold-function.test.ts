import { randomUUID } from 'node:crypto';
import { makeEnvelope, sql } from '@tiketi/kit';
import { describe, expect, it } from 'vitest';
import { deliver, onSaleEvent, published, reservationSuite } from './helpers.ts';

type HoldRow = { active: number; created: boolean; onSale: boolean; id: string | null; price: number | null };

/**
 * The database function `hold_seats` on its own, called as SQL: the guarantees of a hold live in
 * PostgreSQL, whatever the service in front of it does.
 */
describe('the hold_seats database function', () => {
  const event = onSaleEvent(20, { perUserLimit: 4 });
  const seat = (i: number) => event.seats[i]!.id;
  const h = reservationSuite('resv-holdfn', { instances: [{ consume: true }], events: [event] });

  /** One call, with a fresh reservation id, as the repository makes it (the lock key is any bigint). */
  async function holdSeats(userId: string, seatIds: string[], on = event) {
    const reservationId = randomUUID();
    const expiresAt = new Date(Date.now() + 60_000);
    const envelope = makeEnvelope('reservation.created', {
      reservationId,
      eventId: on.eventId,
      userId,
      seatIds,
      amount: 0,
      expiresAt: expiresAt.toISOString(),
    });
    const key = BigInt.asIntN(64, BigInt(`0x${userId.replaceAll('-', '').slice(0, 16)}`));
    const { rows } = await sql<HoldRow>`select * from hold_seats(${key}::bigint, ${reservationId}::uuid,
      ${userId}::uuid, ${on.eventId}::uuid, ${seatIds}::uuid[], ${expiresAt}::timestamptz, null::text,
      ${on.perUserLimit}::int, ${envelope.id}::uuid, ${envelope.type}::text,
      ${JSON.stringify(envelope)}::jsonb)`.execute(h.db);
    return { reservationId, envelopeId: envelope.id, rows, created: rows[0]?.created ?? false };
  }

  async function outboxRow(id: string) {
    const { rows } = await sql<{ amount: number; reservationId: string }>`select
      (envelope->'data'->>'amount')::int as amount, envelope->'data'->>'reservationId' as reservation_id
      from outbox where id = ${id}`.execute(h.db);
    return rows[0];
  }

  it('refuses a second hold of the same seat and writes nothing for it', async () => {
    const first = await holdSeats(randomUUID(), [seat(0), seat(1)]);
    expect(first.created).toBe(true);
    expect(first.rows.map((r) => r.id).sort()).toEqual([seat(0), seat(1)].sort());

    const second = await holdSeats(randomUUID(), [seat(1), seat(2)]);
    expect(second.created).toBe(false);
    expect(second.rows[0]?.onSale).toBe(true);
    // Only the seat that was still available comes back: the caller names the other as taken.
    expect(second.rows.map((r) => r.id)).toEqual([seat(2)]);
    const written = await sql<{ reservations: number; outbox: number; held: number }>`select
      (select count(*)::int from reservations where id = ${second.reservationId}) as reservations,
      (select count(*)::int from outbox where id = ${second.envelopeId}) as outbox,
      (select count(*)::int from seats where id = ${seat(2)} and status <> 'available') as held`.execute(
      h.db,
    );
    expect(written.rows[0]).toEqual({ reservations: 0, outbox: 0, held: 0 });
  });

  it('writes the reservation.created outbox row with the amount, with the hold', async () => {
    const held = await holdSeats(randomUUID(), [seat(3)]);
    expect(held.created).toBe(true);
    // Seat 3 is a VIP seat (the first ten are) at 150,000.
    expect(await outboxRow(held.envelopeId)).toEqual({ amount: 150_000, reservationId: held.reservationId });
    const links = await sql<{ n: number }>`select count(*)::int as n from reservation_seats
      where reservation_id = ${held.reservationId} and seat_id = ${seat(3)} and active`.execute(h.db);
    expect(links.rows[0]?.n).toBe(1);
  });

  it('keeps one user within the limit when eight calls run at once', async () => {
    const userId = randomUUID();
    const seats = [10, 11, 12, 13, 14, 15, 16, 17].map(seat);
    const results = await Promise.all(seats.map((id) => holdSeats(userId, [id])));
    expect(results.filter((r) => r.created)).toHaveLength(4);
    const refused = results.filter((r) => !r.created);
    for (const r of refused) expect(await outboxRow(r.envelopeId)).toBeUndefined();
    const active = await sql<{ n: number }>`select count(*)::int as n from reservation_seats rs
      join reservations r on r.id = rs.reservation_id where r.user_id = ${userId} and rs.active`.execute(
      h.db,
    );
    expect(active.rows[0]?.n).toBe(4);
  });

  it('holds nothing once the sale has closed', async () => {
    // An event of its own: closing the shared one would refuse every hold of the tests after this one.
    const closed = onSaleEvent(2);
    await deliver(h.svc, published(closed));
    await sql`update events set sale_closes_at = now() - interval '1 second' where id = ${closed.eventId}`.execute(
      h.db,
    );
    const late = await holdSeats(randomUUID(), [closed.seats[0]!.id], closed);
    expect(late.created).toBe(false);
    expect(late.rows[0]?.onSale).toBe(false);
  });
});
