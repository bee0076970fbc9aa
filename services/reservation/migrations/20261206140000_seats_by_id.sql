-- The seats a hold asks for are read by their ids. An event's seats are written when it is published; on a
-- platform that has sold before, the seats table is large enough that they do not bring autovacuum to
-- analyze it again before the sale, so the planner believes the event has no seats. The hold's read of the
-- asked seats (`s.event_id = ... and s.id = any(...)`) then went through the event's index (seats_event)
-- and read every seat of the event, for every hold. The event is now checked on the rows the primary key
-- finds (`is true` keeps the condition out of any index), so no statistics can send the read elsewhere.

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
