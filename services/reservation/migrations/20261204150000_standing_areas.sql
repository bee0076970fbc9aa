-- Standing areas (스탠딩) of each event, as the event service announced them: their places are rows of
-- `seats` like any seat, held by count. Entry numbers are given to tickets of these places when the order is
-- confirmed: in order of confirmation ('arrival') or drawn among the numbers no live ticket has ('draw').
alter table events add column standing_areas jsonb not null default '[]';

alter table tickets
  add column entry_section text,
  add column entry_number integer check (entry_number > 0),
  add constraint tickets_entry_whole check ((entry_section is null) = (entry_number is null));

-- A number is at one live ticket of an area at a time; a voided ticket's number may be drawn again.
create unique index tickets_entry_number_live on tickets (event_id, entry_section, entry_number)
  where entry_number is not null and status <> 'VOIDED';
