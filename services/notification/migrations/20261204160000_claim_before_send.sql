-- A claim is committed as 'sending' before its mail goes to the provider, and becomes 'sent' once the
-- provider took it. A redelivery that finds it still 'sending' (the sender was killed mid-send) sends no
-- second mail and marks it 'unconfirmed'.
alter table notifications drop constraint notifications_status_check;
alter table notifications add constraint notifications_status_check
  check (status in ('sending', 'sent', 'unconfirmed', 'skipped'));
