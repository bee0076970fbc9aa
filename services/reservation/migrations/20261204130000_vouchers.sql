-- Discount codes an operator makes for one event. `used` counts the reservations holding the code now
-- (PENDING or CONFIRMED); the check `used <= max_uses` is the last guard against handing out one use too
-- many, behind the conditional update that takes a use (`used < max_uses`), which row-locks the voucher.
create table vouchers (
  id uuid primary key,
  event_id uuid not null references events (id),
  -- Stored upper-case: fans type codes in any case.
  code text not null check (code = upper(code)),
  kind text not null check (kind in ('amount', 'percent')),
  value int not null check (value > 0 and (kind <> 'percent' or value <= 100)),
  -- Empty: every price tier of the event.
  tier_ids uuid[] not null default '{}',
  max_uses int not null check (max_uses > 0),
  used int not null default 0,
  valid_from timestamptz,
  valid_until timestamptz,
  created_at timestamptz not null default now(),
  check (used >= 0 and used <= max_uses),
  check (valid_from is null or valid_until is null or valid_from < valid_until),
  unique (event_id, code)
);

-- `amount` stays what the fan pays: the seats' prices less `discount`. The payment window started
-- (`checkout_started_at`) fixes the amount: the voucher can no longer change under an open payment.
alter table reservations
  add column voucher_id uuid references vouchers (id),
  add column discount int not null default 0 check (discount >= 0),
  add column checkout_started_at timestamptz;
create index reservations_voucher on reservations (voucher_id) where voucher_id is not null;

-- The share of the discount each seat carries, so a refund of some seats gives back what was paid for them.
alter table reservation_seats
  add column discount int not null default 0 check (discount >= 0 and discount <= price);
