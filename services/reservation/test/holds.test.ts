import { randomUUID } from 'node:crypto';
import { ADMISSION_LIVE_KEY, HOLD_UNDER_ADMISSION, queueRedisKey } from '@tiketi/contracts';
import { makeEnvelope, publishInTransaction, signAdmissionToken, sql } from '@tiketi/kit';
import { describe, expect, it } from 'vitest';
import { seatCacheKeys } from '../src/cache/seat-cache.ts';
import { seatLockKey } from '../src/cache/seat-locks.ts';
import { reservationRepository } from '../src/db/reservation.repository.ts';
import { bearer, deliver, eventually, onSaleEvent, published, reservationSuite } from './helpers.ts';

type SeatMap = { counts: Record<string, number>; seats: { id: string; status: string; price: number }[] };

describe('seat map and holds', () => {
  const event = onSaleEvent(48);
  const seat = (i: number) => event.seats[i]!.id;
  const h = reservationSuite('resv-holds', {
    eventService: true,
    instances: [{ consume: true }],
    events: [event],
    start: true,
  });
  const alice = h.user();
  const bob = h.user();
  const admin = h.user('admin');

  const hold = (token: string, body: object, headers: Record<string, string> = {}) =>
    h.app.inject({
      method: 'POST',
      url: '/api/reservations',
      headers: bearer(token, headers),
      payload: body,
    });
  const seatMap = async (eventId = event.eventId) => {
    const res = await h.app.inject({ method: 'GET', url: `/api/seats/event/${eventId}` });
    expect(res.statusCode).toBe(200);
    return res.json() as SeatMap;
  };
  const statusOf = (map: SeatMap, id: string) => map.seats.find((s) => s.id === id)?.status;

  it('builds the inventory from event.published delivered through the outbox and RabbitMQ', async () => {
    const other = onSaleEvent(5, { title: 'Through the broker' });
    await h.db.transaction().execute((trx) => publishInTransaction(trx, 'event.published', other));
    // Until the relay and the consumer have carried the publication here, the map is not there yet.
    const map = await eventually(async () => {
      const built = await seatMap(other.eventId);
      expect(built.seats).toHaveLength(5);
      return built;
    });
    expect(map.counts).toEqual({ available: 5, held: 0, sold: 0 });
  });

  it('shows every seat available with its tier price, from the cache once built', async () => {
    // An event of its own: the other tests hold seats of the shared one.
    const untouched = onSaleEvent(48);
    await deliver(h.svc, published(untouched));
    const map = await seatMap(untouched.eventId);
    expect(map.seats).toHaveLength(48);
    expect(map.counts).toEqual({ available: 48, held: 0, sold: 0 });
    expect(map.seats.find((s) => s.id === untouched.seats[0]!.id)?.price).toBe(150_000);
    expect(map.seats.find((s) => s.id === untouched.seats[20]!.id)?.price).toBe(90_000);
    expect(await h.redis.hget(seatCacheKeys.states(untouched.eventId), untouched.seats[0]!.id)).toMatch(
      /^a:/,
    );
  });

  it('refuses a hold from an account whose email is not verified, before any seat is locked', async () => {
    const id = randomUUID();
    const unverified = await h.tokens.sign({ id, emailVerified: false });
    const res = await hold(unverified, { eventId: event.eventId, seatIds: [seat(39)] });
    expect(res.statusCode).toBe(403);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.json()).toMatchObject({ code: 'EMAIL_NOT_VERIFIED', status: 403 });
    expect(statusOf(await seatMap(), seat(39))).toBe('available');
    const rows = await h.db.selectFrom('reservations').select('id').where('userId', '=', id).execute();
    expect(rows).toHaveLength(0);
  });

  it('holds seats with an amount computed by the server and shows them held to everyone', async () => {
    const before = await seatMap();
    const res = await hold(alice.token, { eventId: event.eventId, seatIds: [seat(0), seat(20)], amount: 1 });
    expect(res.statusCode).toBe(201);
    const body = res.json() as { reservationId: string; expiresAt: string; amount: number };
    expect(body.amount).toBe(240_000);
    expect(new Date(body.expiresAt).getTime()).toBeGreaterThan(Date.now() + 200_000);
    const map = await seatMap();
    expect(statusOf(map, seat(0))).toBe('held');
    expect(statusOf(map, seat(20))).toBe('held');
    expect(map.counts.held).toBe((before.counts.held ?? 0) + 2);
    const created = await sql<{ tag: string | null }>`select envelope->>'tag' as tag from outbox
      where type = 'reservation.created' and envelope->'data'->>'reservationId' = ${body.reservationId}`.execute(
      h.db,
    );
    // No waiting room: the hold is announced untagged, and so the waiting room does not hear it.
    expect(created.rows).toEqual([{ tag: null }]);
  });

  it('rebuilds the seat map from the database when the cache is gone, with the same states', async () => {
    const frank = await h.userToken();
    expect((await hold(frank.token, { eventId: event.eventId, seatIds: [seat(32)] })).statusCode).toBe(201);
    const before = await seatMap();
    await h.redis.del(seatCacheKeys.states(event.eventId), seatCacheKeys.layout(event.eventId));
    const after = await seatMap();
    expect(after.counts).toEqual(before.counts);
    expect(statusOf(after, seat(32))).toBe('held');
  });

  it('refuses seats that are not seats of the event, and duplicates in one request', async () => {
    const unknown = await hold(bob.token, { eventId: event.eventId, seatIds: [randomUUID()] });
    expect(unknown.statusCode).toBe(422);
    expect(unknown.json()).toMatchObject({ code: 'UNKNOWN_SEATS' });
    const dup = await hold(bob.token, { eventId: event.eventId, seatIds: [seat(5), seat(5)] });
    expect(dup.statusCode).toBe(400);
    expect(dup.json()).toMatchObject({
      code: 'VALIDATION_FAILED',
      errors: [{ field: 'body.seatIds', message: 'has the same seat more than once' }],
    });
    const many = await hold(bob.token, {
      eventId: event.eventId,
      seatIds: Array.from({ length: h.config.MAX_SEATS_PER_REQUEST + 1 }, (_, i) => seat(30 + i)),
    });
    expect(many.statusCode).toBe(400);
    expect(many.json()).toMatchObject({
      code: 'VALIDATION_FAILED',
      errors: [{ field: 'body.seatIds', message: `has more than ${h.config.MAX_SEATS_PER_REQUEST} seats` }],
    });
    // An event neither announced nor known to the event service: not found, as the event service says.
    const missing = await hold(bob.token, { eventId: randomUUID(), seatIds: [seat(5)] });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('enforces the per-user limit across the user’s active reservations for the event', async () => {
    const carol = await h.userToken();
    expect(
      (await hold(carol.token, { eventId: event.eventId, seatIds: [seat(21), seat(22), seat(23)] }))
        .statusCode,
    ).toBe(201);
    const over = await hold(carol.token, { eventId: event.eventId, seatIds: [seat(24), seat(25)] });
    expect(over.statusCode).toBe(409);
    expect(over.json()).toMatchObject({ code: 'PER_USER_LIMIT', limit: 4, active: 3 });
    expect((await seatMap()).seats.find((s) => s.id === seat(24))?.status).toBe('available');
    expect((await hold(carol.token, { eventId: event.eventId, seatIds: [seat(24)] })).statusCode).toBe(201);
  });

  it('keeps one user within the per-user limit even when the holds arrive all at once', async () => {
    // Straight at the repository, so the eight statements really run side by side on the pool: without
    // serialising one user's holds, each would count the others' seats as not yet held.
    const repository = reservationRepository(h.db);
    const userId = randomUUID();
    const expiresAt = new Date(Date.now() + 60_000);
    const seats = [40, 41, 42, 43, 44, 45, 46, 47].map(seat);
    const results = await Promise.all(
      seats.map((id) => {
        const reservationId = randomUUID();
        return repository.hold({
          reservationId,
          userId,
          eventId: event.eventId,
          seatIds: [id],
          expiresAt,
          idempotencyKey: null,
          perUserLimit: 4,
          unpaid: { limit: 2, windowMs: 3_600_000 },
          announcement: makeEnvelope('reservation.created', {
            reservationId,
            eventId: event.eventId,
            userId,
            seatIds: [id],
            amount: 0,
            expiresAt: expiresAt.toISOString(),
          }),
        });
      }),
    );
    expect(results.filter((r) => r.created)).toHaveLength(4);
    const active = await sql<{ n: number }>`select count(*)::int as n from reservation_seats rs
      join reservations r on r.id = rs.reservation_id where r.user_id = ${userId} and rs.active`.execute(
      h.db,
    );
    expect(active.rows[0]?.n).toBe(4);
    const announced = await sql<{ amount: number }>`select (envelope->'data'->>'amount')::int as amount
      from outbox where type = 'reservation.created' and envelope->'data'->>'userId' = ${userId}`.execute(
      h.db,
    );
    expect(announced.rows.map((r) => r.amount)).toEqual([90_000, 90_000, 90_000, 90_000]);
    // The repository alone does not refresh the seat map cache: let it rebuild from the database.
    await h.redis.del(seatCacheKeys.states(event.eventId), seatCacheKeys.layout(event.eventId));
    const map = await seatMap();
    expect(seats.filter((id) => statusOf(map, id) === 'held')).toHaveLength(4);
  });

  it('answers a retried request with the same Idempotency-Key with the same reservation', async () => {
    const dave = await h.userToken();
    const key = { 'idempotency-key': randomUUID() };
    const first = await hold(dave.token, { eventId: event.eventId, seatIds: [seat(26)] }, key);
    const again = await hold(dave.token, { eventId: event.eventId, seatIds: [seat(26)] }, key);
    expect(first.statusCode).toBe(201);
    expect(again.statusCode).toBe(201);
    expect(again.json()).toEqual(first.json());
    const other = await hold(dave.token, { eventId: event.eventId, seatIds: [seat(27)] }, key);
    expect(other.statusCode).toBe(422);
    expect(other.json()).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED' });
    expect(
      await h.db.selectFrom('reservationSeats').select('seatId').where('seatId', '=', seat(27)).execute(),
    ).toEqual([]);
  });

  it('answers a retry of a hold that took the fan to the limit, even with its seat locks gone', async () => {
    const fay = await h.userToken();
    const own = onSaleEvent(5);
    await deliver(h.svc, published(own));
    const key = { 'idempotency-key': randomUUID() };
    const body = { eventId: own.eventId, seatIds: own.seats.slice(0, 4).map((s) => s.id) };
    const first = await hold(fay.token, body, key);
    expect(first.statusCode).toBe(201);
    expect((await hold(fay.token, body, key)).json()).toEqual(first.json());
    // Redis forgot the locks: the database refuses the seats, and the retry is still the first hold.
    await h.redis.del(...body.seatIds.map(seatLockKey), seatCacheKeys.states(own.eventId));
    const again = await hold(fay.token, body, key);
    expect(again.statusCode).toBe(201);
    expect(again.json()).toEqual(first.json());
    const fresh = await hold(fay.token, { eventId: own.eventId, seatIds: [own.seats[4]!.id] });
    expect(fresh.json()).toMatchObject({ code: 'PER_USER_LIMIT' });
  });

  it('refuses holds outside the sale window and on events no longer on sale', async () => {
    const later = onSaleEvent(2, { saleOpensAt: new Date(Date.now() + 3_600_000).toISOString() });
    await deliver(h.svc, published(later));
    const res = await hold(bob.token, { eventId: later.eventId, seatIds: [later.seats[0]!.id] });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ code: 'SALE_NOT_OPEN' });

    const ended = onSaleEvent(2);
    await deliver(h.svc, published(ended));
    await deliver(
      h.svc,
      makeEnvelope('event.updated', {
        eventId: ended.eventId,
        status: 'ended',
        saleOpensAt: ended.saleOpensAt,
        saleClosesAt: ended.saleClosesAt,
        perUserLimit: 4,
        waitingRoom: ended.waitingRoom,
      }),
    );
    const refused = await hold(bob.token, { eventId: ended.eventId, seatIds: [ended.seats[0]!.id] });
    expect(refused.json()).toMatchObject({ code: 'EVENT_NOT_ON_SALE' });
  });

  it('requires a valid admission token for an event with the waiting room on', async () => {
    const queued = onSaleEvent(3, {
      waitingRoom: { enabled: true, admissionRatePerMinute: 60, maxActiveShoppers: 10 },
    });
    await deliver(h.svc, published(queued));
    const body = { eventId: queued.eventId, seatIds: [queued.seats[0]!.id] };
    const none = await hold(bob.token, body);
    expect(none.statusCode).toBe(403);
    expect(none.json()).toMatchObject({ code: 'QUEUE_ADMISSION_REQUIRED' });
    const forAlice = await signAdmissionToken(h.config.QUEUE_TOKEN_SECRET, alice.id, queued.eventId, 60);
    const stolen = await hold(bob.token, body, { 'x-queue-token': forAlice });
    expect(stolen.json()).toMatchObject({ code: 'QUEUE_ADMISSION_INVALID' });
    const forged = await signAdmissionToken('not-the-secret', bob.id, queued.eventId, 60);
    expect((await hold(bob.token, body, { 'x-queue-token': forged })).statusCode).toBe(403);
    const valid = await signAdmissionToken(h.config.QUEUE_TOKEN_SECRET, bob.id, queued.eventId, 60);
    // A well-signed token whose admission the waiting room no longer holds is refused.
    const ended = await hold(bob.token, body, { 'x-queue-token': valid });
    expect(ended.statusCode).toBe(403);
    expect(ended.json()).toMatchObject({ code: 'QUEUE_ADMISSION_ENDED' });
    await h.redis.hset(queueRedisKey(queued.eventId, ADMISSION_LIVE_KEY), bob.id, Date.now() + 60_000);
    const admitted = await hold(bob.token, body, { 'x-queue-token': valid });
    expect(admitted.statusCode).toBe(201);
    // Announced as a hold under an admission: the waiting room counts the shopper's slot while it lasts.
    const created = await sql<{ tag: string | null }>`select envelope->>'tag' as tag from outbox
      where type = 'reservation.created'
        and envelope->'data'->>'reservationId' = ${admitted.json().reservationId}`.execute(h.db);
    expect(created.rows).toEqual([{ tag: HOLD_UNDER_ADMISSION }]);
  });

  it('shows a reservation only to its owner and admins, and lists only mine', async () => {
    // A fan of its own, whose every hold this test knows: two, both pending.
    const erin = await h.userToken();
    const res = await hold(erin.token, { eventId: event.eventId, seatIds: [seat(30)] });
    expect((await hold(erin.token, { eventId: event.eventId, seatIds: [seat(33)] })).statusCode).toBe(201);
    const { reservationId } = res.json() as { reservationId: string };
    const mine = await h.app.inject({
      url: `/api/reservations/${reservationId}`,
      headers: bearer(erin.token),
    });
    expect(mine.statusCode).toBe(200);
    expect(mine.json()).toMatchObject({ status: 'PENDING', amount: 90_000, seats: [{ id: seat(30) }] });
    const theirs = await h.app.inject({
      url: `/api/reservations/${reservationId}`,
      headers: bearer(bob.token),
    });
    expect(theirs.statusCode).toBe(404);
    const asAdmin = await h.app.inject({
      url: `/api/reservations/${reservationId}`,
      headers: bearer(admin.token),
    });
    expect(asAdmin.statusCode).toBe(200);
    const anonymous = await h.app.inject({ url: `/api/reservations/${reservationId}` });
    expect(anonymous.statusCode).toBe(401);

    const bobsList = await h.app.inject({
      url: `/api/reservations?userId=${erin.id}`,
      headers: bearer(bob.token),
    });
    const listed = bobsList.json() as { items: { userId: string }[] };
    expect(listed.items.every((r) => r.userId === bob.id)).toBe(true);
    const search = await h.app.inject({
      url: `/api/reservations?userId=${erin.id}&status=PENDING`,
      headers: bearer(admin.token),
    });
    const found = search.json() as { items: { userId: string }[]; total: number };
    expect(found.total).toBe(2);
    expect(found.items.every((r) => r.userId === erin.id)).toBe(true);
  });

  it('lets only the owner (or an admin) cancel a hold, and gives the seats back', async () => {
    const res = await hold(alice.token, { eventId: event.eventId, seatIds: [seat(31)] });
    const { reservationId } = res.json() as { reservationId: string };
    const byBob = await h.app.inject({
      method: 'DELETE',
      url: `/api/reservations/${reservationId}`,
      headers: bearer(bob.token),
    });
    expect(byBob.statusCode).toBe(404);
    expect(statusOf(await seatMap(), seat(31))).toBe('held');
    const byAlice = await h.app.inject({
      method: 'DELETE',
      url: `/api/reservations/${reservationId}`,
      headers: bearer(alice.token),
    });
    expect(byAlice.statusCode).toBe(200);
    expect(byAlice.json()).toMatchObject({ status: 'CANCELLED' });
    expect(statusOf(await seatMap(), seat(31))).toBe('available');
    const cancelled = await sql<{ n: number }>`select count(*)::int as n from outbox
      where type = 'reservation.cancelled' and envelope->'data'->>'reservationId' = ${reservationId}`.execute(
      h.db,
    );
    expect(cancelled.rows[0]?.n).toBe(1);
    expect((await hold(bob.token, { eventId: event.eventId, seatIds: [seat(31)] })).statusCode).toBe(201);
  });

  it('asks for a signed-in caller before it judges the hold request', async () => {
    const malformed = { eventId: 'tomorrow', seatIds: [] };
    const anonymous = await h.app.inject({ method: 'POST', url: '/api/reservations', payload: malformed });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json()).toMatchObject({ code: 'UNAUTHORIZED' });
    const badId = await h.app.inject({ url: '/api/reservations/not-an-id' });
    expect(badId.statusCode).toBe(401);
    const signedIn = await hold(alice.token, malformed);
    expect(signedIn.statusCode).toBe(400);
    expect(signedIn.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('refuses an internal call without the internal token before it judges the body', async () => {
    const confirm = (headers: Record<string, string>) =>
      h.app.inject({
        method: 'POST',
        url: '/internal/reservations/not-an-id/confirm',
        headers,
        payload: { paymentId: 7 },
      });
    const outside = await confirm(bearer(admin.token));
    expect(outside.statusCode).toBe(403);
    expect(outside.json()).toMatchObject({ code: 'FORBIDDEN' });
    const inside = await confirm({ 'x-internal-token': h.config.INTERNAL_TOKEN });
    expect(inside.statusCode).toBe(400);
    expect(inside.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('documents its public routes in OpenAPI', async () => {
    const res = await h.app.inject({ url: '/docs/json' });
    expect(res.statusCode).toBe(200);
    const paths = Object.keys((res.json() as { paths: Record<string, unknown> }).paths);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/api/reservations',
        '/api/seats/event/{eventId}',
        '/api/tickets/check-in',
        '/api/reservations/{id}/voucher',
      ]),
    );
  });

  it('counts seats per status for the admin service over the internal API', async () => {
    const refused = await h.app.inject({ url: `/internal/events/${event.eventId}/stats` });
    expect(refused.statusCode).toBe(403);
    const res = await h.app.inject({
      url: `/internal/events/${event.eventId}/stats`,
      headers: { 'x-internal-token': h.config.INTERNAL_TOKEN },
    });
    const map = await seatMap();
    expect(res.json()).toEqual(map.counts);
  });

  it('ends the holds of a cancelled event and frees their seats', async () => {
    const doomed = onSaleEvent(3);
    await deliver(h.svc, published(doomed));
    const res = await hold(bob.token, { eventId: doomed.eventId, seatIds: [doomed.seats[0]!.id] });
    const { reservationId } = res.json() as { reservationId: string };
    await deliver(h.svc, makeEnvelope('event.cancelled', { eventId: doomed.eventId, reason: 'artist ill' }));
    const r = await h.app.inject({ url: `/api/reservations/${reservationId}`, headers: bearer(bob.token) });
    expect(r.json()).toMatchObject({ status: 'CANCELLED' });
    expect((await seatMap(doomed.eventId)).counts).toEqual({ available: 3, held: 0, sold: 0 });
    const again = await hold(bob.token, { eventId: doomed.eventId, seatIds: [doomed.seats[1]!.id] });
    expect(again.json()).toMatchObject({ code: 'EVENT_NOT_ON_SALE' });
  });

  it('gives back the live holds of a deleted account at once, for someone else to hold', async () => {
    const show = onSaleEvent(3);
    await deliver(h.svc, published(show));
    const leaver = await h.userToken();
    const res = await hold(leaver.token, { eventId: show.eventId, seatIds: [show.seats[0]!.id] });
    expect(res.statusCode).toBe(201);
    const { reservationId } = res.json() as { reservationId: string };
    const deleted = makeEnvelope('user.deleted', { userId: leaver.id });
    const sync = await h.db.transaction().execute((trx) => h.svc.handlers.account(deleted, trx));
    await h.svc.handlers.afterAccount(sync);
    const gone = await h.db
      .selectFrom('reservations')
      .select('status')
      .where('id', '=', reservationId)
      .executeTakeFirstOrThrow();
    expect(gone.status).toBe('CANCELLED');
    expect((await seatMap(show.eventId)).counts).toEqual({ available: 3, held: 0, sold: 0 });
    expect((await hold(bob.token, { eventId: show.eventId, seatIds: [show.seats[0]!.id] })).statusCode).toBe(
      201,
    );
  });
});
