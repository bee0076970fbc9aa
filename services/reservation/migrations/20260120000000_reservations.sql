-- Sale projection of each event, built from event.published / event.updated / event.cancelled.
create table events (
  id uuid primary key,
  title text,
  status text not null
    check (status in ('draft', 'published', 'on_sale', 'sold_out', 'ended', 'cancelled')),
  starts_at timestamptz,
  sale_opens_at timestamptz not null,
  sale_closes_at timestamptz not null,
  per_user_limit int not null check (per_user_limit > 0),
  waiting_room jsonb not null,
  price_tiers jsonb not null default '[]',
  -- occurredAt of the newest event applied to the sale settings: older ones arriving late change nothing.
  source_at timestamptz not null,
  updated_at timestamptz not null default now()
);

-- One row per seat of an event. status/reservation_id is the live state; version orders cache updates.
create table seats (
  id uuid primary key,
  event_id uuid not null references events (id),
  label text not null,
  section text not null,
  row_name text not null,
  number int not null,
  x double precision not null,
  y double precision not null,
  tier_id uuid not null,
  price int not null check (price >= 0),
  status text not null default 'available' check (status in ('available', 'held', 'sold')),
  reservation_id uuid,
  version bigint not null default 1,
  check ((status = 'available') = (reservation_id is null))
);
create index seats_event on seats (event_id);
create index seats_reservation on seats (reservation_id) where reservation_id is not null;

create table reservations (
  id uuid primary key,
  user_id uuid not null,
  event_id uuid not null references events (id),
  status text not null check (status in ('PENDING', 'CONFIRMED', 'EXPIRED', 'CANCELLED', 'REFUNDED')),
  amount int not null check (amount >= 0),
  expires_at timestamptz not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  confirmed_at timestamptz,
  payment_id uuid,
  idempotency_key text,
  unique (user_id, idempotency_key)
);
create index reservations_user_event on reservations (user_id, event_id);
create index reservations_event_status on reservations (event_id, status);
create index reservations_pending_expiry on reservations (expires_at) where status = 'PENDING';
create unique index reservations_payment on reservations (payment_id) where payment_id is not null;

-- The seats a reservation took, kept after release. The partial unique index is the double-sell guard:
-- a seat is in at most one active (PENDING or CONFIRMED) reservation, whatever else happens.
create table reservation_seats (
  reservation_id uuid not null references reservations (id),
  seat_id uuid not null references seats (id),
  label text not null,
  price int not null check (price >= 0),
  active boolean not null default true,
  primary key (reservation_id, seat_id)
);
create unique index reservation_seats_one_active on reservation_seats (seat_id) where active;

create table tickets (
  id uuid primary key,
  reservation_id uuid not null references reservations (id),
  event_id uuid not null,
  user_id uuid not null,
  seat_id uuid not null,
  seat_label text not null,
  status text not null default 'ISSUED' check (status in ('ISSUED', 'USED', 'VOIDED')),
  qr text not null,
  issued_at timestamptz not null default now(),
  used_at timestamptz,
  checked_in_by uuid,
  voided_at timestamptz,
  unique (reservation_id, seat_id)
);
create index tickets_user on tickets (user_id, issued_at desc);
create unique index tickets_one_valid_per_seat on tickets (seat_id) where status <> 'VOIDED';
