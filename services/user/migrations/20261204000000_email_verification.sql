-- When the owner of the address proved it (a link from the verification mail, Google's `email_verified`,
-- or the demo seed). Until then a password account may not hold seats, and it does not own its address:
-- a later registration or Google sign-in for the same address replaces it.
alter table users add column email_verified_at timestamptz;

-- Accounts made before addresses were verified count as verified: they may hold orders and tickets, and an
-- unverified account is replaced by the next registration of its address, which must never lose those.
update users set email_verified_at = created_at;

-- One row per verification mail. Only the SHA-256 of the token is kept: a leaked table verifies nobody.
-- A token is used once (`used_at`) and only before `expires_at`.
create table email_verifications (
  token_hash text primary key,
  user_id uuid not null references users (id) on delete cascade,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  used_at timestamptz
);
create index email_verifications_user on email_verifications (user_id);
create index email_verifications_expires on email_verifications (expires_at);
