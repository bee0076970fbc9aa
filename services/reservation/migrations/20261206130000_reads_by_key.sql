-- Reads of a hold that no statistics can send through a whole drop. Statistics are taken before an event
-- goes on sale, when it has no reservation; and on a platform that has sold before, an event's seats
-- (written when it is published) are too few to bring autovacuum to analyze the seats table again. The
-- planner then believes the event has neither reservations nor seats, and a read that named the event
-- could go through the event's index and read the whole drop, or the whole event, for every hold.
--
-- - The per-user count and the seat-spinning check read the user's own reservations by the user's index
--   first (a materialized set the event's index cannot reach), then keep the event's.
-- - The seats a hold asks for are read by their ids; the event is checked on the rows the primary key finds
--   (`is true` keeps that condition out of any index).
-- - The event's index on seats also orders each section's places by number, so a standing area's pick
--   reads the next free places from a random one instead of every free place of the area. It replaces the
--   index on event_id alone: one index leads with the event, so no statistics can choose between two.

create or replace function user_active_seats(p_user_id uuid, p_event_id uuid) returns int
language plpgsql stable as $$
begin
  return (
    with mine as materialized (
      select r.id, r.event_id from reservations r where r.user_id = p_user_id
    )
    select coalesce(sum(l.n), 0)::int
    from mine r
    cross join lateral (
      select count(*) filter (where rs.active) as n from reservation_seats rs where rs.reservation_id = r.id
    ) l
    where r.event_id = p_event_id
  );
end $$;

-- The seats of an event whose holds by the user ended unpaid (lapsed, or given back before any payment)
-- within the window, each with when those holds ended, latest first. The hold statement refuses a seat let
-- go too often; the standing areas' pick offers such places last.
create function user_let_go(p_user_id uuid, p_event_id uuid, p_window interval)
returns table (seat_id uuid, ended timestamptz[])
language sql stable as $$
  with mine as materialized (
    select r.id, r.event_id, r.status, r.confirmed_at, r.updated_at from reservations r
    where r.user_id = p_user_id
  )
  select rs.seat_id, array_agg(m.updated_at order by m.updated_at desc)
  from mine m
  join reservation_seats rs on rs.reservation_id = m.id
  where m.event_id = p_event_id and m.status in ('EXPIRED', 'CANCELLED') and m.confirmed_at is null
    and m.updated_at > now() - p_window
  group by rs.seat_id
$$;

-- hold_seats as before, its seat-spinning check reading user_let_go and its seats read by their ids.
create or replace function hold_seats(
  p_lock_key bigint,
  p_reservation_id uuid,
  p_user_id uuid,
  p_event_id uuid,
  p_seat_ids uuid[],
  p_expires_at timestamptz,
  p_idempotency_key text,
  p_per_user_limit int,
  p_unpaid_limit int,
  p_unpaid_window interval,
  p_outbox_id uuid,
  p_outbox_type text,
  p_envelope jsonb
) returns table (
  active int, created boolean, on_sale boolean, unpaid_until timestamptz,
  id uuid, label text, price int, version bigint
)
language plpgsql as $$
declare
  v_active int;
  v_spun uuid[];
  v_spun_until timestamptz;
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
    return query select 0, false, false, null::timestamptz, null::uuid, null::text, null::int, null::bigint;
    return;
  end if;

  if p_unpaid_limit > 0 then
    -- Per seat asked for, when its counted ends happened, latest first: the limit-th is the one whose
    -- leaving the window brings the count under the limit.
    select array_agg(l.seat_id order by l.seat_id), max(l.ended[p_unpaid_limit] + p_unpaid_window)
    into v_spun, v_spun_until
    from user_let_go(p_user_id, p_event_id, p_unpaid_window) l
    where l.seat_id = any(p_seat_ids) and cardinality(l.ended) >= p_unpaid_limit;
    if v_spun is not null then
      return query select 0, false, true, v_spun_until, u.id, null::text, null::int, null::bigint
        from unnest(v_spun) u (id);
      return;
    end if;
  end if;

  v_active := user_active_seats(p_user_id, p_event_id);

  select coalesce(array_agg(l.id), '{}'), array_agg(l.label), array_agg(l.price), array_agg(l.version),
    coalesce(sum(l.price), 0)::int
  into v_ids, v_labels, v_prices, v_versions, v_amount
  from (
    select s.id, s.label, s.price, s.version from seats s
    where s.id = any(p_seat_ids) and (s.event_id = p_event_id) is true and s.status = 'available'
    order by s.id
    for update
  ) l;

  if cardinality(v_ids) <> cardinality(p_seat_ids)
    or v_active + cardinality(v_ids) > p_per_user_limit then
    return query select v_active, false, true, null::timestamptz, u.id, u.label, u.price, u.version
      from unnest(v_ids, v_labels, v_prices, v_versions) u (id, label, price, version);
    if cardinality(v_ids) = 0 then
      return query select v_active, false, true, null::timestamptz, null::uuid, null::text, null::int,
        null::bigint;
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
  return query select v_active, true, true, null::timestamptz, u.id, u.label, u.price, u.version + 1
    from unnest(v_ids, v_labels, v_prices, v_versions) u (id, label, price, version);
end $$;

create index seats_event_places on seats (event_id, section, number);
drop index seats_event;
