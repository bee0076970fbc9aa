-- As of when the title and start were true (the event's change, or the moment they were read from the
-- event service): an older update delivered again later does not bring back an older title or start.
alter table event_details add column source_at timestamptz;
