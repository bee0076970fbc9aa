-- A connection plans a function's statement for the values of its first five calls, then keeps one plan
-- for any values only if that plan looks no costlier than those. A plan for any `id = any(ids)` is costed
-- for ten ids, and one made for a hold's one or two seats always looks cheaper: every hold planned its
-- statements again, which took a fifth of PostgreSQL's time for a hold. Every statement of these functions
-- reads by keys (an earlier migration keeps sequential scans out of their plans), so the plan for any
-- values is the plan for these values: each connection makes it once and keeps it.
alter function hold_seats(bigint, uuid, uuid, uuid, uuid[], timestamptz, text, int, int, interval, uuid, text, jsonb)
  set plan_cache_mode = force_generic_plan;
alter function user_active_seats(uuid, uuid) set plan_cache_mode = force_generic_plan;
