-- An operator disables a voucher rather than deleting it: reservations that took it keep pointing at it
-- (and their discount); a disabled voucher only takes no new uses.
alter table vouchers add column active boolean not null default true;
