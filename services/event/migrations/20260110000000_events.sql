create table artists (
  id uuid primary key,
  name text not null check (length(name) between 1 and 200),
  genre text,
  bio text not null default '',
  -- {mediaId, urls} from the media service; owned there, referenced here.
  image jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index artists_name on artists (lower(name));

create table venues (
  id uuid primary key,
  name text not null,
  city text not null,
  address text not null default '',
  seat_count integer not null check (seat_count > 0),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table venue_sections (
  id uuid primary key,
  venue_id uuid not null references venues (id) on delete cascade,
  name text not null,
  position integer not null,
  unique (venue_id, name)
);

-- Seat ids are stable: the reservation service keys its inventory on them.
create table seats (
  id uuid primary key,
  venue_id uuid not null references venues (id) on delete cascade,
  section_id uuid not null references venue_sections (id) on delete cascade,
  row_label text not null,
  row_position integer not null,
  number integer not null check (number > 0),
  label text not null,
  x double precision not null,
  y double precision not null,
  tier_key text not null,
  unique (venue_id, label),
  unique (section_id, row_label, number)
);
create index seats_venue on seats (venue_id, section_id, row_position, number);

create table events (
  id uuid primary key,
  artist_id uuid not null references artists (id),
  venue_id uuid not null references venues (id),
  title text not null,
  description text not null default '',
  starts_at timestamptz not null,
  sale_opens_at timestamptz not null,
  sale_closes_at timestamptz not null,
  status text not null default 'draft'
    check (status in ('draft', 'published', 'on_sale', 'sold_out', 'ended', 'cancelled')),
  per_user_limit integer not null check (per_user_limit between 1 and 10),
  waiting_room_enabled boolean not null,
  admission_rate_per_minute integer not null check (admission_rate_per_minute > 0),
  max_active_shoppers integer not null check (max_active_shoppers > 0),
  poster jsonb,
  published_at timestamptz,
  cancelled_at timestamptz,
  cancel_reason text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check (sale_opens_at < sale_closes_at and sale_closes_at <= starts_at)
);
create index events_starts_at on events (starts_at, id);
create index events_artist on events (artist_id, starts_at);
create index events_title on events (lower(title), id);

create table price_tiers (
  id uuid primary key,
  event_id uuid not null references events (id) on delete cascade,
  key text not null,
  name text not null,
  price integer not null check (price > 0),
  position integer not null,
  unique (event_id, key)
);
