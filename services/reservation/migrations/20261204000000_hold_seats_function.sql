-- The seat hold in one round trip: everything the hot path of a drop needs from PostgreSQL, in one call
-- that runs as one transaction (the statement's own, or the caller's). Each step's why:
--
-- 1. A transaction-scoped advisory lock on (user, event): one user's holds on one event run one at a time.
--    The statements below run after it is granted, each with a fresh snapshot (read committed), so the
--    count of the user's active seats sees every hold of theirs that committed before: parallel requests
--    cannot overrun the per-user limit.
-- 2. The event must be on sale now, read under a key-share lock: a cancellation takes that row
--    `for update` before it ends the event's holds, so a hold either commits before the cancellation
--    looks for holds, or waits for it and then finds the event cancelled.
-- 3. The requested seats still available are row-locked in id order (overlapping requests queue instead
--    of deadlocking; a seat taken meanwhile is re-checked after the wait and left out).
-- 4. Only when every seat was available and the user stays within the limit are the seats marked held and
--    the reservation, its seat links and the `reservation.created` outbox row written (the amount is the
--    seats' price sum, also filled into the event's data). Otherwise nothing is written, and the answer
--    lists the seats that were still available (the caller names the others as taken).
--
-- Answers one row per held (or available) seat, at least one row; `active` is the user's seats in active
-- reservations of the event before this hold.
--
-- The partial unique index reservation_seats_one_active backs this up: a seat is never in two active
-- reservations, even if this function were wrong.
create function hold_seats(
  p_lock_key bigint,
  p_reservation_id uuid,
  p_user_id uuid,
  p_event_id uuid,
  p_seat_ids uuid[],
  p_expires_at timestamptz,
  p_idempotency_key text,
  p_per_user_limit int,
  p_outbox_id uuid,
  p_outbox_type text,
  p_envelope jsonb
) returns table (active int, created boolean, on_sale boolean, id uuid, label text, price int, version bigint)
language plpgsql as $$
declare
  v_active int;
  v_ids uuid[];
  v_labels text[];
  v_prices int[];
  v_versions bigint[];
  v_amount int;
begin
  perform pg_advisory_xact_lock(p_lock_key);

  perform 1 from events e
  where e.id = p_event_id and e.status in ('published', 'on_sale')
    and e.sale_opens_at <= now() and now() < e.sale_closes_at
  for key share;
  if not found then
    return query select 0, false, false, null::uuid, null::text, null::int, null::bigint;
    return;
  end if;

  select count(*)::int into v_active
  from reservation_seats rs join reservations r on r.id = rs.reservation_id
  where r.user_id = p_user_id and r.event_id = p_event_id and rs.active;

  select coalesce(array_agg(l.id), '{}'), array_agg(l.label), array_agg(l.price), array_agg(l.version),
    coalesce(sum(l.price), 0)::int
  into v_ids, v_labels, v_prices, v_versions, v_amount
  from (
    select s.id, s.label, s.price, s.version from seats s
    where s.event_id = p_event_id and s.id = any(p_seat_ids) and s.status = 'available'
    order by s.id
    for update
  ) l;

  if cardinality(v_ids) <> cardinality(p_seat_ids)
    or v_active + cardinality(v_ids) > p_per_user_limit then
    return query select v_active, false, true, u.id, u.label, u.price, u.version
      from unnest(v_ids, v_labels, v_prices, v_versions) u (id, label, price, version);
    if cardinality(v_ids) = 0 then
      return query select v_active, false, true, null::uuid, null::text, null::int, null::bigint;
    end if;
    return;
  end if;

  update seats s set status = 'held', reservation_id = p_reservation_id, version = s.version + 1
  where s.id = any(v_ids);
  insert into reservations (id, user_id, event_id, status, amount, expires_at, idempotency_key)
  values (p_reservation_id, p_user_id, p_event_id, 'PENDING', v_amount, p_expires_at, p_idempotency_key);
  insert into reservation_seats (reservation_id, seat_id, label, price)
  select p_reservation_id, u.id, u.label, u.price from unnest(v_ids, v_labels, v_prices) u (id, label, price);
  insert into outbox (id, type, envelope)
  values (p_outbox_id, p_outbox_type, jsonb_set(p_envelope, '{data,amount}', to_jsonb(v_amount)));
  return query select v_active, true, true, u.id, u.label, u.price, u.version + 1
    from unnest(v_ids, v_labels, v_prices, v_versions) u (id, label, price, version);
end $$;
