-- Transactional outbox: written in the same transaction as the change it announces.
create table outbox (
  id uuid primary key,
  type text not null,
  envelope jsonb not null,
  created_at timestamptz not null default now(),
  published_at timestamptz
);
create index outbox_unpublished on outbox (created_at) where published_at is null;

-- Inbox: one row per (consumer, event) handled, written in the handler's transaction.
create table inbox (
  consumer text not null,
  event_id uuid not null,
  handled_at timestamptz not null default now(),
  primary key (consumer, event_id)
);

-- Wakes the relay as soon as a row commits, instead of waiting for its next poll.
create function outbox_notify() returns trigger language plpgsql as $$
begin
  perform pg_notify('outbox', '');
  return null;
end $$;
create trigger outbox_notify after insert on outbox for each statement execute function outbox_notify();
