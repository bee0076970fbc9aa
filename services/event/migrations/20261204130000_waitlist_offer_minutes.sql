-- How long a waiting-list offer holds its seats for the fan it is made to (the reservation service makes it).
alter table events
  add column waitlist_offer_minutes integer not null default 30 check (waitlist_offer_minutes between 5 and 1440);
