-- Who to write to: filled from user.registered, or from the user service when a user was not seen there.
create table recipients (
  user_id uuid primary key,
  email text not null,
  name text not null,
  locale text not null check (locale in ('ko', 'en')),
  updated_at timestamptz not null default now()
);

-- What the emails say about an event: from event.published, completed by the event service's API.
create table event_details (
  event_id uuid primary key,
  title text not null,
  starts_at timestamptz not null,
  venue_name text,
  updated_at timestamptz not null default now()
);

-- The amount of a confirmed reservation, shown in the ticket email when it is known.
create table confirmed_reservations (
  reservation_id uuid primary key,
  amount integer not null check (amount >= 0),
  created_at timestamptz not null default now()
);

-- One row per email, keyed by (event id, template): a redelivered event finds its row and sends nothing.
create table notifications (
  id uuid primary key,
  dedupe_key text not null unique,
  event_id uuid not null,
  template text not null,
  user_id uuid,
  recipient text,
  locale text,
  subject text,
  status text not null check (status in ('sent', 'skipped')),
  detail text,
  transport text,
  provider_message_id text,
  created_at timestamptz not null default now()
);
create index notifications_user_idx on notifications (user_id, created_at desc);
