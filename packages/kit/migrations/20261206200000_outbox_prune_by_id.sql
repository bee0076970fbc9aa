-- The relay's cleanup deleted `where published_at < cutoff`, which no index serves: once a minute it read
-- every row the outbox keeps (a day of a service's events). Outbox ids are version 7 UUIDs (`makeEnvelope`),
-- whose leading 48 bits are the milliseconds they were made at and which sort as bytes: every row made
-- before the cutoff lies below the smallest id of the cutoff's millisecond, a range of the primary key.
-- A row made before the cutoff but sent after it (RabbitMQ away) is kept until it too has been sent that
-- long; one never sent is never deleted.
create function outbox_prune(p_sent_before timestamptz) returns bigint
language plpgsql set enable_seqscan = off as $$
declare
  below uuid := (lpad(to_hex(floor(extract(epoch from p_sent_before) * 1000)::bigint), 12, '0')
    || repeat('0', 20))::uuid;
  deleted bigint;
begin
  delete from outbox where id < below and published_at < p_sent_before;
  get diagnostics deleted = row_count;
  return deleted;
end $$;
