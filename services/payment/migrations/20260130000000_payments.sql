-- One row per checkout attempt of a reservation. Money is integer KRW.
create table payments (
  id uuid primary key,
  order_id text not null unique,
  reservation_id uuid not null,
  event_id uuid not null,
  user_id uuid not null,
  amount integer not null check (amount > 0),
  status text not null check (
    status in ('PENDING', 'IN_PROGRESS', 'COMPLETED', 'PARTIALLY_REFUNDED', 'REFUNDED', 'FAILED', 'EXPIRED')
  ),
  order_name text not null,
  customer_name text not null,
  customer_email text not null,
  customer_phone text,
  checkout_url text,
  -- Set when the customer's confirm (or reconciliation) first names Toss's key for this order.
  payment_key text unique,
  method text,
  -- Set as soon as Toss is known to have approved: from here on the money was taken and must end
  -- either in a confirmed reservation or in a refund.
  approved_at timestamptz,
  refunded_amount integer not null default 0 check (refunded_amount >= 0 and refunded_amount <= amount),
  failure_code text,
  failure_message text,
  -- The reservation's hold ends at this time unless the payment completes.
  hold_expires_at timestamptz not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

-- At most one open checkout per reservation: a second request returns the first.
create unique index payments_one_open_per_reservation on payments (reservation_id)
  where status in ('PENDING', 'IN_PROGRESS');
create index payments_unsettled on payments (updated_at) where status in ('PENDING', 'IN_PROGRESS');
create index payments_user on payments (user_id, created_at desc);
create index payments_event on payments (event_id, created_at desc);

-- The seats a payment paid for, with the price each carried; a refunded seat points at its refund.
create table payment_seats (
  payment_id uuid not null references payments (id) on delete cascade,
  seat_id uuid not null,
  label text not null,
  price integer not null check (price >= 0),
  refund_id uuid,
  primary key (payment_id, seat_id)
);

-- Every refund asked for, written before Toss is called so an unanswered cancel can be finished later.
create table refunds (
  id uuid primary key,
  payment_id uuid not null references payments (id) on delete cascade,
  amount integer not null check (amount > 0),
  seat_ids uuid[] not null default '{}',
  full_refund boolean not null,
  reason text not null,
  status text not null check (status in ('REQUESTED', 'DONE', 'FAILED')),
  late_approval boolean not null default false,
  requested_by uuid,
  transaction_key text,
  failure_code text,
  created_at timestamptz not null default now(),
  completed_at timestamptz
);
create index refunds_payment on refunds (payment_id, created_at);
create index refunds_requested on refunds (created_at) where status = 'REQUESTED';

-- When each event starts (from event.published), for the user's cancellation deadline.
create table event_schedule (
  event_id uuid primary key,
  title text not null,
  starts_at timestamptz not null,
  cancelled_at timestamptz,
  updated_at timestamptz not null default now()
);
