-- What the kit keeps of its tables is deleted by ranges of their ids, never by reading every row kept.
--
-- The relay's cleanup deleted `where published_at < cutoff`, which no index serves: once a minute it read
-- every row the outbox keeps (a day of a service's events), and the inbox, one row per event a consumer has
-- handled, was never cleaned at all. Event ids are version 7 UUIDs (`makeEnvelope`), whose leading 48 bits
-- are the milliseconds they were made at and which sort as bytes: every event made before a moment lies
-- below the smallest id of that moment's millisecond, a range of the outbox's primary key and, consumer by
-- consumer, of the inbox's.

-- The smallest version 7 UUID of the millisecond `t` falls in (any UUID made before `t` sorts below it).
create or replace function uuid_v7_floor(t timestamptz) returns uuid
language sql stable parallel safe as $$
  select (lpad(to_hex(floor(extract(epoch from t) * 1000)::bigint), 12, '0') || repeat('0', 20))::uuid
$$;

-- Rows sent before `p_sent_before`. A row made before it but sent after (RabbitMQ away) is kept until it too
-- has been sent that long ago; a row never sent is never deleted.
create or replace function outbox_prune(p_sent_before timestamptz) returns bigint
language plpgsql set enable_seqscan = off as $$
declare
  deleted bigint;
begin
  delete from outbox where id < uuid_v7_floor(p_sent_before) and published_at < p_sent_before;
  get diagnostics deleted = row_count;
  return deleted;
end $$;

-- Inbox rows of events made and handled before `p_handled_before`, consumer by consumer (the primary key is
-- `(consumer, event_id)`; each next consumer is found by the same index). Consumers refuse an event older
-- than the inbox remembers (the kit's bus), so a late copy of a deleted row's event is never handled twice.
create or replace function inbox_prune(p_handled_before timestamptz) returns bigint
language plpgsql set enable_seqscan = off as $$
declare
  below uuid := uuid_v7_floor(p_handled_before);
  current_consumer text;
  n bigint;
  deleted bigint := 0;
begin
  current_consumer := (select min(consumer) from inbox);
  while current_consumer is not null loop
    delete from inbox
      where consumer = current_consumer and event_id < below and handled_at < p_handled_before;
    get diagnostics n = row_count;
    deleted := deleted + n;
    current_consumer := (select min(consumer) from inbox where consumer > current_consumer);
  end loop;
  return deleted;
end $$;
