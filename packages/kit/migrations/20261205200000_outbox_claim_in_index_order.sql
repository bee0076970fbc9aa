-- The relay's claim: the oldest unpublished rows, in (created_at, id) order, locked, skipping rows another
-- relay holds.
--
-- With the index on created_at alone that order needed a sort, and since a handful of unpublished rows
-- is what the statistics expect, PostgreSQL read the partial index through a bitmap, then sorted: that reads
-- every entry left behind by a row published since the last vacuum, on every pass (thousands during a drop,
-- where autovacuum comes by once a minute at best), and a bitmap scan never marks them dead. The index is
-- now in the claim's own order, and the claim is planned without sorts (the function's own setting), so it
-- is an ordinary index scan: it stops after the batch, and marks the entries of published rows dead as it
-- passes them, so that the next pass skips them.
drop index if exists outbox_unpublished;
create index outbox_unpublished on outbox (created_at, id) where published_at is null;

create function outbox_claim(p_limit int) returns table (id uuid, type text, envelope jsonb)
language plpgsql set enable_sort = off as $$
begin
  return query
    select o.id, o.type, o.envelope from outbox o
    where o.published_at is null
    order by o.created_at, o.id
    limit p_limit
    for update of o skip locked;
end $$;
