-- The event's standing areas (by section name), as `event.published` announced them: a refund's mail tells
-- the places of one ("Floor standing × 2") from seats by them. Null while unknown (an event known from before
-- this column, or only from its cancellation): its refunds then carry no areas, and the mail counts seats.
alter table event_schedule add column standing_areas text[];
