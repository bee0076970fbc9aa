-- A password reset is mailed as a one-time token, as a verification is: one table for both, told apart by
-- what the token is for. Only the SHA-256 of a token is kept; a token is used once and only before it expires.
alter table email_verifications rename to email_tokens;
alter index email_verifications_pkey rename to email_tokens_pkey;
alter index email_verifications_user rename to email_tokens_user;
alter index email_verifications_expires rename to email_tokens_expires;
alter table email_tokens rename constraint email_verifications_user_id_fkey to email_tokens_user_id_fkey;
alter table email_tokens add column purpose text not null default 'verify'
  constraint email_tokens_purpose_check check (purpose in ('verify', 'reset'));
alter table email_tokens alter column purpose drop default;

-- A new password, set through the mail or with the old one, ends every session the account had, and so
-- does the account's deletion (whose rows then go with it; the reason is recorded on the way).
alter table refresh_families drop constraint refresh_families_revoked_reason_check;
alter table refresh_families add constraint refresh_families_revoked_reason_check
  check (revoked_reason in ('logout', 'reuse', 'password_reset', 'password_change', 'account_deleted'));
