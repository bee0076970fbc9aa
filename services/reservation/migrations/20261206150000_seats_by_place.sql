-- The event's index on seats also orders each section's places by number, so a standing area's pick reads
-- the next free places from a random one instead of every free place of the area (a 20,000-place floor was
-- 20,000 rows read and sorted at random for each pick). It replaces the index on event_id alone: one index
-- leads with the event, so no statistics can choose between two.
create index seats_event_places on seats (event_id, section, number);
drop index seats_event;
