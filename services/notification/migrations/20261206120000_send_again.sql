-- An operator may send a mail again (a fan says it never came, or its send was left unconfirmed). The
-- event a mail was written from is kept with it, for the mails whose content may go out twice (not the
-- one-time links of account mails), and a mail sent again names the mail it repeats and who asked for it.
alter table notifications add column source jsonb;
alter table notifications add column again_of uuid references notifications (id);
alter table notifications add column requested_by uuid;
create index notifications_again_of on notifications (again_of) where again_of is not null;
