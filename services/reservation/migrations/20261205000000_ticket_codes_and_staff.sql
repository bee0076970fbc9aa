-- The short code printed on each ticket, typed at the door when no camera reads the QR (ten characters
-- of TICKET_CODE.alphabet in the contracts). Codes are unique within an event: check-in by code always
-- names the event, and the index is what keeps two tickets of one event from sharing a code.
alter table tickets add column code text;
update tickets set code = (
  select string_agg(substr('23456789ABCDEFGHJKMNPQRSTUVWXYZ', 1 + floor(random() * 31)::int, 1), '')
  from generate_series(1, 10)
  -- Refers to the row, so PostgreSQL draws a code per ticket instead of one for the whole table.
  where tickets.id is not null
);
alter table tickets alter column code set not null;
create unique index tickets_event_code on tickets (event_id, code);

-- The events each door-staff account may check tickets in for, set by an operator.
create table staff_assignments (
  user_id uuid not null,
  event_id uuid not null references events (id),
  assigned_at timestamptz not null default now(),
  primary key (user_id, event_id)
);
create index staff_assignments_event on staff_assignments (event_id);
