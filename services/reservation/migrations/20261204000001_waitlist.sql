-- renamed from 20261204000000_waitlist.sql
-- (it shared its timestamp with the hold function's file, after which it always ran: now it says so)
-- How long a waiting-list offer holds its seats, as the operator set it for the event.
alter table events add column waitlist_offer_minutes int not null default 30
  check (waitlist_offer_minutes between 5 and 1440);

-- The waiting list of sold-out events. `position` orders the list (a sequence: the order of joining).
-- A fan has at most one entry in progress (WAITING or OFFERED) per event; ended entries stay as history.
-- An OFFERED entry names the hold made for the fan: that reservation is the offer, and it counts towards
-- the fan's per-user limit like any hold.
create table waitlist_entries (
  id uuid primary key,
  event_id uuid not null references events (id),
  user_id uuid not null,
  tier_id uuid,
  quantity int not null check (quantity > 0),
  status text not null check (status in ('WAITING', 'OFFERED', 'CLAIMED', 'LAPSED', 'LEFT')),
  position bigserial not null,
  reservation_id uuid references reservations (id),
  joined_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check (status <> 'WAITING' or reservation_id is null),
  check (status not in ('OFFERED', 'CLAIMED') or reservation_id is not null)
);
create unique index waitlist_one_open_per_user on waitlist_entries (event_id, user_id)
  where status in ('WAITING', 'OFFERED');
create index waitlist_waiting on waitlist_entries (event_id, position) where status = 'WAITING';
create unique index waitlist_offer on waitlist_entries (reservation_id) where reservation_id is not null;
