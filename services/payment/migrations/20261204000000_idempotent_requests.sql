-- The answers of requests sent with an Idempotency-Key, per caller: a repeat with the same body gets the
-- first answer, another body is refused. A row without an answer is being worked on until locked_until;
-- after that (its worker died) a repeat takes it over.
create table idempotent_requests (
  id uuid primary key,
  caller_id uuid not null,
  key text not null,
  fingerprint text not null,
  status integer,
  answer jsonb,
  locked_until timestamptz not null,
  created_at timestamptz not null default now(),
  unique (caller_id, key)
);
create index idempotent_requests_created on idempotent_requests (created_at);

-- A refund asked for under an Idempotency-Key names that request, so a request taken over after a crash
-- finishes its refund instead of asking Toss for another.
alter table refunds add column request_id uuid unique;
