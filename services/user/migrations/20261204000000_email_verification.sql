-- When the owner of the address proved it (a link from the verification mail, Google's `email_verified`,
-- or the demo seed). Until then a password account may not hold seats, and it does not own its address:
-- a later registration or Google sign-in for the same address replaces it.
alter table users add column email_verified_at timestamptz;

-- Accounts linked to Google were proved by Google when they were linked.
update users set email_verified_at = created_at
where email_verified_at is null and exists (select 1 from user_identities i where i.user_id = users.id);

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
