-- The event's standing areas (by section name), as `event.published` announced them: a refund's mail tells
-- the places of one ("Floor standing × 2") from seats by them. Events known from before this column read as
-- having none, as does an event known only from its cancellation.
alter table event_schedule add column standing_areas text[] not null default '{}';
