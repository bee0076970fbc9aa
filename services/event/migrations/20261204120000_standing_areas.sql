-- A standing area (스탠딩) is a section sold by count: its capacity is a number of places, each a row of
-- `seats` (so the reservation service guards places exactly as seats), and its entry numbers are given
-- when an order is confirmed, in order of confirmation ('arrival') or by a draw ('draw').
alter table venue_sections
  add column standing_capacity integer check (standing_capacity between 1 and 20000),
  add column entry_order text check (entry_order in ('arrival', 'draw')),
  add constraint venue_sections_standing_whole check ((standing_capacity is null) = (entry_order is null));
