create table events (
  id uuid primary key,
  title text not null,
  starts_at timestamptz not null,
  status text not null default 'draft'
    check (status in ('draft', 'published', 'on_sale', 'sold_out', 'ended', 'cancelled')),
  created_at timestamptz not null default now()
);
create index events_starts_at on events (starts_at);
