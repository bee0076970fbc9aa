-- A hold reads only by keys: the fan's reservations by the user's index, the seats asked for, each link and
-- reference by its primary key. On a new platform the tables are analyzed empty, and a pooled connection
-- keeps the plans it made of the function's statements (and of the foreign-key checks they fire) after a
-- few calls: while a table is empty, a scan of it costs nothing, and that plan then read every reservation
-- of the drop for every hold made on the connection until autovacuum analyzed the table again (a minute at
-- best, the first minute of a drop). Planned without sequential scans, each of those reads goes through its
-- index whatever the statistics say.
-- A scan that had no index to take instead would keep the huge cost PostgreSQL gives a disabled plan, and
-- that cost alone would have every call compiled just in time: nothing in a hold is worth compiling, so
-- the functions never are.
alter function hold_seats(bigint, uuid, uuid, uuid, uuid[], timestamptz, text, int, int, interval, uuid, text, jsonb)
  set enable_seqscan = off set jit = off;
-- The per-user count keeps its plan the same way, and the waiting list's offers call it outside a hold.
alter function user_active_seats(uuid, uuid) set enable_seqscan = off set jit = off;
