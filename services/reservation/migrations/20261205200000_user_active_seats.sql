-- The seats a user holds or owns in an event (links of PENDING or CONFIRMED reservations), counted from
-- the user's own reservations of the event, then each one's links by primary key: the work is the user's
-- own, whatever the statistics say.
--
-- The count it replaces joined the two tables and filtered `rs.active`, which let the planner walk the
-- partial index of active links instead. Statistics are taken before a drop, when next to no link is
-- active, so that index looked nearly empty; during the drop thousands of links become active within a
-- minute, long before autovacuum analyzes again, and every hold read every link held by anyone. Here
-- `active` is only counted, never a condition a plan could start from.
create function user_active_seats(p_user_id uuid, p_event_id uuid) returns int
language plpgsql stable as $$
begin
  return (
    select coalesce(sum(l.n), 0)::int
    from reservations r
    cross join lateral (
      select count(*) filter (where rs.active) as n from reservation_seats rs where rs.reservation_id = r.id
    ) l
    where r.user_id = p_user_id and r.event_id = p_event_id
  );
end $$;

-- hold_seats as before, counting with user_active_seats.
create or replace function hold_seats(
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

  v_active := user_active_seats(p_user_id, p_event_id);

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
