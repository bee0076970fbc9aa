-- When the event service made the change the row holds: an older change delivered again later (a relay
-- replay, a redelivery) does not bring back an older title or start.
alter table event_schedule add column source_at timestamptz;
