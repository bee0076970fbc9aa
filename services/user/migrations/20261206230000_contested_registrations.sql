-- When a registration replaced an earlier one of the same address that nobody had proved yet. Either of the
-- two may be a stranger's, and the mailbox gets both links alike: a link of such a registration proves the
-- address only for a caller signed in to that account (its registrant), never for whoever opens the mail.
alter table users add column registration_contested_at timestamptz;
