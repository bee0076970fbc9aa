-- Users whose accounts were deleted (`user.deleted`): a `user.registered` for one of them handled later (out
-- of order, or replayed) must not bring their address back.
create table forgotten_users (
  user_id uuid primary key,
  forgotten_at timestamptz not null default now()
);
